import { isHttpError } from '../../http/client.js';
import { ToolError, type ToolAdapter } from '../tool.js';
import { SpiderFootApi } from './api.js';
import { spiderfootOptionsSchema, type SpiderfootOptions } from './options.js';
import { parseSpiderfoot } from './parse.js';
import { runSpiderfoot } from './run.js';

const CHECK_TIMEOUT_MS = 3_000;

/** Runs a scan on a SpiderFoot server through its web API: start, poll, export results. */
export const spiderfootTool: ToolAdapter<SpiderfootOptions> = {
  name: 'spiderfoot',
  description: 'SpiderFoot scan (by use case, modules or wanted event types) through its web API',
  transport: 'HTTP',
  targetKinds: ['DOMAIN', 'IP', 'EMAIL', 'USERNAME'],
  options: spiderfootOptionsSchema,

  async checkAvailability({ config, signal }) {
    if (!config.SPIDERFOOT_URL) return { available: false, reason: 'SPIDERFOOT_URL is not set' };

    try {
      await new SpiderFootApi(config).ping(signal, CHECK_TIMEOUT_MS);
      return { available: true };
    } catch (err) {
      if (isHttpError(err) || err instanceof ToolError)
        return { available: false, reason: err.message };
      throw err;
    }
  },

  run: runSpiderfoot,
  parse: parseSpiderfoot,
};

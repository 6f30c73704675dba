import { isHttpError } from '../../http/client.js';
import { ToolError, type ToolAdapter } from '../tool.js';
import { IntelOwlApi } from './api.js';
import { intelowlOptionsSchema, type IntelowlOptions } from './options.js';
import { parseIntelOwl } from './parse.js';
import { runIntelowl } from './run.js';

const CHECK_TIMEOUT_MS = 3_000;

/** Observable analysis on an IntelOwl server: one job, its analyzer reports as findings. */
export const intelowlTool: ToolAdapter<IntelowlOptions> = {
  name: 'intelowl',
  description: 'IntelOwl observable analysis (chosen analyzers or a playbook) through its REST API',
  transport: 'HTTP',
  targetKinds: ['DOMAIN', 'IP', 'EMAIL'],
  options: intelowlOptionsSchema,

  async checkAvailability({ config, signal }) {
    if (!config.INTELOWL_URL) return { available: false, reason: 'INTELOWL_URL is not set' };
    if (!config.INTELOWL_API_KEY)
      return { available: false, reason: 'INTELOWL_API_KEY is not set' };

    try {
      await new IntelOwlApi(config).checkAccess(signal, CHECK_TIMEOUT_MS);
      return { available: true };
    } catch (err) {
      if (isHttpError(err) || err instanceof ToolError)
        return { available: false, reason: err.message };
      throw err;
    }
  },

  run: runIntelowl,
  parse: parseIntelOwl,
};

import { httpClientFor, isHttpError } from '../../http/client.js';
import type { ToolAdapter } from '../tool.js';
import { searxngOptionsSchema, type SearxngOptions } from './options.js';
import { parseSearxng } from './parse.js';
import { runSearxng } from './run.js';

const CHECK_TIMEOUT_MS = 3_000;

/** Web search through a SearXNG instance's JSON API; every result URL is a finding. */
export const searxngTool: ToolAdapter<SearxngOptions> = {
  name: 'searxng',
  description: 'Web search for the target through a SearXNG metasearch instance (JSON API)',
  transport: 'HTTP',
  targetKinds: ['DOMAIN', 'IP', 'EMAIL', 'USERNAME'],
  options: searxngOptionsSchema,

  async checkAvailability({ config, signal }) {
    const base = config.SEARXNG_URL;
    if (!base) return { available: false, reason: 'SEARXNG_URL is not set' };

    try {
      // /healthz is cheap and exempt from SearXNG's limiter, so checks never use up its quota.
      await httpClientFor(config).fetchText(
        new URL('healthz', base.endsWith('/') ? base : `${base}/`),
        {
          signal,
          service: 'searxng',
          timeoutMs: CHECK_TIMEOUT_MS,
          retries: 0,
          // Any answer below 500 means the instance is up; older builds may lack /healthz.
          allowStatus: [400, 401, 403, 404, 405],
        },
      );
      return { available: true };
    } catch (err) {
      if (isHttpError(err)) return { available: false, reason: err.message };
      throw err;
    }
  },

  run: runSearxng,
  parse: parseSearxng,
};

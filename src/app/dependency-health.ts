import type { HealthExtra } from '../server/health.js';
import type { AppServices } from './services.js';

/**
 * The /health checks of the optional dependencies: `llm` (reachable, model present) and
 * `archive` (CouchDB reachable). `disabled` when not configured; details never hold a secret.
 */
export function dependencyHealth(services: AppServices): HealthExtra {
  const { config } = services;
  return {
    llm: async (signal) => {
      const llm = services.llm;
      if (!llm) {
        const setting = config.LLM_PROVIDER === 'ollama' ? 'OLLAMA_URL' : 'OPENAI_BASE_URL';
        return { status: 'disabled', detail: `${setting} not set` };
      }
      const name = `${llm.provider}:${llm.model}`;
      const health = await llm.health(signal);
      return health.ok
        ? { status: 'ok', detail: health.detail ? `${name}: ${health.detail}` : name }
        : { status: 'error', detail: `${name}: ${health.detail ?? 'not ok'}` };
    },
    archive: async (signal) => {
      const archive = services.archive;
      if (!archive) return { status: 'disabled', detail: 'COUCHDB_URL not set' };
      const health = await archive.health(signal);
      const detail = health.detail ? `${archive.database}: ${health.detail}` : archive.database;
      return { status: health.ok ? 'ok' : 'error', detail };
    },
  };
}

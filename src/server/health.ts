import type { AppServices } from '../app/services.js';

export type DependencyState = { status: 'ok' | 'error' | 'disabled'; detail?: string };

export interface HealthExtra {
  /** Extra dependencies (LLM, archive) register a check under a name. */
  [name: string]: (signal: AbortSignal) => Promise<DependencyState>;
}

const CACHE_MS = 30_000;
const CHECK_TIMEOUT_MS = 3_000;

/** Health of each dependency, cached so /health can be polled freely. No secret appears in it. */
export function createHealth(services: AppServices, extra: HealthExtra = {}) {
  let cached: { at: number; body: Record<string, unknown> } | undefined;
  let pending: Promise<Record<string, unknown>> | undefined;

  const checks: HealthExtra = {
    database: async () => {
      await services.database.ping();
      return { status: 'ok', detail: services.database.driver };
    },
    eventBus: async () =>
      services.config.REDIS_URL
        ? { status: 'ok', detail: 'redis' }
        : { status: 'ok', detail: 'in-process' },
    ...extra,
  };

  const run = async () => {
    const dependencies: Record<string, DependencyState> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
        dependencies[name] = await check(signal).catch((err: unknown) => ({
          status: 'error' as const,
          detail: signal.aborted ? 'timed out' : err instanceof Error ? err.message : 'failed',
        }));
      }),
    );
    const tools: Record<string, DependencyState> = {};
    for (const tool of services.registry.tools) {
      const availability = await services.registry.availability(tool.name);
      tools[tool.name] = availability.available
        ? { status: 'ok' }
        : { status: 'disabled', detail: availability.reason };
    }
    const healthy = dependencies.database?.status === 'ok';
    return {
      status: healthy ? 'ok' : 'error',
      environment: services.config.ENVIRONMENT,
      checkedAt: new Date().toISOString(),
      dependencies,
      tools,
    };
  };

  return async (): Promise<Record<string, unknown>> => {
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.body;
    pending ??= run().finally(() => {
      pending = undefined;
    });
    const body = await pending;
    cached = { at: Date.now(), body };
    return body;
  };
}

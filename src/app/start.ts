import type { Logger } from 'pino';

import { openAccess } from '../auth/authenticate.js';
import type { AppConfig } from '../config/config.js';
import { consoleRoute } from '../console/console-route.js';
import { buildHttpApp, type HttpApp } from '../server/http-server.js';
import { builtinTools } from '../tools/catalogue.js';
import { dependencyHealth } from './dependency-health.js';
import { closeServices, createServices, type AppServices } from './services.js';

export interface RunningApp {
  services: AppServices;
  http?: HttpApp;
  /** The port actually bound (useful with PORT=0). */
  port?: number;
  stop(): Promise<void>;
}

/**
 * Starts Loom in a fixed order — storage, bus, workers, then HTTP — and returns a stop that
 * undoes it in reverse. `api: false` runs workers only.
 */
export async function startApp(
  config: AppConfig,
  log: Logger,
  options: { api?: boolean; workers?: boolean } = {},
): Promise<RunningApp> {
  if (openAccess(config)) {
    log.warn('no OSINT_API_KEY set: every request acts as admin (development only)');
  }
  const services = await createServices(config, log, {
    tools: builtinTools(),
    workers: options.workers ?? config.WORKERS > 0,
  });

  if (options.api === false) {
    return { services, stop: () => closeServices(services) };
  }

  // The web console comes from the server itself only in development; nginx serves it otherwise.
  const routes = config.ENVIRONMENT === 'development' ? [consoleRoute(log)] : [];
  const http = buildHttpApp(services, { health: dependencyHealth(services), routes });
  try {
    await new Promise<void>((resolve, reject) => {
      http.server.once('error', reject);
      http.server.listen(config.PORT, config.HOST, () => resolve());
    });
  } catch (err) {
    // Undo what started (the worker hands its runs back) and say plainly what failed.
    await http.close().catch(() => undefined);
    await closeServices(services);
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(
      `cannot listen on ${config.HOST}:${config.PORT} (${code}): check HOST and PORT`,
      {
        cause: err,
      },
    );
  }
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log.info({ host: config.HOST, port, environment: config.ENVIRONMENT }, 'loom listening');

  return {
    services,
    http,
    port,
    stop: async () => {
      await http.close();
      log.info('http server closed');
      await closeServices(services);
    },
  };
}

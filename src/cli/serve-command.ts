import { ConfigError, loadConfig } from '../config/config.js';
import { startApp, type RunningApp } from '../app/start.js';
import { createLogger } from '../observability/logger.js';

export async function runServe(): Promise<void> {
  await run({ api: true });
}

export async function runWorker(): Promise<void> {
  await run({ api: false, workers: true });
}

async function run(options: { api: boolean; workers?: boolean }): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config);
  let app: RunningApp;
  try {
    app = await startApp(config, log, options);
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    process.exit(1);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    app
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Stops at once, naming every bad variable, before anything starts. */
export function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`loom: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

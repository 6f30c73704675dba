import type { AppConfig } from '../../config/config.js';
import { createLogger } from '../../observability/logger.js';
import { SshPool } from './ssh-pool.js';

/** An aborted command's watchdog escalates to SIGKILL after 2 s; allow for that. */
const CLOSE_GRACE_MS = 4000;

// One pool per distinct SSH setting, so every run in the process shares its connections.
const pools = new Map<string, SshPool>();

/** The setting that is missing for recon-ng over SSH, or undefined when all are there. */
export function missingSshSetting(config: AppConfig): string | undefined {
  if (!config.RECONNG_SSH_HOST) return 'RECONNG_SSH_HOST';
  if (!config.RECONNG_SSH_USER) return 'RECONNG_SSH_USER';
  if (!config.RECONNG_SSH_KEY) return 'RECONNG_SSH_KEY';
  if (!config.RECONNG_SSH_KNOWN_HOSTS) return 'RECONNG_SSH_KNOWN_HOSTS';
  return undefined;
}

/** The shared pool for this config; callers check missingSshSetting() first. */
export function reconNgPool(config: AppConfig): SshPool {
  const missing = missingSshSetting(config);
  if (missing) throw new Error(`${missing} is not set`);

  const settings = {
    host: config.RECONNG_SSH_HOST!,
    port: config.RECONNG_SSH_PORT,
    username: config.RECONNG_SSH_USER!,
    privateKeyPath: config.RECONNG_SSH_KEY!,
    hostKeys: {
      knownHostsPath: config.RECONNG_SSH_KNOWN_HOSTS,
      pinUnknown: config.ENVIRONMENT !== 'production',
    },
    keepaliveIntervalMs: config.RECONNG_SSH_KEEPALIVE_MS,
    keepaliveCountMax: config.RECONNG_SSH_KEEPALIVE_COUNT_MAX,
    readyTimeoutMs: config.RECONNG_SSH_READY_TIMEOUT_MS,
    maxChannelsPerConnection: config.RECONNG_SSH_MAX_CHANNELS,
    maxConnections: config.RECONNG_SSH_MAX_CONNECTIONS,
    idleMs: config.RECONNG_SSH_IDLE_MS,
    closeGraceMs: CLOSE_GRACE_MS,
  };
  const key = JSON.stringify(settings);

  let pool = pools.get(key);
  if (!pool) {
    const log = createLogger(config).child({ tool: 'recon-ng', component: 'ssh-pool' });
    pool = new SshPool({ ...settings, log });
    pools.set(key, pool);
  }
  return pool;
}

/** Closes every recon-ng SSH connection; for shutdown and tests. */
export async function closeReconNgPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close()));
}

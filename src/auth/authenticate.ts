import type { AppServices } from '../app/services.js';
import { AppError } from '../errors/app-error.js';
import type { Principal, Role } from '../graphql/context.js';
import { findApiKey, keysEqual, touchApiKey } from './api-keys.js';
import { rateLimitedError, type RateLimits } from './rate-limits.js';

// A key whose hash is longer than any we issue cannot match; skip the lookup for it.
const MAX_KEY_LENGTH = 256;
const TOUCH_EVERY_MS = 60_000;
const lastTouched = new Map<string, number>();

/**
 * Turns the presented key (header or connection param) into who is calling.
 * With no key configured in development, everyone is an anonymous admin (warned at start-up).
 */
export async function authenticate(
  services: Pick<AppServices, 'config' | 'db' | 'log'>,
  presented: string | undefined | null,
): Promise<Principal> {
  const { config } = services;
  const key = presented?.trim();

  if (key) {
    if (config.OSINT_API_KEY && keysEqual(key, config.OSINT_API_KEY)) {
      return { keyName: 'bootstrap', role: 'admin' };
    }
    const row = key.length <= MAX_KEY_LENGTH ? await findApiKey(services.db, key) : undefined;
    if (row) {
      markUsed(services, row.id);
      return { keyName: row.name, role: row.role as Role };
    }
    throw unauthenticated('the API key is not valid');
  }

  if (openAccess(config)) return { keyName: 'anonymous', role: 'admin' };
  throw unauthenticated('an API key is required (X-API-Key header)');
}

/**
 * `authenticate` for a request from `clientAddress`. Wrong keys are counted per address: past
 * RATE_LIMIT_AUTH_FAILURES_PER_MINUTE, a wrong key gets RATE_LIMITED instead of UNAUTHENTICATED.
 * A valid key always passes, so a noisy neighbour behind the same address locks nobody out.
 */
export async function authenticateCaller(
  services: Pick<AppServices, 'config' | 'db' | 'log'>,
  limits: RateLimits,
  presented: string | undefined | null,
  clientAddress: string,
): Promise<Principal> {
  try {
    return await authenticate(services, presented);
  } catch (err) {
    if (!presented?.trim() || !(err instanceof AppError)) throw err;
    const refusal = await limits.consume('authFailures', `ip:${clientAddress}`);
    if (refusal) {
      if (refusal.first) services.log.warn({ clientAddress }, 'too many invalid API keys');
      throw rateLimitedError(refusal, 'authFailures');
    }
    services.log.warn({ clientAddress }, 'refused an invalid API key');
    throw err;
  }
}

/** Development with no bootstrap key: the server is open, and says so when it starts. */
export function openAccess(config: AppServices['config']): boolean {
  return config.ENVIRONMENT === 'development' && !config.OSINT_API_KEY;
}

function unauthenticated(message: string): AppError {
  return new AppError('UNAUTHENTICATED', message, { http: { status: 401 } });
}

/** Keeps `last_used_at` roughly current without a write on every request. */
function markUsed(services: Pick<AppServices, 'db' | 'log'>, id: string): void {
  const now = Date.now();
  if (now - (lastTouched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
  lastTouched.set(id, now);
  touchApiKey(services.db, id).catch((err: unknown) => {
    services.log.warn({ err }, 'could not record the last use of an API key');
  });
}

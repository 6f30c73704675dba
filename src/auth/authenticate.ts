import type { AppServices } from '../app/services.js';
import { AppError } from '../errors/app-error.js';
import type { Principal, Role } from '../graphql/context.js';
import { findApiKey, keysEqual } from './api-keys.js';

/**
 * Turns the presented key (header or connection param) into who is calling.
 * With no key configured in development, everyone is an anonymous admin (warned at start-up).
 */
export async function authenticate(
  services: Pick<AppServices, 'config' | 'db'>,
  presented: string | undefined | null,
): Promise<Principal> {
  const { config } = services;
  const key = presented?.trim();

  if (key) {
    if (config.OSINT_API_KEY && keysEqual(key, config.OSINT_API_KEY)) {
      return { keyName: 'bootstrap', role: 'admin' };
    }
    const row = key.length <= 256 ? await findApiKey(services.db, key) : undefined;
    if (row) return { keyName: row.name, role: row.role as Role };
    throw new AppError('UNAUTHENTICATED', 'the API key is not valid');
  }

  if (openAccess(config)) return { keyName: 'anonymous', role: 'admin' };
  throw new AppError('UNAUTHENTICATED', 'an API key is required (X-API-Key header)');
}

/** Development with no bootstrap key: the server is open, and says so when it starts. */
export function openAccess(config: AppServices['config']): boolean {
  return config.ENVIRONMENT === 'development' && !config.OSINT_API_KEY;
}

import { createLoomClient, type LoomClient } from '../../typescript/src/index.js';

const KEY = 'loom.apiKey';

/**
 * The API key lives in sessionStorage only: gone when the tab closes, never in localStorage,
 * cookies or the URL. `null` means none was chosen yet; '' means "no key" (development).
 */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveKey(key: string): void {
  sessionStorage.setItem(KEY, key.trim());
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}

/** A client for the server that served this page. */
export function clientFor(key: string): LoomClient {
  return createLoomClient({ url: location.origin, apiKey: key || undefined });
}

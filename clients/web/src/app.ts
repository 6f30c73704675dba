import type { LoomClient } from '../../typescript/src/index.js';
import { FINAL_CASE_STATUSES, LoomError } from '../../typescript/src/index.js';
import { byId } from './dom.js';

/** What every view gets: the client, the element to draw into, and the shared alert line. */
export interface AppContext {
  client: LoomClient;
  root: HTMLElement;
  navigate(hash: string): void;
  /** Shows a failure; an invalid key sends the user back to the key form. */
  fail(err: unknown): void;
  clearAlert(): void;
}

export function showAlert(message: string): void {
  const alert = byId('alert');
  alert.textContent = message;
  alert.hidden = false;
}

export function hideAlert(): void {
  const alert = byId('alert');
  alert.textContent = '';
  alert.hidden = true;
}

export function describeError(err: unknown): string {
  if (err instanceof LoomError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export function isAuthError(err: unknown): boolean {
  return err instanceof LoomError && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN');
}

/** Case statuses after which nothing runs until a retry. */
export const FINAL = new Set<string>(FINAL_CASE_STATUSES);

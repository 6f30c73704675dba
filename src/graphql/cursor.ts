import { badInput } from '../errors/app-error.js';

/** Opaque cursors: base64url JSON, validated on the way back in. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(field: string, cursor: string, check: (v: unknown) => v is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw badInput(field, 'is not a cursor this server issued');
}

/** `first` bounded to [1, max], defaulting when absent. */
export function pageSize(
  field: string,
  first: number | null | undefined,
  fallback: number,
  max: number,
) {
  if (first == null) return fallback;
  if (first < 1 || first > max) throw badInput(field, `must be between 1 and ${max}`);
  return first;
}

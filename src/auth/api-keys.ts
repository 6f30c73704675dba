import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

import { asc, eq } from 'drizzle-orm';

import type { Db } from '../db/database.js';
import { apiKeys } from '../db/schema.js';
import { AppError, badInput } from '../errors/app-error.js';
import type { Role } from '../graphql/context.js';
import { ROLES } from './roles.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares in constant time for equal-length inputs; hashing first makes lengths equal. */
export function keysEqual(a: string, b: string): boolean {
  return timingSafeEqual(Buffer.from(hashKey(a), 'hex'), Buffer.from(hashKey(b), 'hex'));
}

/** Creates a key and returns it once; only its hash is stored. */
export async function createApiKey(
  db: Db,
  name: string,
  role: Role,
): Promise<{ key: string; row: ApiKeyRow }> {
  const problem = keyNameProblem(name);
  if (problem) throw badInput('name', problem);
  if (!ROLES.includes(role)) throw badInput('role', `is one of ${ROLES.join(', ')}`);

  const key = `loom_${randomBytes(24).toString('base64url')}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ id: randomUUID(), name, role, keyHash: hashKey(key) })
    .onConflictDoNothing({ target: apiKeys.name })
    .returning();
  if (!row) throw new AppError('CONFLICT', `a key named ${name} exists already`, { field: 'name' });
  return { key, row };
}

export async function findApiKey(db: Db, key: string): Promise<ApiKeyRow | undefined> {
  // The lookup is by hash, an index probe whose timing reveals nothing about the key.
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, hashKey(key)));
  return row && !row.revoked ? row : undefined;
}

/** Records when a key was last used; callers throttle it (see `authenticate`). */
export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, id));
}

// `bootstrap` and `anonymous` name the callers without a stored key in logs and audit rows.
const RESERVED_NAMES = new Set(['bootstrap', 'anonymous']);
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The reason a key name cannot be used, or undefined when it can. */
export function keyNameProblem(name: string): string | undefined {
  if (!KEY_NAME.test(name)) {
    return 'a key name is 1 to 64 letters, digits, dots, dashes or underscores';
  }
  if (RESERVED_NAMES.has(name.toLowerCase())) return `the name ${name} is reserved`;
  return undefined;
}

export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt));
}

export async function revokeApiKey(db: Db, name: string): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revoked: true })
    .where(eq(apiKeys.name, name))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

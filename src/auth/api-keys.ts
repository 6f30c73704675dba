import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

import { asc, eq } from 'drizzle-orm';

import type { Db } from '../db/database.js';
import { apiKeys } from '../db/schema.js';
import type { Role } from '../graphql/context.js';

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
  const key = `loom_${randomBytes(24).toString('base64url')}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ id: randomUUID(), name, role, keyHash: hashKey(key) })
    .returning();
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

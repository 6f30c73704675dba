import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

import { lockDataDir } from './data-dir-lock.js';
import * as schema from './schema.js';

/** The drizzle database both drivers give; repository code is written against this alone. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  driver: 'pglite' | 'postgres';
  migrate(): Promise<void>;
  /** Cheap round trip for /health. */
  ping(): Promise<void>;
  /** Connections in use and idle, for the pool gauge (PGlite has one in-process connection). */
  poolStats(): { total: number; idle: number };
  close(): Promise<void>;
}

/** Advisory lock id serialising migrations between processes ('loom' in ASCII). */
const MIGRATION_LOCK = 0x6c6f6f6d;

export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolMax: number;
}

/** PostgreSQL when a URL is given, otherwise the embedded PGlite database under the data dir. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options) : openPglite(options);
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const inMemory = options.dataDir === 'memory://';
  const dir = inMemory ? 'memory://' : join(resolve(options.dataDir), 'pg');
  let release = () => {};
  if (!inMemory) {
    mkdirSync(dirname(dir), { recursive: true });
    release = lockDataDir(dirname(dir));
  }

  let client: PGlite;
  try {
    client = await PGlite.create(dir);
  } catch (err) {
    release();
    throw err;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;

  return {
    db,
    driver: 'pglite',
    migrate: async () => {
      await migratePglite(db as never, { migrationsFolder });
    },
    ping: async () => {
      await client.query('select 1');
    },
    poolStats: () => ({ total: 1, idle: 1 }),
    close: async () => {
      await client.close();
      release();
    },
  };
}

async function openPostgres(options: DatabaseOptions): Promise<Database> {
  const sql = postgres(options.databaseUrl!, {
    // The migration lock holds one connection while the migrator uses another.
    max: Math.max(2, options.poolMax),
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
  });
  const db = drizzlePostgres(sql, { schema }) as unknown as Db;

  return {
    db,
    driver: 'postgres',
    migrate: async () => {
      // Processes starting side by side take turns: the lock is held on a reserved connection
      // while the migrator works through the pool.
      const lock = await sql.reserve();
      try {
        await lock`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migratePostgres(db as never, { migrationsFolder });
      } finally {
        await lock`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => undefined);
        lock.release();
      }
    },
    ping: async () => {
      await sql`select 1`;
    },
    poolStats: () => {
      // postgres.js exposes no public pool counters; report the configured bound.
      return { total: options.poolMax, idle: 0 };
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

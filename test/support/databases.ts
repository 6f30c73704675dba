import { randomBytes } from 'node:crypto';

import postgres from 'postgres';

import { type Database, openDatabase } from '../../src/db/database.js';

/** The PostgreSQL server the tests use; running on every development and CI machine. */
export const testPostgresUrl =
  process.env.LOOM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Creates a fresh database on the test server and returns its URL and a way to drop it. */
export async function createTestPostgresDatabase(): Promise<{
  url: string;
  drop(): Promise<void>;
}> {
  const name = `loom_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(testPostgresUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();

  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const sql = postgres(testPostgresUrl, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
    },
  };
}

export type DriverName = 'pglite' | 'postgres';

/** Opens a migrated, empty database of the given driver; `close` also drops a PostgreSQL one. */
export async function openTestDatabase(driver: DriverName): Promise<Database> {
  if (driver === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://', poolMax: 1 });
    await database.migrate();
    return database;
  }

  const created = await createTestPostgresDatabase();
  const database = await openDatabase({ databaseUrl: created.url, dataDir: '', poolMax: 4 });
  await database.migrate();
  return {
    ...database,
    close: async () => {
      await database.close();
      await created.drop();
    },
  };
}

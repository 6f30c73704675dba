import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../auth/api-keys.js';
import { ROLES } from '../auth/roles.js';
import { openDatabase, type Database } from '../db/database.js';
import { AppError } from '../errors/app-error.js';
import type { Role } from '../graphql/context.js';
import { loadConfigOrExit } from './serve-command.js';

/**
 * `loom keys …` works on the database named by the configuration (DATABASE_URL, else the
 * embedded one under DATA_DIR). The embedded database belongs to one process at a time: while a
 * server runs on it, manage keys through the GraphQL key mutations instead.
 */
async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfigOrExit();
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    // Migrating on PostgreSQL holds a lock on one connection while it works on another.
    poolMax: 2,
  });
  try {
    await database.migrate();
    return await work(database);
  } finally {
    await database.close();
  }
}

/** Prints the new key alone on stdout, once; it cannot be shown again. */
export async function runKeysCreate(flags: { name: string; role: string }): Promise<number> {
  if (!ROLES.includes(flags.role as Role)) {
    return fail(`--role must be one of ${ROLES.join(', ')}`);
  }
  try {
    const { key, row } = await withDatabase((database) =>
      createApiKey(database.db, flags.name, flags.role as Role),
    );
    process.stdout.write(`${key}\n`);
    process.stderr.write(
      `loom keys: created ${row.name} (${row.role}); the key above is shown only this once\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof AppError) return fail(err.message);
    throw err;
  }
}

export async function runKeysList(flags: { json?: boolean }): Promise<number> {
  const rows = await withDatabase((database) => listApiKeys(database.db));
  if (flags.json) {
    for (const row of rows) process.stdout.write(`${JSON.stringify(describe(row))}\n`);
    return 0;
  }
  const table = [
    ['NAME', 'ROLE', 'STATUS', 'CREATED', 'LAST USED'],
    ...rows.map((row) => {
      const d = describe(row);
      return [d.name, d.role, d.revoked ? 'revoked' : 'active', d.createdAt, d.lastUsedAt ?? '-'];
    }),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((line) => line[i].length)));
  for (const line of table) {
    process.stdout.write(
      `${line
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
  return 0;
}

export async function runKeysRevoke(name: string): Promise<number> {
  const revoked = await withDatabase((database) => revokeApiKey(database.db, name));
  if (!revoked) return fail(`no key named ${name}`, 1);
  process.stderr.write(`loom keys: revoked ${name}\n`);
  return 0;
}

function describe(row: ApiKeyRow) {
  return {
    name: row.name,
    role: row.role,
    revoked: row.revoked,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** One line on stderr; exit code 2 for a bad request, 1 for a key that is not there. */
function fail(reason: string, code = 2): number {
  process.stderr.write(`loom keys: ${reason}\n`);
  return code;
}

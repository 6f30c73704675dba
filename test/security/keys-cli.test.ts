import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openDatabase, type Database } from '../../src/db/database.js';
import { createTestPostgresDatabase } from '../support/databases.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { codes, post } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BOOTSTRAP = 'bootstrap-key-for-the-keys-cli-tests-012345';

/** `loom ARGS` in a child process with only the given settings on top of a clean environment. */
function loom(args: string[], env: Record<string, string>) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(DATABASE_URL|REDIS_URL|ENVIRONMENT|OSINT_API_KEY|NODE_ENV|VITEST.*)$/.test(k),
    ),
  );
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(
      process.execPath,
      [resolve(root, 'bin/loom.mjs'), ...args],
      { cwd: root, env: { ...base, LOG_LEVEL: 'silent', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('loom keys', () => {
  let created: { url: string; drop(): Promise<void> };
  let database: Database;
  let app: TestApp;
  const env = () => ({ DATABASE_URL: created.url });

  beforeAll(async () => {
    created = await createTestPostgresDatabase();
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await database?.close();
    await created?.drop();
  }, 60_000);

  it('creates a key, prints it once, and the server takes it with its role', async () => {
    const made = await loom(
      ['keys', 'create', '--name', 'cli-analyst', '--role', 'analyst'],
      env(),
    );
    expect(made.code).toBe(0);
    const key = made.stdout.trim();
    expect(key).toMatch(/^loom_[A-Za-z0-9_-]{32}$/);
    expect(made.stderr).toContain('shown only this once');

    database = await openDatabase({ databaseUrl: created.url, dataDir: '', poolMax: 4 });
    app = await startTestApp({
      tools: [scriptedTool('quick', {})],
      database,
      env: { ENVIRONMENT: 'production', OSINT_API_KEY: BOOTSTRAP },
    });
    const as = { 'x-api-key': key };
    const create = await post(
      app.url,
      'mutation { createCase(input: { title: "t", target: "example.com", tools: ["quick"] }) { id } }',
      {},
      as,
    );
    expect(create.body.errors).toBeUndefined();
    expect(codes(await post(app.url, '{ apiKeys { name } }', {}, as))).toEqual(['FORBIDDEN']);

    // No trace of the key itself in the database: only its hash.
    const stored = await database.db.query.apiKeys.findFirst();
    expect(JSON.stringify(stored)).not.toContain(key.slice(5));
  });

  it('refuses a second key of the same name, a bad name and an unknown role', async () => {
    const again = await loom(
      ['keys', 'create', '--name', 'cli-analyst', '--role', 'viewer'],
      env(),
    );
    expect(again).toMatchObject({ code: 2, stdout: '' });
    expect(again.stderr).toContain('exists already');

    const badName = await loom(
      ['keys', 'create', '--name', 'bad name;id', '--role', 'viewer'],
      env(),
    );
    expect(badName.code).toBe(2);
    const reserved = await loom(
      ['keys', 'create', '--name', 'bootstrap', '--role', 'admin'],
      env(),
    );
    expect(reserved.code).toBe(2);
    const badRole = await loom(['keys', 'create', '--name', 'x', '--role', 'root'], env());
    expect(badRole).toMatchObject({ code: 2, stdout: '' });
    expect(badRole.stderr).toContain('viewer, analyst, admin');
  });

  it('lists keys with role, status and last use, never the key', async () => {
    const rows = await waitFor(async () => {
      const listed = await loom(['keys', 'list', '--json'], env());
      const parsed = listed.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return parsed[0]?.lastUsedAt ? parsed : undefined;
    });
    expect(rows).toEqual([
      {
        name: 'cli-analyst',
        role: 'analyst',
        revoked: false,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
      },
    ]);
    const table = await loom(['keys', 'list'], env());
    expect(table.stdout).toMatch(/^NAME\s+ROLE\s+STATUS/);
    expect(table.stdout).toMatch(/cli-analyst\s+analyst\s+active/);
  });

  it('revokes a key by name so that the server refuses it at once', async () => {
    const made = await loom(['keys', 'create', '--name', 'to-revoke', '--role', 'viewer'], env());
    const key = made.stdout.trim();
    expect((await post(app.url, '{ cases { totalCount } }', {}, { 'x-api-key': key })).status).toBe(
      200,
    );

    expect((await loom(['keys', 'revoke', 'to-revoke'], env())).code).toBe(0);
    const refused = await post(app.url, '{ cases { totalCount } }', {}, { 'x-api-key': key });
    expect(refused.status).toBe(401);
    expect(codes(refused)).toEqual(['UNAUTHENTICATED']);

    const missing = await loom(['keys', 'revoke', 'nobody'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no key named nobody');
  });

  it('refuses to serve in production without OSINT_API_KEY, saying why', async () => {
    const serve = await loom(['serve'], { ...env(), ENVIRONMENT: 'production', PORT: '0' });
    expect(serve.code).not.toBe(0);
    expect(serve.stderr).toContain('OSINT_API_KEY: required when ENVIRONMENT=production');
  });
});

import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { getCase, listCases } from '../../src/cases/case-repository.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { cases, toolRuns } from '../../src/db/schema.js';
import { insertEvents, listEvents } from '../../src/events/event-repository.js';
import {
  addFindings,
  allFindings,
  listFindings,
  removeRunFindings,
} from '../../src/findings/finding-repository.js';
import {
  claimNextRun,
  finishRun,
  recoverExpiredRuns,
  renewLease,
} from '../../src/runs/run-repository.js';
import {
  createTestPostgresDatabase,
  openTestDatabase,
  type DriverName,
} from '../support/databases.js';

async function seedCase(database: Database, tools: string[] = ['a', 'b']) {
  const caseId = randomUUID();
  await database.db.insert(cases).values({
    id: caseId,
    title: 'seed',
    target: 'example.com',
    targetKind: 'DOMAIN',
    status: 'QUEUED',
  });
  const runIds = tools.map(() => randomUUID());
  await database.db
    .insert(toolRuns)
    .values(tools.map((tool, i) => ({ id: runIds[i], caseId, tool, status: 'QUEUED' })));
  return { caseId, runIds };
}

const lockModule = resolve('src/db/data-dir-lock.ts');

describe.each<DriverName>(['pglite', 'postgres'])('storage on %s', (driver) => {
  let database: Database;

  beforeAll(async () => {
    database = await openTestDatabase(driver);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('hands out dense per-case sequence numbers even to concurrent writers', async () => {
    const { caseId } = await seedCase(database);
    const writers = Array.from({ length: 20 }, (_, i) =>
      insertEvents(database.db, caseId, [
        { type: 'TOOL_OUTPUT', message: `w${i}-1` },
        { type: 'TOOL_OUTPUT', message: `w${i}-2` },
      ]),
    );
    await Promise.all(writers);

    const events = await listEvents(database.db, caseId, { afterSeq: 0, limit: 100 });
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await listEvents(database.db, caseId, { afterSeq: 38 })).map((e) => e.seq)).toEqual([
      39, 40,
    ]);
  });

  it('merges one value found by two tools into one finding listing both', async () => {
    const { caseId, runIds } = await seedCase(database);
    const first = await addFindings(database.db, caseId, runIds[0], 'a', [
      { kind: 'HOST', value: 'www.example.com' },
      { kind: 'IP', value: '192.0.2.1' },
    ]);
    const second = await addFindings(database.db, caseId, runIds[1], 'b', [
      { kind: 'HOST', value: 'www.example.com' },
      { kind: 'HOST', value: 'mail.example.com', data: { via: 'mx' } },
    ]);
    expect(first).toHaveLength(2);
    expect(second.map((f) => f.value).sort()).toEqual(['mail.example.com', 'www.example.com']);

    const all = await allFindings(database.db, caseId);
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({ value: 'www.example.com', tools: ['a', 'b'] });

    const hosts = await listFindings(database.db, caseId, { kind: 'HOST', offset: 0, limit: 1 });
    expect(hosts.totalCount).toBe(2);
    expect(hosts.rows).toHaveLength(1);

    await removeRunFindings(database.db, caseId, runIds[1]);
    const left = await allFindings(database.db, caseId);
    expect(left.map((f) => [f.value, f.tools])).toEqual(
      expect.arrayContaining([
        ['www.example.com', ['a']],
        ['192.0.2.1', ['a']],
      ]),
    );
    expect(left).toHaveLength(2);
  });

  it('lets two workers claim runs without ever sharing one', async () => {
    const { caseId } = await seedCase(database, ['t1', 't2', 't3', 't4', 't5', 't6']);
    await database.db
      .update(toolRuns)
      .set({ status: 'DONE' })
      .where(sql`${toolRuns.caseId} <> ${caseId}`);
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => claimNextRun(database.db, `w${i % 2}`, 30, [])),
    );
    const ids = claims.filter(Boolean).map((r) => r!.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });

  it('requeues a run whose lease expired once, then fails it with the reason', async () => {
    const { caseId, runIds } = await seedCase(database, ['lonely']);
    await database.db
      .update(toolRuns)
      .set({ status: 'DONE' })
      .where(sql`${toolRuns.caseId} <> ${caseId}`);

    const claimed = await claimNextRun(database.db, 'dead-worker', 1, []);
    expect(claimed?.id).toBe(runIds[0]);
    await database.db.execute(
      sql`update tool_runs set lease_expires_at = now() - interval '1 second'`,
    );
    expect(await recoverExpiredRuns(database.db)).toMatchObject([
      { id: runIds[0], status: 'QUEUED' },
    ]);

    await claimNextRun(database.db, 'dead-worker-2', 1, []);
    await database.db.execute(
      sql`update tool_runs set lease_expires_at = now() - interval '1 second'`,
    );
    const [failed] = await recoverExpiredRuns(database.db);
    expect(failed).toMatchObject({ status: 'FAILED' });
    expect(failed.error).toMatch(/lease expired 2 times/);

    expect(await renewLease(database.db, runIds[0], 'dead-worker-2', 5)).toEqual({
      owned: false,
      cancelRequested: false,
    });
    expect(
      await finishRun(database.db, runIds[0], 'dead-worker-2', {
        status: 'SUCCEEDED',
        error: null,
        warnings: [],
        output: '',
        outputTruncated: false,
      }),
    ).toBe(false);
  });

  it('pages cases newest first with a total and a search', async () => {
    const before = (await listCases(database.db, { first: 1000 })).totalCount;
    for (let i = 0; i < 3; i++) {
      await database.db.insert(cases).values({
        id: randomUUID(),
        title: `paging ${i}`,
        target: `p${i}.example.org`,
        targetKind: 'DOMAIN',
        status: 'COMPLETED',
        createdAt: new Date(Date.UTC(2030, 0, 1, 0, 0, i)),
      });
    }
    const page1 = await listCases(database.db, { first: 2, search: 'paging' });
    expect(page1.totalCount).toBe(3);
    expect(page1.rows.map((r) => r.title)).toEqual(['paging 2', 'paging 1']);
    expect(page1.hasNextPage).toBe(true);
    const last = page1.rows[1];
    const page2 = await listCases(database.db, {
      first: 2,
      search: 'paging',
      after: { createdAt: last.createdAt, id: last.id },
    });
    expect(page2.rows.map((r) => r.title)).toEqual(['paging 0']);
    expect((await listCases(database.db, { first: 1000 })).totalCount).toBe(before + 3);
  });

  it('deletes a case with everything it owns', async () => {
    const { caseId, runIds } = await seedCase(database);
    await addFindings(database.db, caseId, runIds[0], 'a', [
      { kind: 'EMAIL', value: 'x@example.com' },
    ]);
    await insertEvents(database.db, caseId, [{ type: 'CASE_STATUS', status: 'QUEUED' }]);
    await database.db.delete(cases).where(eq(cases.id, caseId));
    expect(await getCase(database.db, caseId)).toBeUndefined();
    expect(await allFindings(database.db, caseId)).toEqual([]);
    expect(await listEvents(database.db, caseId)).toEqual([]);
  });
});

describe('embedded database', () => {
  it('keeps its data across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loom-pglite-'));
    try {
      const first = await openDatabase({ dataDir: dir, poolMax: 1 });
      await first.migrate();
      const { caseId } = await seedCase(first);
      await first.close();

      const second = await openDatabase({ dataDir: dir, poolMax: 1 });
      await second.migrate();
      expect((await getCase(second.db, caseId))?.title).toBe('seed');
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migrations on PostgreSQL', () => {
  it('let several processes starting together migrate one database', async () => {
    const created = await createTestPostgresDatabase();
    const databases = await Promise.all(
      [1, 2, 3, 4].map(() => openDatabase({ databaseUrl: created.url, dataDir: '', poolMax: 3 })),
    );
    try {
      await Promise.all(databases.map((database) => database.migrate()));
      const { caseId } = await seedCase(databases[3]);
      expect((await getCase(databases[0].db, caseId))?.title).toBe('seed');
    } finally {
      await Promise.all(databases.map((database) => database.close()));
      await created.drop();
    }
  });
});

describe('embedded database lock', () => {
  it('refuses a second opener of the same data dir while the first is open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loom-pglite-lock-'));
    try {
      const first = await openDatabase({ dataDir: dir, poolMax: 1 });
      const other = spawnSync(
        process.execPath,
        ['--import', 'tsx', '-e', `import('${lockModule}').then((m) => m.lockDataDir('${dir}'))`],
        { encoding: 'utf8' },
      );
      expect(other.status).not.toBe(0);
      expect(other.stderr).toMatch(/in use by process \d+/);
      await first.close();

      const again = await openDatabase({ dataDir: dir, poolMax: 1 });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

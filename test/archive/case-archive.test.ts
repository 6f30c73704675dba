import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CaseArchiver } from '../../src/archive/case-archiver.js';
import { getCase } from '../../src/cases/case-repository.js';
import { openTestDatabase } from '../support/databases.js';
import { type PouchdbServer, startPouchdb } from '../support/pouchdb.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, type TestApp, waitFor } from '../support/test-app.js';
import { createCase, healthOf, loadCase, waitForFinal } from '../ai/helpers.js';
import { cases } from '../../src/db/schema.js';

const DB = 'loom_archive_test';

const steady = scriptedTool('steady', {
  lines: ['resolving'],
  findings: [
    { kind: 'HOST', value: 'www.example.org' },
    { kind: 'IP', value: '192.0.2.44' },
  ],
});
let flips = 0;
/** Finds something different on each run, so a retry visibly changes the case. */
const flipping = scriptedTool('flipping', () => {
  flips += 1;
  return { findings: [{ kind: 'HOST', value: `run${flips}.example.org` }] };
});
const tools = [steady, flipping];

let couch: PouchdbServer;
let app: TestApp;

beforeAll(async () => {
  couch = await startPouchdb();
  app = await startTestApp({
    tools,
    env: {
      COUCHDB_URL: couch.url,
      COUCHDB_DB: DB,
      ARCHIVE_RETRY_MIN_SECONDS: '1',
      ARCHIVE_RETRY_MAX_SECONDS: '2',
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await couch?.stop();
});

const archiveStatusOf = async (caseId: string) => (await loadCase(app, caseId)).archiveStatus;

const waitForArchiveStatus = (caseId: string, status: string, timeoutMs = 20_000) =>
  waitFor(async () => (await archiveStatusOf(caseId)) === status, timeoutMs);

describe('CouchDB archive of finished cases', () => {
  it('holds each finished case as one document keyed by its id, with runs, findings and reports', async () => {
    const caseId = await createCase(app, ['steady']);
    await waitForFinal(app, caseId);
    await waitForArchiveStatus(caseId, 'ARCHIVED');

    const doc = (await app.services.archive!.load(caseId))!;
    expect(doc._id).toBe(caseId);
    expect(doc._rev).toMatch(/^1-/);
    expect(doc.case).toMatchObject({ id: caseId, target: 'example.com', status: 'COMPLETED' });
    expect(doc.runs.map((r) => [r.tool, r.status, r.findingCount])).toEqual([
      ['steady', 'SUCCEEDED', 2],
    ]);
    expect(doc.findings.map((f) => f.value).sort()).toEqual(['192.0.2.44', 'www.example.org']);
    expect(doc.reports.map((r) => r.generator)).toEqual(['loom']);
    expect(doc.reports[0]!.markdown).toContain('www.example.org');

    const health = await healthOf(app);
    expect(health.dependencies.archive).toEqual({ status: 'ok', detail: DB });
  });

  it('updates the same document with a new revision when a retried case finishes again', async () => {
    const caseId = await createCase(app, ['flipping']);
    await waitForFinal(app, caseId);
    await waitForArchiveStatus(caseId, 'ARCHIVED');
    const first = (await app.services.archive!.load(caseId))!;
    expect(first.findings.map((f) => f.value)).toEqual(['run1.example.org']);

    const runs = await app.gql<{ case: { toolRuns: { id: string }[] } }>(
      'query($id: ID!) { case(id: $id) { toolRuns { id } } }',
      { id: caseId },
    );
    const retried = await app.gql('mutation($id: ID!) { retryToolRun(id: $id) { id } }', {
      id: runs.data!.case.toolRuns[0]!.id,
    });
    expect(retried.errors).toBeUndefined();
    // The retry cleared ARCHIVED, so the next ARCHIVED is the second finish's.

    await waitForFinal(app, caseId);
    await waitForArchiveStatus(caseId, 'ARCHIVED');
    const second = (await app.services.archive!.load(caseId))!;
    expect(second._rev).toMatch(/^2-/);
    expect(second.findings.map((f) => f.value)).toEqual(['run2.example.org']);
    expect(Date.parse(second.case.finishedAt!)).toBeGreaterThan(Date.parse(first.case.finishedAt!));
  });

  it('archives a PENDING case left behind by a process that stopped before archiving it', async () => {
    const database = await openTestDatabase('pglite');
    const unarchived = await startTestApp({ tools, database });
    const caseId = await createCase(unarchived, ['steady']);
    await waitForFinal(unarchived, caseId);
    // Without an archive configured nothing waits for one…
    expect((await loadCase(unarchived, caseId)).archiveStatus).toBeNull();
    await unarchived.stop();
    // …so play a process that had one and died between finishing and archiving.
    await database.db.update(cases).set({ archiveStatus: 'PENDING' }).where(eq(cases.id, caseId));

    const archiver = new CaseArchiver({
      db: database.db,
      archive: app.services.archive!,
      log: pino({ level: 'silent' }),
      retryMinMs: 1000,
      retryMaxMs: 2000,
      pendingGraceSeconds: 0,
    });
    try {
      await archiver.catchUp();
      const doc = await app.services.archive!.load(caseId);
      expect(doc?.case.id).toBe(caseId);
      const row = await getCase(database.db, caseId);
      expect(row?.archiveStatus).toBe('ARCHIVED');
      expect(row?.archivedAt).toBeInstanceOf(Date);
    } finally {
      await archiver.close();
      await database.close();
    }
  });

  it('never holds a case back while CouchDB is down, and catches up once it is back', async () => {
    await couch.stop();
    const caseId = await createCase(app, ['steady']);
    const view = await waitForFinal(app, caseId, 10_000);
    expect(view.status).toBe('COMPLETED');
    expect(view.archiveStatus).toBe('PENDING');

    await waitForArchiveStatus(caseId, 'FAILED');
    const health = await healthOf(app);
    expect(health.dependencies.archive?.status).toBe('error');

    couch = await startPouchdb({ port: couch.port });
    await waitForArchiveStatus(caseId, 'ARCHIVED', 30_000);
    const doc = await app.services.archive!.load(caseId);
    expect(doc?.case).toMatchObject({ id: caseId, status: 'COMPLETED' });
  });
});

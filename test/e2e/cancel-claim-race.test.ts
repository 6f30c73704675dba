import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Database, Db } from '../../src/db/database.js';
import { claimNextRun, getRun, renewLease } from '../../src/runs/run-repository.js';
import { CREATE_CASE, type CreatedCase } from '../process/graphql.js';
import { openTestDatabase } from '../support/databases.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const WORKER = 'race-worker';

/**
 * A cancel that meets a claim in flight, on PostgreSQL where the two really run at once: the
 * claim holds the queued run's row, the cancel waits for it and then finds the run neither
 * queued nor (in its snapshot) running. The worker that won must still learn of the cancel.
 */
describe('a cancel racing the claim of a queued run', () => {
  let database: Database;
  let app: TestApp;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    // No worker in the app: the test plays the claiming worker itself.
    app = await startTestApp({
      tools: [scriptedTool('waiting', { hang: true })],
      database,
      workers: false,
    });
  });

  afterAll(async () => {
    await app?.stop();
    await database?.close();
  });

  it('is reported to the worker that won the run at its next heartbeat', async () => {
    const created = await app.gql<CreatedCase>(CREATE_CASE, {
      input: { title: 'Race', target: 'race.example.com', tools: ['waiting'] },
    });
    const caseId = created.data!.createCase.id;
    const runId = created.data!.createCase.toolRuns[0].id;

    let cancelling: Promise<unknown> | undefined;
    await database.db.transaction(async (tx) => {
      const claimed = await claimNextRun(tx as unknown as Db, WORKER, 30, []);
      expect(claimed?.id).toBe(runId);
      // The cancel starts while the claim is not yet committed, and has to wait for its row.
      cancelling = app.services.caseService.cancel(caseId);
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await cancelling;

    const run = await getRun(database.db, runId);
    expect(run).toMatchObject({ status: 'RUNNING', leaseOwner: WORKER });
    expect(await renewLease(database.db, runId, WORKER, 30)).toEqual({
      owned: true,
      cancelRequested: true,
    });
  });
});

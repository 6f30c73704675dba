import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openDatabase, type Database } from '../../src/db/database.js';
import {
  CREATE_CASE,
  FINAL_CASE_STATUSES,
  statusTrail,
  type CaseEvent,
  type CreatedCase,
} from '../process/graphql.js';
import { createTestPostgresDatabase } from '../support/databases.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';

const EVENTS = `query($id: ID!) { case(id: $id) {
  status events { seq type tool status message } toolRuns { tool { name } status attempts } } }`;

interface CaseState {
  case: {
    status: string;
    events: CaseEvent[];
    toolRuns: { tool: { name: string }; status: string; attempts: number }[];
  };
}

/**
 * A retry that slips in while the case's report is being written, on PostgreSQL: the retry
 * passed its check while the case was still running, then waited for the run's row; by the
 * time it queued the run again, the case was already SYNTHESIZING on the old outcome.
 */
describe('a retry racing the end of its case', () => {
  let created: { url: string; drop(): Promise<void> };
  let database: Database;
  let sql: postgres.Sql;
  let app: TestApp;
  let openGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => (openGate = resolve));

  beforeAll(async () => {
    created = await createTestPostgresDatabase();
    database = await openDatabase({ databaseUrl: created.url, dataDir: '', poolMax: 6 });
    await database.migrate();
    sql = postgres(created.url, { max: 1, onnotice: () => {} });
    app = await startTestApp({
      tools: [
        scriptedTool('broken', { fail: 'remote said no' }),
        scriptedTool('slow', { lines: ['working'], stepMs: 1_500 }),
      ],
      database,
    });
    // Holds the first case to finish in SYNTHESIZING until the test lets it go.
    app.services.lifecycle.addSynthesisStep(() => gate);
  });

  afterAll(async () => {
    openGate();
    await app?.stop();
    await sql?.end();
    await database?.close();
    await created?.drop();
  });

  it('leaves the case to finish again after the retried run, never final with a run queued', async () => {
    const made = await app.gql<CreatedCase>(CREATE_CASE, {
      input: { title: 'Retry race', target: 'retry-race.example.com', tools: ['broken', 'slow'] },
    });
    const caseId = made.data!.createCase.id;
    const broken = made.data!.createCase.toolRuns.find((r) => r.tool.name === 'broken')!;
    const state = async () => (await app.gql<CaseState>(EVENTS, { id: caseId })).data!.case;
    await waitFor(async () =>
      (await state()).toolRuns.some((r) => r.tool.name === 'broken' && r.status === 'FAILED'),
    );

    // The retry checks the case (still RUNNING: slow is at work), then waits for the run's row.
    let retrying: Promise<unknown> | undefined;
    await sql.begin(async (tx) => {
      await tx`select id from tool_runs where id = ${broken.id} for update`;
      retrying = app.gql('mutation($id: ID!) { retryToolRun(id: $id) { status } }', {
        id: broken.id,
      });
      // Meanwhile slow ends and its worker starts the case's report on the old outcome.
      await waitFor(async () => (await state()).status === 'SYNTHESIZING');
    });
    const retried = (await retrying) as { data?: unknown; errors?: unknown[] };
    openGate();

    const settled = await waitFor(async () => {
      const now = await state();
      const active = now.toolRuns.some((r) => ['QUEUED', 'RUNNING'].includes(r.status));
      return ['COMPLETED', 'PARTIAL', 'FAILED'].includes(now.status) && !active ? now : undefined;
    }, 15_000);
    const last = settled.events.at(-1)!;
    expect(last).toMatchObject({ type: 'CASE_STATUS', status: 'PARTIAL' });

    // The retry checked the case while it was running, so it was accepted.
    expect(retried.errors).toBeUndefined();
    // The retried run ran and failed again, and the case's last word came after it.
    expect(statusTrail(settled.events, 'broken')).toEqual([
      'QUEUED',
      'RUNNING',
      'FAILED',
      'QUEUED',
      'RUNNING',
      'FAILED',
    ]);
    const lastRunEvent = settled.events.findLast((e) => e.type === 'TOOL_STATUS')!;
    expect(last.seq).toBeGreaterThan(lastRunEvent.seq);
    // Back to work once the report of the old outcome was done, then one final status only.
    // (Whether RUNNING shows again depends on when the worker claimed the retried run.)
    const trail = statusTrail(settled.events, null);
    expect(trail.slice(0, 4)).toEqual(['QUEUED', 'RUNNING', 'SYNTHESIZING', 'QUEUED']);
    expect(trail.slice(-2)).toEqual(['SYNTHESIZING', 'PARTIAL']);
    expect(trail.filter((s) => s !== null && FINAL_CASE_STATUSES.includes(s))).toEqual(['PARTIAL']);
  }, 30_000);
});

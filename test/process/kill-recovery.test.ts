import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestPostgresDatabase } from '../support/databases.js';
import { haveFixtures } from '../support/fixtures.js';
import {
  fixtureReply,
  startReplayServer,
  type RecordedRequest,
  type ReplayServer,
} from '../support/replay-server.js';
import { waitFor } from '../support/test-app.js';
import {
  CASE_RESULT,
  CREATE_CASE,
  FINAL_CASE_STATUSES,
  gqlAt,
  statusTrail,
  type CaseEvent,
  type CaseResult,
  type CreatedCase,
} from './graphql.js';
import { loopbackProcessEnv, startLoom, type LoomProcess } from './loom-process.js';

const CRTSH = 'crtsh/crtsh_2024_dnsname_example_com_exclude_expired.json';
const RDAP = 'rdap/rdap_verisign_com_domain_google_2021.json';
const LEASE_SECONDS = 2;
/** Its first crt.sh request never gets an answer; the next one does. */
const SURVIVOR = 'survivor.example.com';
/** crt.sh never answers for it, whoever asks. */
const DOOMED = 'doomed.example.com';
/** Its first crt.sh answer comes late, while the worker that asked is frozen. */
const FROZEN = 'frozen.example.com';
const LATE_ANSWER_MS = 2_500;
/** Like the survivor: its first crt.sh request hangs, the next is answered. */
const HANDED_BACK = 'handed-back.example.com';

const EVENTS = `query($id: ID!) { case(id: $id) { events {
  seq at type tool status message finding { kind value tools } } } }`;

interface RunRecord {
  id: string;
  case_id: string;
  tool: string;
  status: string;
  lease_owner: string | null;
  lease_live: boolean | null;
  attempts: number;
}

describe.skipIf(!haveFixtures)('a worker process killed with SIGKILL mid-run', () => {
  let database: { url: string; drop(): Promise<void> };
  let sql: postgres.Sql;
  let replay: ReplayServer;
  let api: LoomProcess;
  const processes: LoomProcess[] = [];
  let env: Record<string, string>;

  const crtshAsked = (domain: string) => (r: RecordedRequest) =>
    r.path === '/crtsh/' && r.query.get('q') === `%.${domain}`;

  async function runs(): Promise<RunRecord[]> {
    return sql<RunRecord[]>`
      select id, case_id, tool, status, lease_owner, attempts,
             lease_expires_at > now() as lease_live
      from tool_runs order by tool`;
  }

  async function worker(): Promise<LoomProcess> {
    const started = await startLoom('worker', env);
    processes.push(started);
    return started;
  }

  async function createCase(target: string, tools: string[]): Promise<string> {
    const created = await gqlAt<CreatedCase>(api.url!, CREATE_CASE, {
      input: { title: `Kill -9 ${target}`, target, tools },
    });
    return created.createCase.id;
  }

  async function finalResult(caseId: string, timeoutMs = 20_000): Promise<CaseResult['case']> {
    return waitFor(async () => {
      const { case: found } = await gqlAt<CaseResult>(api.url!, CASE_RESULT, { id: caseId });
      return FINAL_CASE_STATUSES.includes(found.status) ? found : undefined;
    }, timeoutMs);
  }

  async function events(caseId: string): Promise<CaseEvent[]> {
    return (await gqlAt<{ case: { events: CaseEvent[] } }>(api.url!, EVENTS, { id: caseId })).case
      .events;
  }

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    sql = postgres(database.url, { max: 1, onnotice: () => {} });

    const asked = new Map<string, number>();
    replay = await startReplayServer([
      {
        method: 'GET',
        path: '/crtsh/',
        reply: (req) => {
          const q = req.query.get('q') ?? '';
          const count = (asked.get(q) ?? 0) + 1;
          asked.set(q, count);
          if (q === `%.${FROZEN}`) {
            return count === 1
              ? { ...fixtureReply(CRTSH), delayMs: LATE_ANSWER_MS }
              : fixtureReply(CRTSH);
          }
          if (q === `%.${DOOMED}` || count === 1) return { stall: true };
          return fixtureReply(CRTSH);
        },
      },
      {
        method: 'GET',
        path: /^\/rdap\/domain\//,
        reply: fixtureReply(RDAP, { contentType: 'application/rdap+json' }),
      },
    ]);
    env = {
      ...loopbackProcessEnv(database.url, replay.url),
      // Long enough that only the loss of its worker can end a stalled run here.
      CRTSH_TIMEOUT_SECONDS: '300',
      RUN_LEASE_SECONDS: String(LEASE_SECONDS),
    };
    api = await startLoom('serve', { ...env, WORKERS: '0' });
    processes.push(api);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sql?.end();
    await replay?.close();
    await database?.drop();
  });

  it('re-queues the run once, then fails it with the reason; no case stays RUNNING', async () => {
    const survivor = await createCase(SURVIVOR, ['crtsh']);
    const doomed = await createCase(DOOMED, ['crtsh', 'rdap']);

    // Worker B takes both crt.sh runs, which hang on the replay; then B dies without a word.
    const b = await worker();
    await replay.waitForRequest(crtshAsked(SURVIVOR), 15_000);
    await replay.waitForRequest(crtshAsked(DOOMED), 15_000);
    await waitFor(async () =>
      (await runs()).some((r) => r.tool === 'rdap' && r.status === 'SUCCEEDED'),
    );
    const held = (await runs()).filter((r) => r.tool === 'crtsh');
    expect(held.map((r) => [r.status, r.lease_owner, r.attempts])).toEqual([
      ['RUNNING', b.workerId, 1],
      ['RUNNING', b.workerId, 1],
    ]);
    await b.kill('SIGKILL');

    // Worker C notices the expired leases, queues both runs again and finishes the survivor.
    const c = await worker();
    const survived = await finalResult(survivor);
    expect(survived.status).toBe('COMPLETED');
    expect(survived.toolRuns).toMatchObject([
      { tool: { name: 'crtsh' }, status: 'SUCCEEDED', attempts: 2, error: null, findingCount: 3 },
    ]);
    const survivorEvents = await events(survivor);
    expect(survivorEvents.map((e) => e.seq)).toEqual(survivorEvents.map((_, i) => i + 1));
    expect(statusTrail(survivorEvents, 'crtsh')).toEqual([
      'QUEUED',
      'RUNNING',
      'QUEUED',
      'RUNNING',
      'SUCCEEDED',
    ]);
    expect(
      survivorEvents.find((e) => e.type === 'TOOL_STATUS' && e.status === 'QUEUED' && e.message),
    ).toMatchObject({ message: 'worker lost; run queued again' });
    expect(statusTrail(survivorEvents, null)).toEqual([
      'QUEUED',
      'RUNNING',
      'SYNTHESIZING',
      'COMPLETED',
    ]);
    expect(c.logs.some((e) => e.msg === 'recovered lost run')).toBe(true);

    // C has claimed the doomed run a second time (its second attempt); now C dies too.
    await waitFor(() => replay.requests.filter(crtshAsked(DOOMED)).length === 2, 15_000);
    await waitFor(async () => {
      const run = (await runs()).find((r) => r.case_id === doomed && r.tool === 'crtsh');
      return run?.lease_owner === c.workerId && run?.attempts === 2;
    });
    await c.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 + 500));

    // On start-up, D leaves nothing RUNNING without a live lease of its own.
    const d = await worker();
    const running = (await runs()).filter((r) => r.status === 'RUNNING');
    for (const run of running)
      expect([run.lease_owner, run.lease_live]).toEqual([d.workerId, true]);

    const lost = await finalResult(doomed);
    expect(lost.status).toBe('PARTIAL');
    const byTool = Object.fromEntries(lost.toolRuns.map((r) => [r.tool.name, r]));
    expect(byTool.rdap).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(byTool.crtsh).toMatchObject({
      status: 'FAILED',
      attempts: 2,
      error: 'worker lost: its lease expired 2 times',
    });
    expect(lost.report?.markdown).toContain(
      '- **crtsh** (FAILED): worker lost: its lease expired 2 times',
    );
    const doomedEvents = await events(doomed);
    expect(statusTrail(doomedEvents, 'crtsh')).toEqual([
      'QUEUED',
      'RUNNING',
      'QUEUED',
      'RUNNING',
      'FAILED',
    ]);
    expect(doomedEvents.at(-1)).toMatchObject({ type: 'CASE_STATUS', status: 'PARTIAL' });
    // Nobody ever asked crt.sh a third time for it.
    expect(replay.requests.filter(crtshAsked(DOOMED))).toHaveLength(2);

    const left = await sql<{ status: string }[]>`select status from cases`;
    expect(left.map((r) => r.status).sort()).toEqual(['COMPLETED', 'PARTIAL']);
    expect((await runs()).filter((r) => r.status === 'RUNNING')).toEqual([]);
  }, 60_000);

  it('ignores a frozen worker that wakes up after its run was finished by another', async () => {
    // Only the workers of this test claim runs.
    for (const p of processes.filter((p) => p !== api)) await p.stop();

    const caseId = await createCase(FROZEN, ['crtsh']);
    const b = await worker();
    await replay.waitForRequest(crtshAsked(FROZEN), 15_000);
    process.kill(b.child.pid!, 'SIGSTOP');
    try {
      // C takes the run over once B's lease ran out, and finishes the case.
      await worker();
      const done = await finalResult(caseId);
      expect(done.status).toBe('COMPLETED');
      expect(done.toolRuns).toMatchObject([{ status: 'SUCCEEDED', attempts: 2, findingCount: 3 }]);
    } finally {
      process.kill(b.child.pid!, 'SIGCONT');
    }
    const before = await events(caseId);
    expect(before.at(-1)).toMatchObject({ type: 'CASE_STATUS', status: 'COMPLETED' });

    // B wakes with crt.sh's late answer waiting on its socket and a lease that is gone.
    await b.waitForLog(
      (e) =>
        e.caseId === caseId &&
        [
          'output of a lost run dropped',
          'tool run lost its lease; another worker owns it now',
        ].includes(String(e.msg)),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await events(caseId);
    expect(after).toEqual(before);
    const [run] = await sql<{ status: string; attempts: number; lease_owner: string | null }[]>`
      select status, attempts, lease_owner from tool_runs where case_id = ${caseId}`;
    expect(run).toEqual({ status: 'SUCCEEDED', attempts: 2, lease_owner: null });
  }, 60_000);

  it('hands its runs back to the queue when stopped with SIGTERM', async () => {
    for (const p of processes.filter((p) => p !== api)) await p.stop();

    const caseId = await createCase(HANDED_BACK, ['crtsh']);
    const b = await worker();
    await replay.waitForRequest(crtshAsked(HANDED_BACK), 15_000);
    await b.stop();
    expect(b.child.exitCode).toBe(0);
    expect(b.logs.some((e) => e.msg === 'handed unfinished runs back to the queue')).toBe(true);
    const [handed] = (await runs()).filter((r) => r.case_id === caseId);
    expect(handed).toMatchObject({ status: 'QUEUED', lease_owner: null, attempts: 0 });

    await worker();
    const done = await finalResult(caseId);
    expect(done.status).toBe('COMPLETED');
    // A shutdown is no loss: the run keeps both of its attempts for real failures.
    expect(done.toolRuns).toMatchObject([{ status: 'SUCCEEDED', attempts: 1, error: null }]);
    const trail = await events(caseId);
    expect(statusTrail(trail, 'crtsh')).toEqual([
      'QUEUED',
      'RUNNING',
      'QUEUED',
      'RUNNING',
      'SUCCEEDED',
    ]);
  }, 60_000);
});

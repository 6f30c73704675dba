import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { crtshTool } from '../../src/tools/crtsh/index.js';
import { rdapTool } from '../../src/tools/rdap/index.js';
import { createTestPostgresDatabase } from '../support/databases.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';
import { fixtureReply, startReplayServer, type ReplayServer } from '../support/replay-server.js';
import { waitFor } from '../support/test-app.js';
import {
  allFindings,
  CASE_RESULT,
  CREATE_CASE,
  FINAL_CASE_STATUSES,
  gqlAt,
  statusTrail,
  type CaseResult,
  type CreatedCase,
} from './graphql.js';
import { watchOverSse, watchOverWs } from './live-streams.js';
import { loopbackProcessEnv, startLoom, type LoomProcess } from './loom-process.js';

const CRTSH = 'crtsh/crtsh_2023_identity_example_com_edge_cases.json';
const RDAP = 'rdap/rdap_verisign_com_domain_google_2021.json';
/** Yoga's SSE ping and graphql-ws's keep-alive both come every 12 s outside of tests. */
const KEEP_ALIVE_MS = 12_000;
const SLACK_MS = 2_000;
/** crt.sh never answers for it. */
const STALLED = 'cancel-me.example.net';

const key = (f: { kind: string; value: string }) => `${f.kind} ${f.value}`;

/** What the two tools' own parsers find in the recorded answers the replay serves. */
function expectedFindings(): string[] {
  const found = [...crtshTool.parse(readFixture(CRTSH)), ...rdapTool.parse(readFixture(RDAP))];
  return [...new Set(found.map(key))].sort();
}

/** Run ids a worker process logged as started, for the given cases. */
function runsStartedBy(worker: LoomProcess, caseIds: Set<string>): string[] {
  return worker.logs
    .filter((e) => e.msg === 'tool run started' && caseIds.has(String(e.caseId)))
    .map((e) => String(e.runId));
}

describe.skipIf(!haveFixtures)(
  'an API process and worker processes on PostgreSQL and Redis',
  () => {
    let database: { url: string; drop(): Promise<void> };
    let replay: ReplayServer;
    let api: LoomProcess;
    const workers: LoomProcess[] = [];
    let env: Record<string, string>;

    beforeAll(async () => {
      database = await createTestPostgresDatabase();
      replay = await startReplayServer([
        {
          method: 'GET',
          path: '/crtsh/',
          // Slow enough that runs of several cases overlap and output arrives while watched;
          // for one target, never.
          reply: (req) =>
            req.query.get('q') === `%.${STALLED}`
              ? { stall: true }
              : { ...fixtureReply(CRTSH), delayMs: 1_000 },
        },
        {
          method: 'GET',
          path: /^\/rdap\/domain\//,
          reply: fixtureReply(RDAP, { contentType: 'application/rdap+json' }),
        },
      ]);
      env = {
        ...loopbackProcessEnv(database.url, replay.url),
        CRTSH_TIMEOUT_SECONDS: '20',
        RUN_LEASE_SECONDS: '5',
      };
      api = await startLoom('serve', { ...env, WORKERS: '0' });
    });

    afterAll(async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await api?.stop();
      await replay?.close();
      await database?.drop();
    });

    it('streams a case run by a worker process live to subscribers of the API process', async () => {
      const created = await gqlAt<CreatedCase>(api.url!, CREATE_CASE, {
        input: { title: 'Across processes', target: 'example.com', tools: ['crtsh', 'rdap'] },
      });
      const caseId = created.createCase.id;
      expect(created.createCase.status).toBe('QUEUED');

      const ws = watchOverWs(api.url!, { caseId, afterSeq: 0 });
      const sse = watchOverSse(api.url!, { caseId });
      try {
        // No process runs workers yet: the replay shows the queued case and nothing more.
        await waitFor(() => ws.events.length >= 3 && sse.pings.length >= 1);
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(ws.events.map((e) => `${e.type} ${e.status}`)).toEqual([
          'CASE_STATUS QUEUED',
          'TOOL_STATUS QUEUED',
          'TOOL_STATUS QUEUED',
        ]);
        expect(sse.events).toEqual([]);

        // Everything from here on is written by the worker process and reaches the API
        // process through Redis alone.
        workers.push(await startLoom('worker', env));
        const events = await ws.finished;

        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        expect(statusTrail(events, null)).toEqual([
          'QUEUED',
          'RUNNING',
          'SYNTHESIZING',
          'COMPLETED',
        ]);
        expect(statusTrail(events, 'crtsh')).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
        expect(statusTrail(events, 'rdap')).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
        expect(events.filter((e) => e.type === 'TOOL_OUTPUT').length).toBeGreaterThan(0);
        expect(events.filter((e) => e.type === 'REPORT')).toHaveLength(1);
        const streamed = events.filter((e) => e.finding).map((e) => key(e.finding!));
        expect([...new Set(streamed)].sort()).toEqual(expectedFindings());

        // The live-only SSE subscriber got every event after it joined, in order, past its first.
        const live = await sse.finished;
        expect(live.length).toBeGreaterThan(1);
        expect(live).toEqual(events.slice(events.length - live.length));
        expect(live[0].seq).toBe(4);

        const [worker] = workers;
        expect(runsStartedBy(worker, new Set([caseId]))).toHaveLength(2);
        expect(api.logs.some((e) => e.msg === 'tool run started')).toBe(false);

        const result = await gqlAt<CaseResult>(api.url!, CASE_RESULT, { id: caseId });
        expect(result.case.status).toBe('COMPLETED');
        const stored = (await allFindings(api.url!, caseId)).map(key).sort();
        expect(stored).toEqual(expectedFindings());
        expect(result.case.report?.generator).toBe('loom');
        const markdown = result.case.report!.markdown;
        expect(markdown).toMatch(/\| crtsh \| SUCCEEDED \| [\d.]+ s \| 12 \|/);
        expect(markdown).toMatch(/\| rdap \| SUCCEEDED \| [\d.]+ s \| 6 \|/);
        expect(markdown).toContain('| www.example.com | crtsh |');
        expect(markdown).toContain('| ns1.google.com | rdap |');

        // Both transports keep an idle subscription alive with pings at their interval.
        await waitFor(
          () => sse.pings.length >= 2 && ws.pings.length >= 1,
          KEEP_ALIVE_MS + SLACK_MS,
        );
        expect(sse.pings[1] - sse.pings[0]).toBeLessThanOrEqual(KEEP_ALIVE_MS + SLACK_MS);
        expect(ws.pings[0] - ws.connectedAt!).toBeLessThanOrEqual(KEEP_ALIVE_MS + SLACK_MS);
      } finally {
        sse.close();
        await ws.close();
      }
    }, 60_000);

    it('never runs one tool run twice when two worker processes claim from one queue', async () => {
      workers.push(await startLoom('worker', env));
      const targets = Array.from({ length: 6 }, (_, i) => `shared-queue-${i}.example.net`);
      const caseIds: string[] = [];
      for (const target of targets) {
        const created = await gqlAt<CreatedCase>(api.url!, CREATE_CASE, {
          input: { title: `Queue ${target}`, target, tools: ['crtsh', 'rdap'] },
        });
        caseIds.push(created.createCase.id);
      }

      const results = await waitFor(async () => {
        const all = await Promise.all(
          caseIds.map((id) => gqlAt<CaseResult>(api.url!, CASE_RESULT, { id })),
        );
        return all.every((r) => FINAL_CASE_STATUSES.includes(r.case.status)) ? all : undefined;
      }, 40_000);

      for (const result of results) {
        expect(result.case.status).toBe('COMPLETED');
        for (const run of result.case.toolRuns) expect(run.attempts).toBe(1);
      }
      for (const target of targets) {
        const crtsh = replay.requests.filter((r) => r.query.get('q') === `%.${target}`);
        expect(crtsh).toHaveLength(1);
        expect(replay.requestsTo('GET', `/rdap/domain/${target}`)).toHaveLength(1);
      }

      const ids = new Set(caseIds);
      const [first, second] = workers.map((w) => runsStartedBy(w, ids));
      expect(first.length).toBeGreaterThan(0);
      expect(second.length).toBeGreaterThan(0);
      expect(first.filter((runId) => second.includes(runId))).toEqual([]);
      expect(new Set([...first, ...second]).size).toBe(targets.length * 2);
    }, 60_000);

    it('cancels a run held by a worker process from the API process within seconds', async () => {
      const created = await gqlAt<CreatedCase>(api.url!, CREATE_CASE, {
        input: { title: 'Cancel across processes', target: STALLED, tools: ['crtsh', 'rdap'] },
      });
      const caseId = created.createCase.id;
      await replay.waitForRequest((r) => r.query.get('q') === `%.${STALLED}`, 15_000);
      await waitFor(async () => {
        const { case: found } = await gqlAt<CaseResult>(api.url!, CASE_RESULT, { id: caseId });
        return found.toolRuns.some((r) => r.tool.name === 'rdap' && r.status === 'SUCCEEDED');
      });

      const asked = Date.now();
      await gqlAt(api.url!, 'mutation($id: ID!) { cancelCase(id: $id) { id } }', { id: caseId });
      const result = await waitFor(async () => {
        const { case: found } = await gqlAt<CaseResult>(api.url!, CASE_RESULT, { id: caseId });
        return FINAL_CASE_STATUSES.includes(found.status) ? found : undefined;
      }, 10_000);
      expect(Date.now() - asked).toBeLessThan(5_000);

      expect(result.status).toBe('CANCELLED');
      const byTool = Object.fromEntries(result.toolRuns.map((r) => [r.tool.name, r.status]));
      expect(byTool).toEqual({ crtsh: 'CANCELLED', rdap: 'SUCCEEDED' });
      expect(result.report?.markdown).toContain('| crtsh | CANCELLED |');
      // The worker process holding the run ended it; the API process only asked.
      const ended = workers.flatMap((w) =>
        w.logs.filter((e) => e.msg === 'tool run finished' && e.caseId === caseId),
      );
      expect(ended.map((e) => [e.tool, e.status]).sort()).toEqual([
        ['crtsh', 'CANCELLED'],
        ['rdap', 'SUCCEEDED'],
      ]);
    }, 60_000);
  },
);

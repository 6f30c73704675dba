import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { collectSse, collectWs, wsClient } from '../support/subscriptions.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';

const EVENTS = `subscription($caseId: ID!, $afterSeq: Int) {
  caseEvents(caseId: $caseId, afterSeq: $afterSeq) {
    seq type tool status message finding { kind value tools }
  }
}`;

type Ev = {
  caseEvents: {
    seq: number;
    type: string;
    tool: string | null;
    status: string | null;
    message: string | null;
    finding: { kind: string; value: string; tools: string[] } | null;
  };
};

const CREATE = `mutation($input: CreateCaseInput!) {
  createCase(input: $input) { id status target targetKind toolRuns { id status tool { name } } }
}`;

const isFinal = (e: Ev) =>
  e.caseEvents.type === 'CASE_STATUS' &&
  ['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED'].includes(e.caseEvents.status ?? '');

describe('a case from creation to report', () => {
  let app: TestApp;
  const slow = scriptedTool('slowpoke', {
    lines: ['starting', 'looking around'],
    findings: [
      { kind: 'HOST', value: 'www.example.com' },
      { kind: 'IP', value: '192.0.2.10' },
    ],
    stepMs: 150,
  });
  const quick = scriptedTool('quick', {
    lines: ['one line'],
    findings: [{ kind: 'HOST', value: 'www.example.com' }],
  });
  const broken = scriptedTool('broken', { lines: ['about to fail'], fail: 'remote said no' });
  const hanging = scriptedTool('hanging', { lines: ['waiting forever'], hang: true, stepMs: 10 });
  const userOnly = scriptedTool('useronly', {}, ['USERNAME']);

  beforeAll(async () => {
    app = await startTestApp({ tools: [slow, quick, broken, hanging, userOnly] });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('streams every run, output, finding and the report over graphql-ws, ending with the final status', async () => {
    const created = await app.gql<{ createCase: { id: string; status: string } }>(CREATE, {
      input: { title: 'Example', target: 'Example.com', tools: ['slowpoke', 'quick'] },
    });
    expect(created.errors).toBeUndefined();
    const caseId = created.data!.createCase.id;
    expect(created.data!.createCase.status).toBe('QUEUED');

    const client = wsClient(app.url);
    const events = await collectWs<Ev>(client, EVENTS, { caseId, afterSeq: 0 }, isFinal);
    await client.dispose();

    const seqs = events.map((e) => e.caseEvents.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const kinds = events.map((e) => e.caseEvents.type);
    expect(kinds).toContain('TOOL_OUTPUT');
    expect(kinds).toContain('REPORT');
    const statuses = events
      .filter((e) => e.caseEvents.type === 'TOOL_STATUS' && e.caseEvents.tool === 'slowpoke')
      .map((e) => e.caseEvents.status);
    expect(statuses).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    const caseStatuses = events
      .filter((e) => e.caseEvents.type === 'CASE_STATUS')
      .map((e) => e.caseEvents.status);
    expect(caseStatuses).toEqual(['QUEUED', 'RUNNING', 'SYNTHESIZING', 'COMPLETED']);
    const found = events
      .filter((e) => e.caseEvents.finding)
      .map((e) => e.caseEvents.finding!.value);
    expect(new Set(found)).toEqual(new Set(['www.example.com', '192.0.2.10']));

    const result = await app.gql<{
      case: {
        status: string;
        report: { markdown: string; generator: string };
        findings: { totalCount: number; edges: { node: { value: string; tools: string[] } }[] };
        toolRuns: { tool: { name: string }; findingCount: number; output: string }[];
      };
    }>(
      `query($id: ID!) { case(id: $id) { status report { markdown generator }
        findings(kind: HOST) { totalCount edges { node { value tools } } }
        toolRuns { tool { name } findingCount output(tailLines: 5) } } }`,
      { id: caseId },
    );
    const c = result.data!.case;
    expect(c.status).toBe('COMPLETED');
    expect(c.report.generator).toBe('loom');
    expect(c.report.markdown).toContain('www.example.com');
    expect(c.findings.edges[0].node).toEqual({
      value: 'www.example.com',
      tools: ['quick', 'slowpoke'],
    });
    const slowRun = c.toolRuns.find((r) => r.tool.name === 'slowpoke')!;
    expect(slowRun.findingCount).toBe(2);
    expect(slowRun.output).toContain('looking around');
  });

  it('replays the past then streams live over SSE with no gap or duplicate', async () => {
    const created = await app.gql<{ createCase: { id: string } }>(CREATE, {
      input: { title: 'SSE', target: 'example.org', tools: ['slowpoke', 'broken'] },
    });
    const caseId = created.data!.createCase.id;
    // Let some events happen before subscribing, so both replay and live parts are exercised.
    await waitFor(async () => {
      const r = await app.gql<{ case: { events: unknown[] } }>(
        'query($id: ID!) { case(id: $id) { events { seq } } }',
        { id: caseId },
      );
      return r.data!.case.events.length >= 4;
    });
    const events = await collectSse<Ev>(app.url, EVENTS, { caseId, afterSeq: 2 }, isFinal);
    const seqs = events.map((e) => e.caseEvents.seq);
    expect(seqs[0]).toBe(3);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 3));
    expect(events.at(-1)!.caseEvents.status).toBe('PARTIAL');
    const brokenEnd = events.find(
      (e) => e.caseEvents.tool === 'broken' && e.caseEvents.status === 'FAILED',
    );
    expect(brokenEnd?.caseEvents.message).toBe('remote said no');
  });

  it('cancels a running case within a few seconds, keeping finished runs', async () => {
    const created = await app.gql<{ createCase: { id: string } }>(CREATE, {
      input: { title: 'Cancel me', target: 'example.net', tools: ['hanging', 'quick'] },
    });
    const caseId = created.data!.createCase.id;
    await waitFor(async () => hanging.started > 0);
    await waitFor(async () => {
      const r = await app.gql<{ case: { toolRuns: { status: string }[] } }>(
        'query($id: ID!) { case(id: $id) { toolRuns { status } } }',
        { id: caseId },
      );
      return r.data!.case.toolRuns.some((t) => t.status === 'SUCCEEDED');
    });

    const cancelled = await app.gql<{ cancelCase: { status: string } }>(
      'mutation($id: ID!) { cancelCase(id: $id) { status } }',
      { id: caseId },
    );
    expect(cancelled.errors).toBeUndefined();
    const final = await waitFor(async () => {
      const r = await app.gql<{
        case: { status: string; toolRuns: { tool: { name: string }; status: string }[] };
      }>('query($id: ID!) { case(id: $id) { status toolRuns { tool { name } status } } }', {
        id: caseId,
      });
      return r.data!.case.status === 'CANCELLED' ? r.data!.case : undefined;
    }, 10_000);
    const byTool = Object.fromEntries(final.toolRuns.map((r) => [r.tool.name, r.status]));
    expect(byTool).toEqual({ hanging: 'CANCELLED', quick: 'SUCCEEDED' });
  });

  it('retries a failed run and reopens its case; deletes only finished cases', async () => {
    const created = await app.gql<{
      createCase: { id: string; toolRuns: { id: string; tool: { name: string } }[] };
    }>(CREATE, {
      input: { title: 'Retry', target: 'retry.example.com', tools: ['broken', 'slowpoke'] },
    });
    const caseId = created.data!.createCase.id;
    const brokenRun = created.data!.createCase.toolRuns.find((r) => r.tool.name === 'broken')!;

    const refused = await app.gql('mutation($id: ID!) { deleteCase(id: $id) }', { id: caseId });
    expect(refused.errors?.[0].extensions?.code).toBe('CONFLICT');

    const status = async () =>
      (
        await app.gql<{ case: { status: string } }>(
          'query($id: ID!) { case(id: $id) { status } }',
          { id: caseId },
        )
      ).data!.case.status;
    await waitFor(async () => (await status()) === 'PARTIAL');

    const retried = await app.gql<{ retryToolRun: { status: string } }>(
      'mutation($id: ID!) { retryToolRun(id: $id) { status } }',
      { id: brokenRun.id },
    );
    expect(retried.data!.retryToolRun.status).toBe('QUEUED');
    await waitFor(async () => (await status()) === 'PARTIAL');
    const events = await app.gql<{ case: { events: { type: string; status: string }[] } }>(
      'query($id: ID!) { case(id: $id) { events { type status } } }',
      { id: caseId },
    );
    const caseStatuses = events
      .data!.case.events.filter((e) => e.type === 'CASE_STATUS')
      .map((e) => e.status);
    expect(caseStatuses.filter((s) => s === 'PARTIAL')).toHaveLength(2);
    expect(caseStatuses).toContain('QUEUED');

    const deleted = await app.gql<{ deleteCase: boolean }>(
      'mutation($id: ID!) { deleteCase(id: $id) }',
      { id: caseId },
    );
    expect(deleted.data!.deleteCase).toBe(true);
    expect(
      (await app.gql<{ case: null }>('query($id: ID!) { case(id: $id) { id } }', { id: caseId }))
        .data!.case,
    ).toBeNull();
  });

  it.each([
    [{ title: 'x', target: 'example.com', tools: ['nope'] }, 'tools[0]'],
    [{ title: 'x', target: 'example.com', tools: ['useronly'] }, 'tools[0]'],
    [{ title: 'x', target: 'example.com', tools: ['quick', 'quick'] }, 'tools'],
    [{ title: 'x', target: 'example.com', tools: [] }, 'tools'],
    [{ title: 'x'.repeat(201), target: 'example.com', tools: ['quick'] }, 'title'],
    [{ title: 'bad\u0007bell', target: 'example.com', tools: ['quick'] }, 'title'],
    [
      { title: 'x', description: 'd'.repeat(1001), target: 'example.com', tools: ['quick'] },
      'description',
    ],
    [{ title: 'x', target: 'example.com; rm -rf /', tools: ['quick'] }, 'target'],
    [{ title: 'x', target: '$(id)', tools: ['quick'] }, 'target'],
    [{ title: 'x', target: 'fe80::1%eth0', tools: ['quick'] }, 'target'],
    [
      {
        title: 'x',
        target: 'example.com',
        tools: ['quick'],
        toolOptions: { quick: { depth: 99 } },
      },
      'toolOptions.quick.depth',
    ],
    [
      {
        title: 'x',
        target: 'example.com',
        tools: ['quick'],
        toolOptions: { quick: { evil: '`id`' } },
      },
      'toolOptions.quick',
    ],
    [
      { title: 'x', target: 'example.com', tools: ['quick'], toolOptions: { other: {} } },
      'toolOptions',
    ],
  ])('refuses %j with BAD_USER_INPUT naming %s, storing nothing', async (input, field) => {
    const before = await app.gql<{ cases: { totalCount: number } }>('{ cases { totalCount } }');
    const result = await app.gql(CREATE, { input });
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    const after = await app.gql<{ cases: { totalCount: number } }>('{ cases { totalCount } }');
    expect(after.data!.cases.totalCount).toBe(before.data!.cases.totalCount);
  });
});

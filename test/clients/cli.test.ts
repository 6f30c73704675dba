import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { runLoom } from './run-loom.js';

type Event = { seq: number; type: string; tool: string | null; status: string | null };

const CREATE = `mutation($input: CreateCaseInput!) { createCase(input: $input) { id } }`;

describe('the loom command against a running server', () => {
  let app: TestApp;
  let dir: string;
  const sockets = new Set<Duplex>();
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
  const drip = scriptedTool('drip', {
    lines: Array.from({ length: 16 }, (_, i) => `line ${i + 1}`),
    findings: [{ kind: 'HOST', value: 'drip.example.com' }],
    stepMs: 200,
  });
  const broken = scriptedTool('broken', { lines: ['about to fail'], fail: 'remote said no' });
  const hanging = scriptedTool('hanging', { lines: ['waiting'], hang: true, stepMs: 10 });
  // Fails the first time, then works slowly: a retry reopens its finished case.
  let flakyCalls = 0;
  const flaky = scriptedTool('flaky', () =>
    ++flakyCalls === 1
      ? { fail: 'first attempt fails' }
      : {
          lines: ['second', 'attempt'],
          findings: [{ kind: 'HOST', value: 'flaky.example.com' }],
          stepMs: 300,
        },
  );

  const env = () => ({ LOOM_URL: app.url, LOOM_API_KEY: undefined, NO_COLOR: undefined });
  const createCase = async (target: string, tools: string[]) => {
    const created = await app.gql<{ createCase: { id: string } }>(CREATE, {
      input: { title: `About ${target}`, target, tools },
    });
    expect(created.errors).toBeUndefined();
    return created.data!.createCase.id;
  };

  beforeAll(async () => {
    app = await startTestApp({ tools: [slow, quick, drip, broken, hanging, flaky] });
    // Every WebSocket the server accepts, so a test can cut them as a network failure would.
    app.http.server.on('upgrade', (_req, socket: Duplex) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    dir = await mkdtemp(join(tmpdir(), 'loom-cli-'));
  });
  afterAll(async () => {
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a case with --watch and shows each tool progressing to the end, without escape codes', async () => {
    const run = await runLoom(
      [
        'case',
        'create',
        'example.com',
        '--tools',
        'slowpoke,quick',
        '--title',
        'First look',
        '--watch',
      ],
      { env: env() },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\x1b');

    const lines = run.stdout.split('\n');
    const id = /^case (\S+) QUEUED$/.exec(lines[0])?.[1];
    expect(id).toBeTruthy();
    expect(lines[1]).toBe('First look (example.com, domain)');
    expect(lines).toContainEqual(
      expect.stringMatching(/^slowpoke\s+RUNNING\s+\d+\.\ds\s+0 findings$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^slowpoke\s+SUCCEEDED\s+\d+\.\ds\s+2 findings$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^quick\s+SUCCEEDED\s+\d+\.\ds\s+1 finding$/),
    );
    expect(lines).toContain('case RUNNING');
    expect(lines).toContain('report written by loom');
    expect(lines.at(-2)).toMatch(
      new RegExp(
        `^case ${id} ended COMPLETED after \\d+\\.\\ds, 2 findings; report: loom report ${id}$`,
      ),
    );

    const stored = await app.gql<{ case: { status: string } }>(
      'query($id: ID!) { case(id: $id) { status } }',
      { id },
    );
    expect(stored.data!.case.status).toBe('COMPLETED');
  });

  it('shows output lines and findings under --verbose', async () => {
    const id = await createCase('example.net', ['slowpoke']);
    const run = await runLoom(['watch', id, '--verbose'], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  [slowpoke] looking around');
    expect(run.stdout).toContain('  [slowpoke] found IP 192.0.2.10');
  });

  it('resumes after the server drops the WebSocket, missing and repeating no event', async () => {
    const id = await createCase('example.org', ['drip', 'quick']);
    let seen = 0;
    let cut = false;
    const run = await runLoom(['watch', id, '--json'], {
      env: env(),
      onStdout: (all) => {
        seen = all.split('\n').filter(Boolean).length;
        if (!cut && seen >= 5) {
          cut = true;
          for (const socket of sockets) socket.destroy();
        }
      },
    });
    expect(cut).toBe(true);
    expect(run.code).toBe(0);

    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: 'CASE_STATUS', status: 'COMPLETED' });

    // The dropped connection happened mid-case and the client said where it resumed from.
    const resumed = /resuming after seq (\d+)/.exec(run.stderr);
    expect(resumed, run.stderr).not.toBeNull();
    expect(Number(resumed![1])).toBeGreaterThanOrEqual(5);
    expect(Number(resumed![1])).toBeLessThan(seqs.length);

    const stored = await app.gql<{ case: { events: Event[] } }>(
      'query($id: ID!) { case(id: $id) { events { seq type tool status } } }',
      { id },
    );
    expect(stored.errors).toBeUndefined();
    expect(events.map(({ seq, type, tool, status }) => ({ seq, type, tool, status }))).toEqual(
      stored.data!.case.events,
    );
  });

  it('follows a finished case that a retry reopened, past its earlier final status', async () => {
    const id = await createCase('retry.example.com', ['flaky']);
    const first = await runLoom(['watch', id], { env: env() });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/ended FAILED/);

    const runs = await app.gql<{ case: { toolRuns: { id: string }[] } }>(
      'query($id: ID!) { case(id: $id) { toolRuns { id } } }',
      { id },
    );
    const retried = await app.gql('mutation($id: ID!) { retryToolRun(id: $id) { id } }', {
      id: runs.data!.case.toolRuns[0].id,
    });
    expect(retried.errors).toBeUndefined();

    const second = await runLoom(['watch', id, '--json'], { env: env() });
    expect(second.code).toBe(0);
    const finals = second.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event)
      .filter(
        (e) => e.type === 'CASE_STATUS' && e.status !== 'RUNNING' && e.status !== 'SYNTHESIZING',
      )
      .map((e) => e.status);
    expect(finals).toEqual(['QUEUED', 'FAILED', 'QUEUED', 'COMPLETED']);
  });

  it('writes the report to a file with --out, and prints it otherwise', async () => {
    const id = await createCase('example.com', ['quick']);
    expect((await runLoom(['watch', id], { env: env() })).code).toBe(0);

    const file = join(dir, 'report.md');
    const run = await runLoom(['report', id, '--out', file], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^wrote ${file} \\(\\d+ bytes, by loom\\)`));
    const markdown = await readFile(file, 'utf8');
    const stored = await app.gql<{ case: { report: { markdown: string } } }>(
      'query($id: ID!) { case(id: $id) { report { markdown } } }',
      { id },
    );
    expect(markdown).toBe(stored.data!.case.report.markdown);
    expect(markdown).toContain('# About example.com');
    expect(markdown).toContain('www.example.com');

    const printed = await runLoom(['report', id], { env: env() });
    expect(printed.stdout).toBe(markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  });

  it('shows the server error for bad input and exits non-zero', async () => {
    const badTarget = await runLoom(['case', 'create', 'not a target!!', '--tools', 'quick'], {
      env: env(),
    });
    expect(badTarget.code).toBe(1);
    expect(badTarget.stdout).toBe('');
    expect(badTarget.stderr).toBe(
      'loom: BAD_USER_INPUT: target: is not a valid domain, IP address, email or username\n',
    );

    const badTool = await runLoom(['case', 'create', 'example.com', '--tools', 'quick,nope'], {
      env: env(),
    });
    expect(badTool.code).toBe(1);
    expect(badTool.stderr).toContain('BAD_USER_INPUT: tools[1]: unknown tool "nope"');

    const json = await runLoom(['case', 'create', 'example.com', '--tools', 'nope', '--json'], {
      env: env(),
    });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toMatchObject({
      error: { code: 'BAD_USER_INPUT', message: 'tools[0]: unknown tool "nope"' },
    });

    const missing = await runLoom(['case', 'show', '00000000-0000-4000-8000-000000000000'], {
      env: env(),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');

    const unreachable = await runLoom(['case', 'list', '--url', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^loom: NETWORK: cannot reach http:\/\/127\.0\.0\.1:9\/graphql/,
    );
  });

  it('prints JSON that parses for create, list, show and cancel', async () => {
    const created = await runLoom(
      ['case', 'create', 'json.example.com', '--tools', 'hanging', '--json'],
      { env: env() },
    );
    expect(created.code).toBe(0);
    const c = JSON.parse(created.stdout) as { id: string; status: string; toolRuns: unknown[] };
    expect(c.status).toBe('QUEUED');
    expect(c.toolRuns).toHaveLength(1);

    const list = await runLoom(['case', 'list', '--json', '--search', 'json.example'], {
      env: env(),
    });
    const listed = JSON.parse(list.stdout) as { totalCount: number; cases: { id: string }[] };
    expect(listed.cases.map((x) => x.id)).toEqual([c.id]);
    expect(listed.totalCount).toBe(1);

    const plainList = await runLoom(['case', 'list'], { env: env() });
    expect(plainList.stdout.split('\n')[0]).toMatch(
      /^ID\s+STATUS\s+CREATED\s+TARGET\s+TOOLS\s+TITLE$/,
    );
    expect(plainList.stdout).toContain(c.id);

    await waitFor(() => hanging.started > 0);
    const shown = await runLoom(['case', 'show', c.id, '--json'], { env: env() });
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: c.id, target: 'json.example.com' });

    const cancelled = await runLoom(['cancel', c.id, '--json'], { env: env() });
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id: c.id });

    // A cancelled case ends the watch with its own exit code.
    const watched = await runLoom(['watch', c.id], { env: env() });
    expect(watched.code).toBe(3);
    expect(watched.stdout).toMatch(/ended CANCELLED/);
  });

  it('exits 1 when the case fails, naming why each tool failed', async () => {
    const run = await runLoom(['case', 'create', 'example.com', '--tools', 'broken', '--watch'], {
      env: env(),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^broken\s+FAILED\s+\d+\.\ds\s+0 findings\s+remote said no$/m);
    expect(run.stdout).toMatch(/ended FAILED/);
  });
});

describe('the loom command with API keys', () => {
  let app: TestApp;
  const quick = scriptedTool('quick', { findings: [{ kind: 'HOST', value: 'a.example.com' }] });

  beforeAll(async () => {
    app = await startTestApp({ tools: [quick], env: { OSINT_API_KEY: 'test-bootstrap-key' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('sends the key from LOOM_API_KEY or --api-key, over HTTP and WebSocket alike', async () => {
    const base = { LOOM_URL: app.url, LOOM_API_KEY: undefined };
    const denied = await runLoom(['case', 'list'], { env: base });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('UNAUTHENTICATED');

    const created = await runLoom(
      [
        'case',
        'create',
        'example.com',
        '--tools',
        'quick',
        '--watch',
        '--api-key',
        'test-bootstrap-key',
      ],
      { env: base },
    );
    expect(created.code).toBe(0);
    const id = /^case (\S+) QUEUED$/m.exec(created.stdout)![1];

    const watched = await runLoom(['watch', id, '--json'], {
      env: { ...base, LOOM_API_KEY: 'test-bootstrap-key' },
    });
    expect(watched.code).toBe(0);
    expect(watched.stdout.trim().split('\n').at(-1)).toContain('"COMPLETED"');

    const wrongKey = await runLoom(['watch', id], { env: { ...base, LOOM_API_KEY: 'wrong' } });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('UNAUTHENTICATED');
  });
});

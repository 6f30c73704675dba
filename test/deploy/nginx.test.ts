import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CONSOLE_CSP, writeConsole } from '../../src/console/console-assets.js';
import { collectSse, collectWs, wsClient } from '../support/subscriptions.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { adaptNginxConfig, freePort, haveNginx, startNginx } from './nginx-config.js';

const root = resolve(import.meta.dirname, '../..');
if (!haveNginx) console.warn('nginx tests skipped: /usr/sbin/nginx is not installed');

const EVENTS = `subscription($caseId: ID!, $afterSeq: Int) {
  caseEvents(caseId: $caseId, afterSeq: $afterSeq) { seq type tool status }
}`;
type Ev = { caseEvents: { seq: number; type: string; tool: string | null; status: string | null } };
const isFinal = (e: Ev) =>
  e.caseEvents.type === 'CASE_STATUS' &&
  ['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED'].includes(e.caseEvents.status ?? '');

/** A raw GET, with the headers exactly as nginx sent them (fetch would decompress). */
function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }>(
    (done, fail) => {
      const req = request(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string | string[]>,
            body: Buffer.concat(chunks),
          }),
        );
      });
      req.on('error', fail);
      req.end();
    },
  );
}

describe.skipIf(!haveNginx)('nginx.prod.conf in front of Loom', () => {
  let app: TestApp;
  let dir: string;
  let nginx: { child: ChildProcess; log: () => string };
  let base: string;
  let redirectBase: string;

  const drip = scriptedTool('drip', {
    lines: Array.from({ length: 8 }, (_, i) => `line ${i + 1}`),
    findings: [{ kind: 'HOST', value: 'www.example.com' }],
    stepMs: 200,
  });

  const createCase = async (target: string) => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($input: CreateCaseInput!) { createCase(input: $input) { id } }',
        variables: { input: { title: target, target, tools: ['drip'] } },
      }),
    });
    const body = (await res.json()) as { data: { createCase: { id: string } } };
    return body.data.createCase.id;
  };

  beforeAll(async () => {
    app = await startTestApp({ tools: [drip] });
    dir = await mkdtemp(join(tmpdir(), 'loom-nginx-'));
    const htmlDir = join(dir, 'html');
    await writeConsole(join(htmlDir, 'console'), { minify: true });
    // A dot file that must stay hidden even though it exists.
    await writeFile(join(htmlDir, 'console', '.env'), 'OSINT_API_KEY=secret\n');
    // Workers run as nobody when nginx starts as root: they must be able to read the files.
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'logs'), { recursive: true });

    const [mainPort, redirectPort] = [await freePort(), await freePort()];
    const conf = adaptNginxConfig(await readFile(join(root, 'nginx.prod.conf'), 'utf8'), {
      prefix: dir,
      htmlDir,
      apiPort: Number(new URL(app.url).port),
      mainPort,
      redirectPort,
    });
    await writeFile(join(dir, 'nginx.conf'), conf);
    nginx = startNginx(join(dir, 'nginx.conf'), dir);
    base = `http://127.0.0.1:${mainPort}`;
    redirectBase = `http://127.0.0.1:${redirectPort}`;
    await waitFor(async () => {
      if (nginx.child.exitCode !== null) {
        await new Promise((r) => setTimeout(r, 200));
        const errors = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
        throw new Error(`nginx exited with ${nginx.child.exitCode}:\n${nginx.log()}${errors}`);
      }
      return (await fetch(`${base}/health`).catch(() => undefined))?.ok;
    });
  });
  afterAll(async () => {
    if (nginx?.child.exitCode === null) {
      const exited = new Promise((r) => nginx.child.once('exit', r));
      nginx.child.kill('SIGTERM');
      await exited;
    }
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('carries a GraphQL query with its request id, without its version or duplicate headers', async () => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'through-nginx-1' },
      body: JSON.stringify({ query: '{ tools { name available } }' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { tools: [{ name: 'drip', available: true }] } });
    expect(res.headers.get('x-request-id')).toBe('through-nginx-1');
    expect(res.headers.get('server')).toBe('nginx');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);

    // The access log is JSON with the same request id, and paths without query strings.
    await fetch(`${base}/console/?apiKey=do-not-log`);
    const lines = await waitFor(async () => {
      const log = await readFile(join(dir, 'access.log'), 'utf8').catch(() => '');
      const parsed = log
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      return parsed.some((l) => String(l.path).startsWith('/console/')) && parsed;
    });
    expect(lines).toContainEqual(
      expect.objectContaining({ request_id: 'through-nginx-1', path: '/graphql', status: 200 }),
    );
    expect(JSON.stringify(lines)).not.toContain('do-not-log');
  });

  it('streams a subscription over SSE as events happen, not at the end', async () => {
    const caseId = await createCase('sse.example.com');
    const arrivals: number[] = [];
    const events = await collectSse<Ev>(base, EVENTS, { caseId, afterSeq: 0 }, (item, all) => {
      arrivals.push(Date.now());
      return isFinal(item) || all.length > 500;
    });
    const seqs = events.map((e) => e.caseEvents.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(events.at(-1)!.caseEvents.status).toBe('COMPLETED');
    // The tool takes more than a second; buffered events would all land together at the end.
    expect(arrivals.at(-1)! - arrivals[0]).toBeGreaterThan(800);
  });

  it('carries a graphql-ws subscription through the WebSocket upgrade', async () => {
    const caseId = await createCase('ws.example.com');
    const client = wsClient(base);
    try {
      const events = await collectWs<Ev>(client, EVENTS, { caseId, afterSeq: 0 }, isFinal);
      const seqs = events.map((e) => e.caseEvents.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
      const statuses = events
        .filter((e) => e.caseEvents.type === 'TOOL_STATUS')
        .map((e) => e.caseEvents.status);
      expect(statuses).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    } finally {
      await client.dispose();
    }
  });

  it('serves the console with its policy, compressed, and hides dot files', async () => {
    const page = await get(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body.toString()).toContain('<script type="module" src="console.js"></script>');

    const script = await get(`${base}/console/console.js`, { 'accept-encoding': 'gzip' });
    expect(script.status).toBe(200);
    expect(script.headers['content-encoding']).toBe('gzip');
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(gunzipSync(script.body).toString()).toContain('graphql-transport-ws');

    expect((await get(`${base}/console/.env`)).status).toBe(404);
    expect((await get(`${base}/.git/config`)).status).toBe(404);
    expect((await get(`${base}/metrics`)).status).toBe(404);
    expect((await get(`${base}/`)).headers.location).toBe('/console/');
  });

  it('redirects plain HTTP to HTTPS but answers health checks there', async () => {
    const redirected = await get(`${redirectBase}/console/?x=1`, { host: 'loom.example.org' });
    expect(redirected.status).toBe(301);
    expect(redirected.headers.location).toBe('https://loom.example.org/console/?x=1');
    const health = await get(`${redirectBase}/health`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString())).toMatchObject({ status: 'ok' });
    expect((await get(`${redirectBase}/nginx-health`)).body.toString()).toBe('ok\n');
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { promisify } from 'node:util';

import { generate } from '@graphql-codegen/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import codegenConfig from '../../clients/typescript/codegen.js';
import {
  CaseDetailDocument,
  CreateCaseDocument,
  createLoomClient,
  LoomError,
  subscribeCaseEvents,
  type CaseEvent,
  type LoomClient,
  type ReconnectInfo,
} from '../../clients/typescript/src/index.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { root } from './run-loom.js';

const run = promisify(execFile);
const GENERATED = 'clients/typescript/src/generated/graphql.ts';

describe('the typed client package', () => {
  it('compiles with its own tsconfig', async () => {
    const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '--noEmit', '-p', 'clients/typescript'], {
      cwd: root,
    }).catch((err: { stdout: string; code: number }) => ({ stdout: err.stdout, code: err.code }));
    expect(result.stdout).toBe('');
  }, 120_000);

  it('has a generated file that matches schema.graphql and the operations', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loom-codegen-'));
    try {
      const target = join(dir, 'graphql.ts');
      const { generates } = codegenConfig;
      await generate(
        { ...codegenConfig, cwd: root, generates: { [target]: generates[GENERATED] } },
        true,
      );
      const fresh = await readFile(target, 'utf8');
      const committed = await readFile(resolve(root, GENERATED), 'utf8');
      expect(fresh.length).toBeGreaterThan(1000);
      expect(committed, 'run npm run codegen and commit the result').toBe(fresh);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the typed client against a server', () => {
  let app: TestApp;
  let client: LoomClient;
  const sockets = new Set<Duplex>();
  const drip = scriptedTool('drip', {
    lines: Array.from({ length: 12 }, (_, i) => `line ${i + 1}`),
    findings: [{ kind: 'HOST', value: 'drip.example.com' }],
    stepMs: 150,
  });

  beforeAll(async () => {
    app = await startTestApp({ tools: [drip] });
    app.http.server.on('upgrade', (_req, socket: Duplex) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    client = createLoomClient({ url: app.url, webSocketImpl: WebSocket });
  });
  afterAll(async () => {
    await client?.dispose();
    await app?.stop();
  });

  it('types requests and turns GraphQL errors into a LoomError with the server code', async () => {
    const { createCase } = await client.request(CreateCaseDocument, {
      input: { title: 'Typed', target: 'example.com', tools: ['drip'] },
    });
    expect(createCase.status).toBe('QUEUED');
    expect(createCase.toolRuns.map((r) => r.tool.name)).toEqual(['drip']);

    const failure = await client
      .request(CreateCaseDocument, { input: { title: 'x', target: 'example.com', tools: [] } })
      .catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LoomError);
    expect(failure).toMatchObject({ code: 'BAD_USER_INPUT', message: 'tools: give 1 to 10 tools' });
  });

  it('resumes from the last seq after dropped connections and ends at the final status', async () => {
    const { createCase } = await client.request(CreateCaseDocument, {
      input: { title: 'Resume', target: 'example.org', tools: ['drip'] },
    });
    const events: CaseEvent[] = [];
    const reconnects: (ReconnectInfo & { delivered: number })[] = [];
    const result = await subscribeCaseEvents(client, createCase.id, {
      afterSeq: 0,
      minDelayMs: 20,
      onEvent: (event) => {
        events.push(event);
        // Cut the connection twice, at different points of the stream.
        if (events.length === 3 || events.length === 9) for (const s of sockets) s.destroy();
      },
      onReconnect: (info) => reconnects.push({ ...info, delivered: events.length }),
    });

    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(result.final).toMatchObject({ type: 'CASE_STATUS', status: 'COMPLETED' });
    expect(result.lastSeq).toBe(seqs.length);
    // Each resubscription asks for what came after the last event delivered before the loss.
    expect(reconnects).toHaveLength(2);
    for (const r of reconnects) expect(r.afterSeq).toBe(r.delivered);
    expect(reconnects[0].afterSeq).toBeGreaterThanOrEqual(3);
    expect(reconnects[1].afterSeq).toBeGreaterThanOrEqual(9);
    expect(
      events.filter((e) => e.type === 'TOOL_OUTPUT').flatMap((e) => e.message!.split('\n')),
    ).toEqual(Array.from({ length: 12 }, (_, i) => `line ${i + 1}`));

    const { case: detail } = await client.request(CaseDetailDocument, { id: createCase.id });
    expect(detail?.status).toBe('COMPLETED');
  });

  it('starts after the given seq and rejects for an unknown case', async () => {
    const { createCase } = await client.request(CreateCaseDocument, {
      input: { title: 'Later', target: 'example.net', tools: ['drip'] },
    });
    const all: CaseEvent[] = [];
    await subscribeCaseEvents(client, createCase.id, { onEvent: (e) => all.push(e) });
    const later: CaseEvent[] = [];
    await subscribeCaseEvents(client, createCase.id, {
      afterSeq: 5,
      onEvent: (e) => later.push(e),
    });
    expect(later).toEqual(all.slice(5));

    const missing = await subscribeCaseEvents(client, '00000000-0000-4000-8000-000000000000', {
      onEvent: () => {},
    }).catch((err: unknown) => err);
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('stops when its signal aborts', async () => {
    const { createCase } = await client.request(CreateCaseDocument, {
      input: { title: 'Abort', target: 'example.com', tools: ['drip'] },
    });
    const controller = new AbortController();
    const seen: number[] = [];
    const result = await subscribeCaseEvents(client, createCase.id, {
      signal: controller.signal,
      onEvent: (e) => {
        seen.push(e.seq);
        if (seen.length === 2) controller.abort();
      },
    });
    expect(result).toEqual({ lastSeq: 2, final: undefined });
  });
});

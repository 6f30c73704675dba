import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { post, RawWs, wsCode } from './helpers.js';
import { storedCases, storedCounts } from './stored-state.js';

const KEY = 'bootstrap-key-for-the-hostile-socket-tests-1';
const EVENTS = `subscription($caseId: ID!) { caseEvents(caseId: $caseId, afterSeq: 0) { seq } }`;

describe('hostile WebSocket clients', () => {
  let app: TestApp;
  let caseId: string;
  let before: Record<string, number>;
  let seeded: Awaited<ReturnType<typeof storedCases>>;
  let listenersAtRest: number;

  beforeAll(async () => {
    app = await startTestApp({
      tools: [scriptedTool('quick', { lines: ['one line'] })],
      env: {
        ENVIRONMENT: 'production',
        OSINT_API_KEY: KEY,
        WS_CONNECTION_INIT_TIMEOUT_MS: '300',
        WS_MAX_MESSAGES_PER_SECOND: '10000',
        MAX_SUBSCRIPTIONS_PER_KEY: '25',
      },
    });
    const created = await post<{ createCase: { id: string } }>(
      app.url,
      'mutation { createCase(input: { title: "t", target: "example.com", tools: ["quick"] }) { id } }',
      {},
      { 'x-api-key': KEY },
    );
    caseId = created.body.data!.createCase.id;
    await waitFor(async () => {
      const reply = await post<{ case: { status: string } }>(
        app.url,
        'query($id: ID!) { case(id: $id) { status } }',
        { id: caseId },
        { 'x-api-key': KEY },
      );
      return reply.body.data?.case.status === 'COMPLETED';
    });
    before = await storedCounts(app.services.db);
    seeded = await storedCases(app.services.db);
    listenersAtRest = app.services.bus.listenerCount();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('closes a socket that never sends connection_init with 4408', async () => {
    const sockets = Array.from({ length: 50 }, () => new RawWs(app.url));
    const closes = await Promise.all(sockets.map((s) => s.closed));
    expect(new Set(closes.map((c) => c.code))).toEqual(new Set([4408]));
  });

  it('closes sockets that break the protocol, each with its graphql-ws code', async () => {
    const early = new RawWs(app.url);
    await early.opened;
    early.subscribe('1', '{ __typename }');
    expect((await early.closed).code).toBe(4401);

    const notJson = new RawWs(app.url);
    await notJson.opened;
    notJson.send('{"type": "connection_init"');
    expect((await notJson.closed).code).toBe(4400);

    const unknownType = new RawWs(app.url);
    await unknownType.opened;
    unknownType.send({ type: 'hello' });
    expect((await unknownType.closed).code).toBe(4400);

    const binary = new RawWs(app.url);
    expect(await binary.init({ apiKey: KEY })).toEqual({ acked: true });
    binary.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await binary.closed).code).toBe(4400);

    const twice = new RawWs(app.url);
    expect(await twice.init({ apiKey: KEY })).toEqual({ acked: true });
    twice.send({ type: 'connection_init', payload: { apiKey: KEY } });
    expect((await twice.closed).code).toBe(4429);

    const duplicate = new RawWs(app.url);
    await duplicate.init({ apiKey: KEY });
    duplicate.subscribe('same', EVENTS, { caseId });
    duplicate.subscribe('same', EVENTS, { caseId });
    expect((await duplicate.closed).code).toBe(4409);

    const wrongProtocol = new RawWs(app.url, null);
    expect((await wrongProtocol.closed).code).toBe(4406);

    const badParams = new RawWs(app.url);
    expect(await badParams.init({ apiKey: { $ne: null } })).toMatchObject({
      acked: false,
      close: { code: 4401 },
    });
  });

  it('answers malformed operations on an open socket with coded errors and keeps it open', async () => {
    const socket = new RawWs(app.url);
    await socket.init({ apiKey: KEY });
    const attempts: [string, string, Record<string, unknown>][] = [
      ['syntax', '{ cases {', {}],
      ['unknown', '{ noSuchField }', {}],
      ['deep', `${'{ a '.repeat(30)}${'}'.repeat(30)}`, {}],
      ['vars', EVENTS, { caseId: { nested: true } }],
      ['missing', EVENTS, {}],
      ['nocase', EVENTS, { caseId: 'no-such-case' }],
      ['schema', '{ __schema { types { name } } }', {}],
    ];
    for (const [id, query, variables] of attempts) socket.subscribe(id, query, variables);
    for (const [id] of attempts) {
      const code = wsCode(await socket.result(id));
      expect(typeof code, id).toBe('string');
    }
    socket.subscribe('fine', '{ __typename }');
    expect(await socket.result('fine')).toMatchObject({
      payload: { data: { __typename: 'Query' } },
    });
    socket.close();
  });

  it('refuses subscriptions past MAX_SUBSCRIPTIONS_PER_KEY when one socket asks thousands of times', async () => {
    const socket = new RawWs(app.url);
    await socket.init({ apiKey: KEY });
    for (let i = 0; i < 3000; i += 1) socket.subscribe(`s${i}`, EVENTS, { caseId });

    // A refused subscription gets one result carrying the error, then complete.
    const refusedIds = await waitFor(() => {
      const ids = new Set(socket.messages.filter((m) => wsCode(m)).map((m) => m.id));
      return ids.size >= 2975 ? ids : undefined;
    }, 30_000);
    expect(refusedIds.size).toBe(2975);
    const codesSeen = socket.messages.filter((m) => wsCode(m)).map((m) => wsCode(m));
    expect(new Set(codesSeen)).toEqual(new Set(['RATE_LIMITED']));
    expect(app.services.subscriptions.openCount).toBe(25);

    // The live ones still stream: each replays the stored events.
    expect(socket.messages.some((m) => m.id === 's0' && m.type === 'next')).toBe(true);

    socket.close();
    await socket.closed;
    await waitFor(() => app.services.subscriptions.openCount === 0);
    await waitFor(() => app.services.bus.listenerCount() === listenersAtRest);
  }, 60_000);

  it('kept serving, with nothing stored lost or changed', async () => {
    expect(await storedCounts(app.services.db)).toEqual(before);
    expect(await storedCases(app.services.db)).toEqual(seeded);
    const ok = await post(app.url, '{ cases { totalCount } }', {}, { 'x-api-key': KEY });
    expect(ok.body.data).toEqual({ cases: { totalCount: before.cases } });
  });
});

describe('a WebSocket that floods', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      tools: [],
      env: { ENVIRONMENT: 'production', OSINT_API_KEY: KEY, WS_MAX_MESSAGES_PER_SECOND: '20' },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('is closed with 1008 while a well-behaved socket beside it is served', async () => {
    const calm = new RawWs(app.url);
    expect(await calm.init({ apiKey: KEY })).toEqual({ acked: true });

    const flood = new RawWs(app.url);
    expect(await flood.init({ apiKey: KEY })).toEqual({ acked: true });
    for (let i = 0; i < 5000 && flood.socket.readyState === WebSocket.OPEN; i += 1) {
      flood.send({ type: 'ping' });
      if (i % 100 === 0) flood.subscribe(`q${i}`, '{ __typename }');
    }
    const closed = await flood.closed;
    expect(closed).toEqual({ code: 1008, reason: 'message rate limit exceeded' });

    calm.subscribe('after', '{ __typename }');
    expect(await calm.result('after')).toMatchObject({
      payload: { data: { __typename: 'Query' } },
    });
    calm.close();
  });
});

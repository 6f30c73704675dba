import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/auth/api-keys.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { codes, post, RawWs, wsCode, type Reply } from './helpers.js';

const BOOTSTRAP = 'bootstrap-key-for-the-rate-tests-0123456789';
const LIMITS = {
  RATE_LIMIT_READS_PER_MINUTE: '5',
  RATE_LIMIT_TOOLS_PER_MINUTE: '3',
  RATE_LIMIT_CREATE_CASE_PER_MINUTE: '2',
  RATE_LIMIT_CHAT_PER_MINUTE: '2',
  RATE_LIMIT_WRITES_PER_MINUTE: '3',
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3',
  MAX_SUBSCRIPTIONS_PER_KEY: '3',
  TRUST_PROXY_HOPS: '1',
};
const EVENTS = `subscription($caseId: ID!) { caseEvents(caseId: $caseId) { seq } }`;
const CREATE = (title: string) =>
  `mutation { createCase(input: { title: "${title}", target: "example.com", tools: ["hang"] }) { id } }`;

function expectLimited(reply: Reply, rateClass: string) {
  expect(reply.status).toBe(429);
  expect(codes(reply)).toEqual(['RATE_LIMITED']);
  const extensions = reply.body.errors![0].extensions!;
  expect(extensions.rateClass).toBe(rateClass);
  expect(extensions.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(extensions.retryAfterSeconds).toBeLessThanOrEqual(60);
  expect(reply.headers.get('retry-after')).toBe(String(extensions.retryAfterSeconds));
  expect(extensions).not.toHaveProperty('http');
}

describe('rate limits per key and operation class (in memory)', () => {
  let app: TestApp;
  let keyNo = 0;

  /** A fresh analyst key: each test spends its own budget. */
  const freshKey = async () =>
    (await createApiKey(app.services.db, `rate-${(keyNo += 1)}`, 'analyst')).key;

  beforeAll(async () => {
    app = await startTestApp({
      tools: [scriptedTool('hang', { hang: true, stepMs: 10 })],
      env: { ...LIMITS, ENVIRONMENT: 'production', OSINT_API_KEY: BOOTSTRAP },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('allows RATE_LIMIT_READS_PER_MINUTE reads, then answers 429 RATE_LIMITED with the wait', async () => {
    const key = await freshKey();
    for (let i = 0; i < 5; i += 1) {
      const reply = await post(app.url, '{ cases { totalCount } }', {}, { 'x-api-key': key });
      expect(reply.body.errors).toBeUndefined();
    }
    expectLimited(
      await post(app.url, '{ cases { totalCount } }', {}, { 'x-api-key': key }),
      'reads',
    );

    // Another key has its own budget.
    const other = await post(app.url, '{ cases { totalCount } }', {}, { 'x-api-key': BOOTSTRAP });
    expect(other.body.errors).toBeUndefined();
  });

  it('counts WebSocket operations in the same budget as HTTP ones', async () => {
    const key = await freshKey();
    for (let i = 0; i < 3; i += 1) {
      expect((await post(app.url, '{ __typename }', {}, { 'x-api-key': key })).status).toBe(200);
    }
    const socket = new RawWs(app.url);
    expect(await socket.init({ apiKey: key })).toEqual({ acked: true });
    for (const id of ['4', '5', '6']) socket.subscribe(id, '{ __typename }');
    expect(wsCode(await socket.result('4'))).toBeUndefined();
    expect(wsCode(await socket.result('5'))).toBeUndefined();
    const limited = await socket.result('6');
    expect(wsCode(limited)).toBe('RATE_LIMITED');
    expect(JSON.stringify(limited)).not.toContain('"http"');
    socket.close();
  });

  it('counts tools, createCase, chat and other writes each in its own budget', async () => {
    const key = await freshKey();
    const as = { 'x-api-key': key };

    for (let i = 0; i < 3; i += 1) {
      expect((await post(app.url, '{ tools { name } }', {}, as)).body.errors).toBeUndefined();
    }
    expectLimited(await post(app.url, '{ tools { name } }', {}, as), 'tools');

    for (let i = 0; i < 2; i += 1) {
      expect((await post(app.url, CREATE(`c${i}`), {}, as)).body.errors).toBeUndefined();
    }
    expectLimited(await post(app.url, CREATE('c3'), {}, as), 'createCase');

    const chat = 'mutation { chat(input: { message: "hello" }) { id } }';
    for (let i = 0; i < 2; i += 1) {
      expect(codes(await post(app.url, chat, {}, as))).toEqual(['LLM_UNAVAILABLE']);
    }
    expectLimited(await post(app.url, chat, {}, as), 'chat');

    const cancel = 'mutation { cancelCase(id: "nope") { id } }';
    for (let i = 0; i < 3; i += 1) {
      expect(codes(await post(app.url, cancel, {}, as))).toEqual(['NOT_FOUND']);
    }
    expectLimited(await post(app.url, cancel, {}, as), 'writes');

    // Reads were never touched by all of that.
    expect((await post(app.url, '{ cases { totalCount } }', {}, as)).body.errors).toBeUndefined();
  });

  it('counts every aliased root field: two createCase in one request spend two', async () => {
    const key = await freshKey();
    const pair = `mutation {
      a: createCase(input: { title: "a", target: "example.com", tools: ["hang"] }) { id }
      b: createCase(input: { title: "b", target: "example.com", tools: ["hang"] }) { id }
    }`;
    const reply = await post<{ a: { id: string }; b: { id: string } }>(
      app.url,
      pair,
      {},
      {
        'x-api-key': key,
      },
    );
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.data!.a.id).not.toBe(reply.body.data!.b.id);
    expectLimited(await post(app.url, CREATE('third'), {}, { 'x-api-key': key }), 'createCase');
  });

  it('refuses a client address that sent RATE_LIMIT_AUTH_FAILURES_PER_MINUTE wrong keys, but never a valid key', async () => {
    const from = { 'x-forwarded-for': '198.51.100.7' };
    for (let i = 0; i < 3; i += 1) {
      const reply = await post(app.url, '{ __typename }', {}, { ...from, 'x-api-key': `bad-${i}` });
      expect(codes(reply)).toEqual(['UNAUTHENTICATED']);
    }
    expectLimited(
      await post(app.url, '{ __typename }', {}, { ...from, 'x-api-key': 'bad-4' }),
      'authFailures',
    );
    const socket = new RawWs(app.url);
    const outcome = await socket.init({ apiKey: 'bad-5' });
    // The WebSocket comes from 127.0.0.1 without a proxy header: a budget of its own.
    expect(outcome.close?.code).toBe(4403);

    const valid = await post(app.url, '{ __typename }', {}, { ...from, 'x-api-key': BOOTSTRAP });
    expect(valid.body.errors).toBeUndefined();
    const otherAddress = await post(
      app.url,
      '{ __typename }',
      {},
      {
        'x-forwarded-for': '198.51.100.8',
        'x-api-key': 'bad-6',
      },
    );
    expect(codes(otherAddress)).toEqual(['UNAUTHENTICATED']);
  });

  it('caps open subscriptions per key at MAX_SUBSCRIPTIONS_PER_KEY over SSE and WebSocket together', async () => {
    const key = await freshKey();
    const created = await post<{ createCase: { id: string } }>(
      app.url,
      CREATE('subs'),
      {},
      {
        'x-api-key': BOOTSTRAP,
      },
    );
    const caseId = created.body.data!.createCase.id;

    const sse = new AbortController();
    const stream = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-api-key': key,
      },
      body: JSON.stringify({ query: EVENTS, variables: { caseId } }),
      signal: sse.signal,
    });
    expect(stream.status).toBe(200);

    const socket = new RawWs(app.url);
    await socket.init({ apiKey: key });
    socket.subscribe('s1', EVENTS, { caseId });
    socket.subscribe('s2', EVENTS, { caseId });
    await new Promise((r) => setTimeout(r, 200));
    expect(app.services.subscriptions.openCount).toBe(3);
    socket.subscribe('s3', EVENTS, { caseId });
    expect(wsCode(await socket.result('s3'))).toBe('RATE_LIMITED');

    // Closing one frees its place.
    sse.abort();
    await new Promise((r) => setTimeout(r, 200));
    socket.subscribe('s4', EVENTS, { caseId });
    await new Promise((r) => setTimeout(r, 200));
    expect(socket.messages.some((m) => m.id === 's4' && m.type === 'error')).toBe(false);
    expect(app.services.subscriptions.openCount).toBe(3);
    socket.close();
    await socket.closed;
    await new Promise((r) => setTimeout(r, 200));
    expect(app.services.subscriptions.openCount).toBe(0);
  });
});

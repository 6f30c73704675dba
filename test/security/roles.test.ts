import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiKey } from '../../src/auth/api-keys.js';
import { listAudit } from '../../src/auth/audit-log.js';
import type { Role } from '../../src/graphql/context.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { collectSse, collectWs, wsClient } from '../support/subscriptions.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';
import { codes, post, rawPost, RawWs, wsCode } from './helpers.js';

const BOOTSTRAP = 'bootstrap-key-for-the-role-tests-0123456789';

const CREATE = `mutation($input: CreateCaseInput!) { createCase(input: $input) { id status } }`;
const EVENTS = `subscription($caseId: ID!) { caseEvents(caseId: $caseId, afterSeq: 0) { seq type status } }`;
const CHAT_STREAM = `subscription { chatStream(input: { message: "hello" }) { delta done } }`;

type Outcome = 'allowed' | 'FORBIDDEN';

/** Every root operation with the lowest role that may call it. */
const OPERATIONS: { name: string; query: string; needs: Role }[] = [
  { name: 'cases', query: '{ cases { totalCount } }', needs: 'viewer' },
  { name: 'case', query: '{ case(id: "nope") { id } }', needs: 'viewer' },
  { name: 'tools', query: '{ tools { name } }', needs: 'viewer' },
  {
    name: 'createCase',
    query: `mutation { createCase(input: { title: "t", target: "example.com", tools: ["quick"] }) { id } }`,
    needs: 'analyst',
  },
  { name: 'cancelCase', query: 'mutation { cancelCase(id: "nope") { id } }', needs: 'analyst' },
  { name: 'retryToolRun', query: 'mutation { retryToolRun(id: "nope") { id } }', needs: 'analyst' },
  { name: 'deleteCase', query: 'mutation { deleteCase(id: "nope") }', needs: 'analyst' },
  { name: 'chat', query: 'mutation { chat(input: { message: "hi" }) { id } }', needs: 'analyst' },
  { name: 'apiKeys', query: '{ apiKeys { name } }', needs: 'admin' },
  { name: 'auditLog', query: '{ auditLog(first: 5) { operation } }', needs: 'admin' },
  {
    name: 'createApiKey',
    query: 'mutation { createApiKey(name: "made-by-test", role: VIEWER) { key } }',
    needs: 'admin',
  },
  { name: 'revokeApiKey', query: 'mutation { revokeApiKey(name: "nobody") }', needs: 'admin' },
];

const RANK: Record<Role, number> = { viewer: 1, analyst: 2, admin: 3 };

describe('API keys and roles in production', () => {
  let app: TestApp;
  const keys = {} as Record<Role, string>;

  beforeAll(async () => {
    app = await startTestApp({
      tools: [scriptedTool('quick', { lines: ['one line'] })],
      env: { ENVIRONMENT: 'production', OSINT_API_KEY: BOOTSTRAP },
    });
    for (const role of ['viewer', 'analyst', 'admin'] as const) {
      keys[role] = (await createApiKey(app.services.db, `${role}-key`, role)).key;
    }
  });
  afterAll(async () => {
    await app?.stop();
  });

  const headers = (key: string) => ({ 'x-api-key': key });

  it('refuses a missing, wrong or over-long key with 401 UNAUTHENTICATED before parsing', async () => {
    for (const key of [undefined, 'loom_wrong', 'x'.repeat(10_000)]) {
      const reply = await post(app.url, '{ cases { totalCount } }', {}, key ? headers(key) : {});
      expect(reply.status).toBe(401);
      expect(codes(reply)).toEqual(['UNAUTHENTICATED']);
      expect(reply.body.data).toBeUndefined();
    }
    // Not even a syntax error is reported to a caller without a key.
    const garbage = await post(app.url, '{ this is not graphql');
    expect(garbage.status).toBe(401);
    expect(codes(garbage)).toEqual(['UNAUTHENTICATED']);
  });

  for (const role of ['viewer', 'analyst', 'admin'] as const) {
    it(`lets a ${role} key call exactly the operations of its role over HTTP`, async () => {
      const outcomes: Record<string, Outcome> = {};
      const expected: Record<string, Outcome> = {};
      for (const op of OPERATIONS) {
        const reply = await post(app.url, op.query, {}, headers(keys[role]));
        const forbidden = codes(reply).includes('FORBIDDEN');
        outcomes[op.name] = forbidden ? 'FORBIDDEN' : 'allowed';
        expected[op.name] = RANK[role] >= RANK[op.needs] ? 'allowed' : 'FORBIDDEN';
        if (forbidden) expect(reply.status).toBe(403);
        expect(codes(reply)).not.toContain('UNAUTHENTICATED');
      }
      expect(outcomes).toEqual(expected);
    });
  }

  it('takes the bootstrap key as admin', async () => {
    const reply = await post(app.url, '{ apiKeys { name role } }', {}, headers(BOOTSTRAP));
    expect(reply.body.errors).toBeUndefined();
    const names = (reply.body.data as { apiKeys: { name: string }[] }).apiKeys.map((k) => k.name);
    expect(names).toEqual(expect.arrayContaining(['viewer-key', 'analyst-key', 'admin-key']));
  });

  it('stores nothing when a viewer tries to create a case', async () => {
    const count = async () =>
      (
        await post<{ cases: { totalCount: number } }>(
          app.url,
          '{ cases { totalCount } }',
          {},
          headers(keys.viewer),
        )
      ).body.data!.cases.totalCount;
    const before = await count();
    const reply = await post(
      app.url,
      CREATE,
      { input: { title: 't', target: 'example.org', tools: ['quick'] } },
      headers(keys.viewer),
    );
    expect(codes(reply)).toEqual(['FORBIDDEN']);
    expect(await count()).toBe(before);
  });

  it('streams case events to a viewer over SSE and refuses SSE without a key', async () => {
    const created = await post<{ createCase: { id: string } }>(
      app.url,
      CREATE,
      { input: { title: 'sse', target: 'example.net', tools: ['quick'] } },
      headers(keys.analyst),
    );
    const caseId = created.body.data!.createCase.id;
    type Ev = { caseEvents: { seq: number; type: string; status: string | null } };
    const events = await collectSse<Ev>(
      app.url,
      EVENTS,
      { caseId },
      (e) => e.caseEvents.type === 'CASE_STATUS' && e.caseEvents.status === 'COMPLETED',
      headers(keys.viewer),
    );
    expect(events[0].caseEvents.seq).toBe(1);

    const refused = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: EVENTS, variables: { caseId } }),
    });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('UNAUTHENTICATED');
  });

  it('refuses the chat stream to a viewer over SSE with FORBIDDEN', async () => {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...headers(keys.viewer),
      },
      body: JSON.stringify({ query: CHAT_STREAM }),
    });
    const text = await res.text();
    expect(text).toContain('"FORBIDDEN"');
    expect(text).not.toContain('delta');
  });

  it('closes a WebSocket without a key with 4401 and with a wrong key with 4403', async () => {
    const none = new RawWs(app.url);
    expect(await none.init({})).toMatchObject({ acked: false, close: { code: 4401 } });

    const wrong = new RawWs(app.url);
    expect(await wrong.init({ apiKey: 'loom_wrong' })).toMatchObject({
      acked: false,
      close: { code: 4403 },
    });
  });

  it('applies the roles to WebSocket queries, mutations and subscriptions', async () => {
    const viewer = new RawWs(app.url);
    expect(await viewer.init({ apiKey: keys.viewer })).toEqual({ acked: true });
    viewer.subscribe('q', '{ cases { totalCount } }');
    viewer.subscribe(
      'm',
      `mutation { createCase(input: { title: "t", target: "example.com", tools: ["quick"] }) { id } }`,
    );
    viewer.subscribe('chat', CHAT_STREAM);
    viewer.subscribe('keys', '{ apiKeys { name } }');
    expect(wsCode(await viewer.result('q'))).toBeUndefined();
    expect(wsCode(await viewer.result('m'))).toBe('FORBIDDEN');
    expect(wsCode(await viewer.result('chat'))).toBe('FORBIDDEN');
    expect(wsCode(await viewer.result('keys'))).toBe('FORBIDDEN');
    viewer.close();

    const analyst = wsClient(app.url, { apiKey: keys.analyst });
    const created = await new Promise<{ data?: { createCase: { id: string } } }>(
      (resolve, reject) => {
        analyst.subscribe(
          {
            query: CREATE,
            variables: { input: { title: 'ws', target: 'example.com', tools: ['quick'] } },
          },
          { next: (v) => resolve(v as never), error: reject, complete: () => {} },
        );
      },
    );
    const caseId = created.data!.createCase.id;
    await analyst.dispose();

    const watcher = wsClient(app.url, { apiKey: keys.viewer });
    type Ev = { caseEvents: { type: string; status: string | null } };
    const events = await collectWs<Ev>(
      watcher,
      EVENTS,
      { caseId },
      (e) => e.caseEvents.type === 'CASE_STATUS' && e.caseEvents.status === 'COMPLETED',
    );
    expect(events.length).toBeGreaterThan(1);
    await watcher.dispose();
  });

  it('stops a revoked key at once, over HTTP and on an open WebSocket', async () => {
    const made = await post<{ createApiKey: { key: string } }>(
      app.url,
      'mutation { createApiKey(name: "short-lived", role: ANALYST) { key apiKey { role } } }',
      {},
      headers(keys.admin),
    );
    const key = made.body.data!.createApiKey.key;
    expect((await post(app.url, '{ cases { totalCount } }', {}, headers(key))).status).toBe(200);

    const socket = new RawWs(app.url);
    expect(await socket.init({ apiKey: key })).toEqual({ acked: true });

    const revoked = await post(
      app.url,
      'mutation { revokeApiKey(name: "short-lived") }',
      {},
      headers(keys.admin),
    );
    expect(revoked.body.data).toEqual({ revokeApiKey: true });

    const reply = await post(app.url, '{ cases { totalCount } }', {}, headers(key));
    expect(reply.status).toBe(401);
    socket.subscribe('after', '{ cases { totalCount } }');
    expect((await socket.closed).code).toBe(4403);
  });

  it('writes every mutation to the audit log with key, case, request id, address and outcome', async () => {
    const requestId = 'audit-check-1';
    const created = await post<{ createCase: { id: string } }>(
      app.url,
      'mutation($input: CreateCaseInput!) { createCase(input: $input) { status } }',
      { input: { title: 'audited', target: 'example.com', tools: ['quick'] } },
      { ...headers(keys.analyst), 'x-request-id': requestId },
    );
    expect(created.body.errors).toBeUndefined();
    await post(
      app.url,
      'mutation { cancelCase(id: "no-such-case") { id } }',
      {},
      {
        ...headers(keys.analyst),
        'x-request-id': 'audit-check-2',
      },
    );
    await post(
      app.url,
      'mutation { deleteCase(id: "c1") }',
      {},
      {
        ...headers(keys.viewer),
        'x-request-id': 'audit-check-3',
      },
    );
    await post(
      app.url,
      'mutation { createApiKey(name: "audited-key", role: VIEWER) { key } }',
      {},
      {
        ...headers(BOOTSTRAP),
        'x-request-id': 'audit-check-4',
      },
    );

    const rows = await waitFor(async () => {
      const all = await listAudit(app.services.db, 200);
      const mine = all.filter((r) => r.requestId?.startsWith('audit-check-'));
      return mine.length === 4 ? mine : undefined;
    });
    const byRequest = Object.fromEntries(rows.map((r) => [r.requestId, r]));

    const [stored] = (
      await app.services.db.query.cases.findMany({ where: (c, { eq }) => eq(c.title, 'audited') })
    ).map((c) => c.id);
    expect(byRequest['audit-check-1']).toMatchObject({
      keyName: 'analyst-key',
      operation: 'createCase',
      caseId: stored,
      clientAddress: '127.0.0.1',
      outcome: 'ok',
    });
    expect(byRequest['audit-check-2']).toMatchObject({
      keyName: 'analyst-key',
      operation: 'cancelCase',
      caseId: 'no-such-case',
      outcome: 'error',
    });
    expect(byRequest['audit-check-2'].detail).toMatch(/^NOT_FOUND/);
    expect(byRequest['audit-check-3']).toMatchObject({
      keyName: 'viewer-key',
      operation: 'deleteCase',
      caseId: 'c1',
      outcome: 'error',
    });
    expect(byRequest['audit-check-3'].detail).toMatch(/^FORBIDDEN/);
    expect(byRequest['audit-check-4']).toMatchObject({
      keyName: 'bootstrap',
      operation: 'createApiKey',
      outcome: 'ok',
      detail: 'key audited-key',
    });
    expect(byRequest['audit-check-4'].at).toBeInstanceOf(Date);
  });

  it('shows no introspection, no GraphiQL and no field suggestions', async () => {
    const introspection = await post(
      app.url,
      '{ __schema { types { name } } }',
      {},
      headers(BOOTSTRAP),
    );
    expect(introspection.body.data).toBeUndefined();
    expect(new Set(codes(introspection))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));

    const typeQuery = await post(
      app.url,
      '{ __type(name: "Case") { name } }',
      {},
      headers(BOOTSTRAP),
    );
    expect(new Set(codes(typeQuery))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));

    const page = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');

    const typo = await post(app.url, '{ cses { totalCount } }', {}, headers(BOOTSTRAP));
    expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean|"cases"/);

    const enumTypo = await post(
      app.url,
      'query($s: CaseStatus) { cases(status: $s) { totalCount } }',
      { s: 'RUNING' },
      headers(BOOTSTRAP),
    );
    expect(codes(enumTypo)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(enumTypo.body)).not.toMatch(/Did you mean|RUNNING/);
  });
});

describe('API keys in development', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ tools: [], env: { ENVIRONMENT: 'development' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('acts as admin without a key when none is configured, with introspection and GraphiQL', async () => {
    const keysReply = await post(app.url, '{ apiKeys { name } }');
    expect(keysReply.body.errors).toBeUndefined();

    const introspection = await post(app.url, '{ __schema { queryType { name } } }');
    expect(introspection.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });

    const page = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain('https://unpkg.com');
    expect(await page.text()).toContain('unpkg.com');
  });

  it('answers only loopback host names while open, against DNS rebinding', async () => {
    const port = new URL(app.url).port;
    for (const [host, status] of [
      [`rebound.example:${port}`, 400],
      [`localhost:${port}`, 200],
      [`127.0.0.1:${port}`, 200],
      [`[::1]:${port}`, 200],
    ] as const) {
      const reply = await rawPost(app.url, '{"query":"{ __typename }"}', { host });
      expect(reply.status, host).toBe(status);
    }
  });
});

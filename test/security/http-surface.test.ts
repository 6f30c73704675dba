import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { startTestApp, type TestApp } from '../support/test-app.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { codes, post, rawPost, RawWs, wsCode } from './helpers.js';

const KEY = 'bootstrap-key-for-the-http-surface-tests-01';
const ALWAYS = [
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'content-security-policy',
  'permissions-policy',
  'x-request-id',
];

/** One request of each kind the server answers, including its refusals. */
function everyKindOfResponse(app: TestApp, headers: Record<string, string> = {}) {
  const gql = (body: string, extra: Record<string, string> = {}) =>
    fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...extra },
      body,
    });
  return {
    health: () => fetch(`${app.url}/health`, { headers }),
    metrics: () => fetch(`${app.url}/metrics`, { headers }),
    notFound: () => fetch(`${app.url}/nope`, { headers }),
    graphql: () => gql('{"query":"{ __typename }"}', { 'x-api-key': KEY }),
    unauthenticated: () => gql('{"query":"{ __typename }"}'),
    malformed: () => gql('{"query": ', { 'x-api-key': KEY }),
    tooLarge: () => gql(JSON.stringify({ query: 'x'.repeat(200_000) }), { 'x-api-key': KEY }),
    wrongType: () =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', ...headers },
        body: '{"query":"{ __typename }"}',
      }),
    preflight: () =>
      fetch(`${app.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      }),
    badOrigin: () => gql('{"query":"{ __typename }"}', { origin: 'https://evil.example' }),
  };
}

describe('the HTTP surface in production', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      tools: [],
      env: {
        ENVIRONMENT: 'production',
        OSINT_API_KEY: KEY,
        ALLOWED_ORIGINS: 'https://app.example',
        ALLOWED_HOSTS: '127.0.0.1,.loom.example',
      },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('sets the security headers, HSTS and the strict CSP on every response', async () => {
    for (const [name, send] of Object.entries(everyKindOfResponse(app))) {
      const res = await send();
      await res.arrayBuffer();
      for (const header of ALWAYS) {
        expect(res.headers.get(header), `${header} on ${name}`).toBeTruthy();
      }
      expect(res.headers.get('strict-transport-security'), name).toContain('max-age=');
      expect(res.headers.get('content-security-policy'), name).toContain("default-src 'none'");
      expect(res.headers.get('content-security-policy'), name).not.toContain('unpkg');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('keeps /health and /metrics open without a key', async () => {
    const health = await fetch(`${app.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const metrics = await fetch(`${app.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('loom_rate_limited_total');
  });

  it('echoes a sane X-Request-ID and replaces one that is not', async () => {
    const kept = await fetch(`${app.url}/health`, { headers: { 'x-request-id': 'abc-123.X:y' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123.X:y');
    const replaced = await fetch(`${app.url}/health`, {
      headers: { 'x-request-id': 'bad id\twith spaces'.repeat(20) },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers CORS only for ALLOWED_ORIGINS, never with a wildcard', async () => {
    const preflight = await fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-api-key',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-API-Key/i);

    const allowed = await post(
      app.url,
      '{ __typename }',
      {},
      {
        origin: 'https://app.example',
        'x-api-key': KEY,
      },
    );
    expect(allowed.body.data).toEqual({ __typename: 'Query' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-expose-headers')).toContain('X-Request-ID');

    const refusedPreflight = await fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(refusedPreflight.status).toBe(403);
    expect(refusedPreflight.headers.get('access-control-allow-origin')).toBeNull();

    const refused = await post(
      app.url,
      '{ __typename }',
      {},
      {
        origin: 'https://evil.example',
        'x-api-key': KEY,
      },
    );
    expect(refused.status).toBe(403);
    expect(codes(refused)).toEqual(['ORIGIN_NOT_ALLOWED']);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves only the host names of ALLOWED_HOSTS, keeping /health open', async () => {
    const as = (host: string) =>
      rawPost(app.url, '{"query":"{ __typename }"}', { host, 'x-api-key': KEY });
    expect((await as('evil.example')).status).toBe(400);
    expect(JSON.parse((await as('evil.example')).text).errors[0].extensions.code).toBe(
      'HOST_NOT_ALLOWED',
    );
    expect((await as('api.loom.example')).status).toBe(200);
    expect((await as('loom.example:8443')).status).toBe(200);
    expect((await as('notloom.example')).status).toBe(400);

    const health = await new Promise<number>((resolve, reject) => {
      // fetch would not send a foreign Host header; the node client does.
      import('node:http')
        .then(({ get }) =>
          get(`${app.url}/health`, { headers: { host: 'evil.example' } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on('error', reject),
        )
        .catch(reject);
    });
    expect(health).toBe(200);

    const socket = new WebSocket(
      `${app.url.replace('http', 'ws')}/graphql`,
      'graphql-transport-ws',
      {
        headers: { host: 'evil.example' },
      },
    );
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
      socket.on('error', () => {});
    });
    expect(status).toBe(400);
  });

  it('refuses a WebSocket from a page of another origin', async () => {
    const socket = new WebSocket(
      `${app.url.replace('http', 'ws')}/graphql`,
      'graphql-transport-ws',
      {
        headers: { origin: 'https://evil.example' },
      },
    );
    const status = await new Promise<number>((resolve) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
      socket.on('error', () => {});
    });
    expect(status).toBe(403);
  });

  it('masks unexpected errors: no stack, no internal message', async () => {
    const original = app.services.caseService.cancel.bind(app.services.caseService);
    app.services.caseService.cancel = () => {
      throw new Error('connect ECONNREFUSED 10.0.0.5:5432 at /srv/loom/secret.ts');
    };
    try {
      const reply = await post(
        app.url,
        'mutation { cancelCase(id: "x") { id } }',
        {},
        {
          'x-api-key': KEY,
        },
      );
      expect(codes(reply)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(reply.body.errors![0].message).toBe('Unexpected error.');
      expect(JSON.stringify(reply.body)).not.toMatch(/ECONNREFUSED|secret|stack|at \//);
    } finally {
      app.services.caseService.cancel = original;
    }
  });
});

describe('errors of a live subscription in production', () => {
  let app: TestApp;
  let caseId: string;
  const EVENTS = 'subscription($id: ID!) { caseEvents(caseId: $id) { seq } }';

  beforeAll(async () => {
    app = await startTestApp({
      tools: [scriptedTool('quick', {})],
      env: { ENVIRONMENT: 'production', OSINT_API_KEY: KEY },
    });
    const created = await post<{ createCase: { id: string } }>(
      app.url,
      'mutation { createCase(input: { title: "t", target: "example.com", tools: ["quick"] }) { id } }',
      {},
      { 'x-api-key': KEY },
    );
    caseId = created.body.data!.createCase.id;
    // The event stream breaks the way a lost Redis connection would.
    app.services.events.stream = () =>
      ({
        [Symbol.asyncIterator]() {
          return this;
        },
        next: () =>
          Promise.reject(new Error('redis at 10.1.2.3:6379 refused AUTH for loom-secret')),
        return: () => Promise.resolve({ value: undefined, done: true }),
      }) as never;
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('reach WebSocket and SSE clients masked, with a code', async () => {
    const socket = new RawWs(app.url);
    await socket.init({ apiKey: KEY });
    socket.subscribe('s', EVENTS, { id: caseId });
    const failed = await socket.result('s');
    expect(wsCode(failed)).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(failed)).not.toMatch(/redis|10\.1\.2\.3|secret|stack/);
    socket.close();

    const sse = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-api-key': KEY,
      },
      body: JSON.stringify({ query: EVENTS, variables: { id: caseId } }),
    });
    const text = await sse.text();
    expect(text).toContain('INTERNAL_SERVER_ERROR');
    expect(text).not.toMatch(/redis|10\.1\.2\.3|secret|stack/);
  });
});

describe('the HTTP surface in development', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      tools: [],
      env: { ENVIRONMENT: 'development', OSINT_API_KEY: KEY },
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('sets the security headers without HSTS, and lets GraphiQL load', async () => {
    for (const [name, send] of Object.entries(everyKindOfResponse(app))) {
      const res = await send();
      await res.arrayBuffer();
      for (const header of ALWAYS) {
        expect(res.headers.get(header), `${header} on ${name}`).toBeTruthy();
      }
      expect(res.headers.get('strict-transport-security'), name).toBeNull();
    }
    const page = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-security-policy')).toContain(
      "script-src 'self' 'unsafe-inline'",
    );
  });

  it('lets a same-origin page call', async () => {
    const reply = await post(app.url, '{ __typename }', {}, { origin: app.url, 'x-api-key': KEY });
    expect(reply.body.data).toEqual({ __typename: 'Query' });
  });

  it('shows the internal message of an unexpected error to the developer', async () => {
    const original = app.services.caseService.cancel.bind(app.services.caseService);
    app.services.caseService.cancel = () => {
      throw new Error('visible in development');
    };
    try {
      const reply = await post(
        app.url,
        'mutation { cancelCase(id: "x") { id } }',
        {},
        {
          'x-api-key': KEY,
        },
      );
      expect(codes(reply)).toEqual(['INTERNAL_SERVER_ERROR']);
      expect(JSON.stringify(reply.body)).toContain('visible in development');
    } finally {
      app.services.caseService.cancel = original;
    }
  });
});

import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';

import { afterEach, describe, expect, it } from 'vitest';

import { HttpClient, HttpError } from '../../src/http/client.js';
import { servicePauseRemaining } from '../../src/http/service-pauses.js';
import { USER_AGENT } from '../../src/http/user-agent.js';
import { startReplayServer, type ReplayServer } from '../support/replay-server.js';

const fast = { baseBackoffMs: 10, maxBackoffMs: 40, default429PauseMs: 200 };

let server: ReplayServer | undefined;
let client: HttpClient | undefined;
let serviceCounter = 0;

/** A fresh service name per test, so one test's 429 pause never slows another. */
function service() {
  serviceCounter += 1;
  return `svc-${serviceCounter}`;
}

function signal() {
  return new AbortController().signal;
}

afterEach(async () => {
  await server?.close();
  await client?.close();
  server = undefined;
  client = undefined;
});

async function caught(promise: Promise<unknown>): Promise<HttpError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe('HttpClient', () => {
  it('retries a 503 and returns the answer that follows', async () => {
    server = await startReplayServer([
      { path: '/data', reply: [{ status: 503 }, { status: 503 }, { json: { ok: true } }] },
    ]);
    client = new HttpClient({ ...fast, retries: 2 });

    const data = await client.getJson<{ ok: boolean }>(`${server.url}/data`, {
      signal: signal(),
      service: service(),
    });

    expect(data).toEqual({ ok: true });
    expect(server.requestsTo('GET', '/data')).toHaveLength(3);
  });

  it('gives up after its retries with a message naming method, place, status and attempts', async () => {
    server = await startReplayServer([{ path: '/down', reply: { status: 503, body: 'busy' } }]);
    client = new HttpClient({ ...fast, retries: 2 });

    const err = await caught(
      client.getJson(`${server.url}/down`, { signal: signal(), service: 'spiderfoot' }),
    );

    expect(err.code).toBe('HTTP_ERROR');
    expect(err.status).toBe(503);
    expect(err.attempts).toBe(3);
    expect(err.bodyText).toBe('busy');
    expect(err.message).toBe(
      `spiderfoot: GET ${server.url}/down answered HTTP 503 (after 3 attempts)`,
    );
    expect(server.requests).toHaveLength(3);
  });

  it('does not repeat a POST that failed with a plain 500', async () => {
    server = await startReplayServer([{ path: '/scan', reply: { status: 500 } }]);
    client = new HttpClient({ ...fast, retries: 3 });

    const err = await caught(
      client.fetchText(`${server.url}/scan`, {
        method: 'POST',
        body: 'x',
        signal: signal(),
        service: service(),
      }),
    );

    expect(err.status).toBe(500);
    expect(server.requests).toHaveLength(1);
  });

  it('returns an allowed error status instead of throwing', async () => {
    server = await startReplayServer([
      { path: '/gone', reply: { status: 404, json: { detail: 'Not found.' } } },
    ]);
    client = new HttpClient(fast);

    const res = await client.fetchJson<{ detail: string }>(`${server.url}/gone`, {
      signal: signal(),
      service: service(),
      allowStatus: [404],
    });

    expect(res.status).toBe(404);
    expect(res.data.detail).toBe('Not found.');
  });

  it('pauses the service for Retry-After after a 429, delaying the next call', async () => {
    server = await startReplayServer([
      {
        path: '/limited',
        reply: [{ status: 429, headers: { 'retry-after': '1' } }, { body: 'ok' }],
      },
    ]);
    client = new HttpClient({ ...fast, retries: 0 });
    const name = service();

    const err = await caught(
      client.fetchText(`${server.url}/limited`, { signal: signal(), service: name }),
    );
    expect(err.status).toBe(429);
    expect(err.message).toContain('rate limited');
    expect(servicePauseRemaining(name)).toBeGreaterThan(500);

    const started = Date.now();
    const res = await client.fetchText(`${server.url}/limited`, {
      signal: signal(),
      service: name,
    });
    expect(res.text).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const [first, second] = server.requests;
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it('waits out a 429 given as an HTTP date and then retries within the same call', async () => {
    const inOneSecond = new Date(Date.now() + 1500).toUTCString();
    server = await startReplayServer([
      {
        path: '/limited',
        reply: [{ status: 429, headers: { 'retry-after': inOneSecond } }, { body: 'ok' }],
      },
    ]);
    client = new HttpClient({ ...fast, retries: 1 });

    const started = Date.now();
    const res = await client.fetchText(`${server.url}/limited`, {
      signal: signal(),
      service: service(),
    });

    expect(res.text).toBe('ok');
    // HTTP dates have whole seconds, so the wait is between 0.5 and 1.5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('shares a 429 pause between clients calling the same service', async () => {
    server = await startReplayServer([
      { path: '/a', reply: { status: 429, headers: { 'retry-after': '1' } } },
      { path: '/b', reply: { body: 'ok' } },
    ]);
    client = new HttpClient({ ...fast, retries: 0 });
    const other = new HttpClient({ ...fast, retries: 0 });
    const name = service();

    await caught(client.fetchText(`${server.url}/a`, { signal: signal(), service: name }));
    const started = Date.now();
    await other.fetchText(`${server.url}/b`, { signal: signal(), service: name });
    await other.close();

    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('stops at once when the signal aborts mid-request, without retrying', async () => {
    server = await startReplayServer([{ path: '/hang', reply: { stall: true } }]);
    client = new HttpClient({ ...fast, retries: 3 });
    const controller = new AbortController();
    const reason = new Error('run cancelled');

    const pending = client.fetchText(`${server.url}/hang`, {
      signal: controller.signal,
      service: service(),
    });
    await server.waitForRequest((r) => r.path === '/hang');
    controller.abort(reason);

    await expect(pending).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    server = await startReplayServer([{ path: '/x', reply: { body: 'ok' } }]);
    client = new HttpClient(fast);
    const reason = new Error('already cancelled');

    const pending = client.fetchText(`${server.url}/x`, {
      signal: AbortSignal.abort(reason),
      service: service(),
    });

    await expect(pending).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);
  });

  it('stops waiting out a pause when the signal aborts', async () => {
    server = await startReplayServer([
      { path: '/limited', reply: { status: 429, headers: { 'retry-after': '30' } } },
    ]);
    client = new HttpClient({ ...fast, retries: 1 });
    const controller = new AbortController();

    const pending = client.fetchText(`${server.url}/limited`, {
      signal: controller.signal,
      service: service(),
    });
    await server.waitForRequest((r) => r.path === '/limited');
    setTimeout(() => controller.abort(new Error('stop')), 50);

    const started = Date.now();
    await expect(pending).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out a stalled answer, retrying a GET and giving up with HTTP_TIMEOUT', async () => {
    server = await startReplayServer([{ path: '/hang', reply: { stall: true } }]);
    client = new HttpClient({ ...fast, retries: 1 });

    const err = await caught(
      client.fetchText(`${server.url}/hang`, {
        signal: signal(),
        service: 'searxng',
        timeoutMs: 150,
      }),
    );

    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(err.message).toBe(
      `searxng: GET ${server.url}/hang timed out after 150 ms (after 2 attempts)`,
    );
    expect(server.requests).toHaveLength(2);
  });

  it('does not repeat a POST that timed out', async () => {
    server = await startReplayServer([{ path: '/hang', reply: { stall: true } }]);
    client = new HttpClient({ ...fast, retries: 3 });

    const err = await caught(
      client.fetchText(`${server.url}/hang`, {
        method: 'POST',
        body: 'x',
        signal: signal(),
        service: service(),
        timeoutMs: 100,
      }),
    );

    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(server.requests).toHaveLength(1);
  });

  it('times out a streamed body that stalls after the headers', async () => {
    server = await startReplayServer([
      { path: '/slow', reply: { body: 'abcdef', stallAfterBytes: 2 } },
    ]);
    client = new HttpClient({ ...fast, retries: 0 });

    const res = await client.request(`${server.url}/slow`, {
      signal: signal(),
      service: 'rdap',
      timeoutMs: 200,
    });
    const err = await caught(res.text());

    expect(res.status).toBe(200);
    expect(err.code).toBe('HTTP_TIMEOUT');
    expect(err.message).toBe(`rdap: GET ${server.url}/slow timed out after 200 ms`);
  });

  it('reports a streamed body cut off midway as unreachable', async () => {
    server = await startReplayServer([
      { path: '/cut', reply: { body: 'abcdef', truncateAfterBytes: 2 } },
    ]);
    client = new HttpClient({ ...fast, retries: 0 });

    const res = await client.request(`${server.url}/cut`, { signal: signal(), service: 'rdap' });
    const err = await caught(res.json());

    expect(err.code).toBe('HTTP_UNREACHABLE');
    expect(err.message).toMatch(new RegExp(`^rdap: GET ${server.url}/cut failed: `));
  });

  it('reads a streamed JSON body', async () => {
    server = await startReplayServer([{ path: '/j', reply: { json: [1, 2] } }]);
    client = new HttpClient(fast);

    const res = await client.request(`${server.url}/j`, { signal: signal(), service: service() });

    expect(res.headers['content-type']).toBe('application/json');
    expect(await res.json()).toEqual([1, 2]);
  });

  it('retries a connection dropped before the answer and reports an unreachable port clearly', async () => {
    server = await startReplayServer([{ path: '/flaky', reply: [{ drop: true }, { body: 'ok' }] }]);
    client = new HttpClient({ ...fast, retries: 1 });

    const res = await client.fetchText(`${server.url}/flaky`, {
      signal: signal(),
      service: service(),
    });
    expect(res.text).toBe('ok');

    const port = await freePort();
    const err = await caught(
      client.fetchText(`http://127.0.0.1:${port}/x`, {
        signal: signal(),
        service: 'intelowl',
        retries: 1,
      }),
    );
    expect(err.code).toBe('HTTP_UNREACHABLE');
    expect(err.message).toBe(
      `intelowl: GET http://127.0.0.1:${port}/x failed: connection refused (ECONNREFUSED) (after 2 attempts)`,
    );
  });

  it('retries a body cut off midway for buffered GETs', async () => {
    server = await startReplayServer([
      {
        path: '/cut',
        reply: [{ body: '{"a":1234567}', truncateAfterBytes: 4 }, { json: { a: 1 } }],
      },
    ]);
    client = new HttpClient({ ...fast, retries: 1 });

    const data = await client.getJson(`${server.url}/cut`, {
      signal: signal(),
      service: service(),
    });

    expect(data).toEqual({ a: 1 });
    expect(server.requests).toHaveLength(2);
  });

  it('reports a malformed JSON body as HTTP_ERROR with the body kept for the caller', async () => {
    server = await startReplayServer([
      {
        path: '/bad',
        reply: { body: '{"results": [', headers: { 'content-type': 'application/json' } },
      },
    ]);
    client = new HttpClient(fast);

    const err = await caught(
      client.getJson(`${server.url}/bad`, { signal: signal(), service: 'searxng' }),
    );

    expect(err.code).toBe('HTTP_ERROR');
    expect(err.message).toBe(`searxng: GET ${server.url}/bad answered a body that is not JSON`);
    expect(err.bodyText).toBe('{"results": [');
  });

  it('never puts secrets from the URL or headers into its messages', async () => {
    server = await startReplayServer([{ path: '/api/jobs', reply: { status: 401, body: 'nope' } }]);
    client = new HttpClient(fast);
    const url =
      server.url.replace('http://', 'http://admin:hunter2@') + '/api/jobs?api_key=s3cr3t&q=1';

    const err = await caught(
      client.fetchText(url, {
        signal: signal(),
        service: 'intelowl',
        headers: { authorization: 'Token tok-123456' },
      }),
    );

    const everything = `${err.message} ${err.location} ${JSON.stringify(err)}`;
    for (const secret of ['hunter2', 'admin', 's3cr3t', 'api_key', 'tok-123456']) {
      expect(everything).not.toContain(secret);
    }
    expect(err.message).toBe(`intelowl: GET ${server.url}/api/jobs answered HTTP 401`);
    // User info in a configured URL is dropped, never sent as credentials.
    expect(server.requests[0].headers.authorization).toBe('Token tok-123456');
    expect(server.requests[0].url).toBe('/api/jobs?api_key=s3cr3t&q=1');
  });

  it('sends its User-Agent on every request and decodes gzip answers', async () => {
    server = await startReplayServer([
      {
        path: '/gz',
        reply: {
          body: gzipSync('{"packed":true}'),
          headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
        },
      },
    ]);
    client = new HttpClient(fast);

    const data = await client.getJson(`${server.url}/gz`, {
      signal: signal(),
      service: service(),
      headers: { 'User-Agent': 'spoofed', 'Accept-Encoding': 'gzip' },
    });

    expect(data).toEqual({ packed: true });
    expect(server.requests[0].headers['user-agent']).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^Loom\/\d+\.\d+\.\d+ \(\+OSINT\)$/);
  });

  it('follows redirects, turning a 303 after a POST into a GET, unless told not to', async () => {
    server = await startReplayServer([
      {
        method: 'POST',
        path: '/startscan',
        reply: { status: 303, headers: { location: '/scaninfo?id=AB12' } },
      },
      { method: 'GET', path: '/scaninfo', reply: { body: 'info' } },
    ]);
    client = new HttpClient(fast);

    const followed = await client.fetchText(`${server.url}/startscan`, {
      body: new URLSearchParams({ a: '1' }),
      signal: signal(),
      service: service(),
    });
    expect(followed.text).toBe('info');
    expect(followed.url).toBe(`${server.url}/scaninfo?id=AB12`);

    const raw = await client.fetchText(`${server.url}/startscan`, {
      body: new URLSearchParams({ a: '1' }),
      signal: signal(),
      service: service(),
      followRedirects: false,
    });
    expect(raw.status).toBe(303);
    expect(raw.headers.location).toBe('/scaninfo?id=AB12');
    expect(server.requestsTo('GET', '/scaninfo')).toHaveLength(1);
    expect(server.requestsTo('POST', '/startscan')[0].form?.get('a')).toBe('1');
  });

  it('drops credentials when a redirect leads to another origin', async () => {
    const other = await startReplayServer([{ path: '/landing', reply: { body: 'there' } }]);
    server = await startReplayServer([
      { path: '/hop', reply: { status: 302, headers: { location: `${other.url}/landing` } } },
    ]);
    client = new HttpClient(fast);

    const res = await client.fetchText(`${server.url}/hop`, {
      signal: signal(),
      service: service(),
      headers: { authorization: 'Token secret', accept: 'text/plain' },
    });
    await other.close();

    expect(res.text).toBe('there');
    expect(server.requests[0].headers.authorization).toBe('Token secret');
    expect(other.requests[0].headers.authorization).toBeUndefined();
    expect(other.requests[0].headers.accept).toBe('text/plain');
  });

  it('refuses a body larger than its limit', async () => {
    server = await startReplayServer([{ path: '/big', reply: { body: 'x'.repeat(10_000) } }]);
    client = new HttpClient(fast);

    const err = await caught(
      client.fetchText(`${server.url}/big`, {
        signal: signal(),
        service: 'crtsh',
        maxBodyBytes: 1000,
      }),
    );

    expect(err.message).toBe(`crtsh: GET ${server.url}/big answered a body larger than 1000 bytes`);
  });

  it('keeps connections alive between requests to one origin', async () => {
    server = await startReplayServer([{ path: '/k', reply: { body: 'ok' } }]);
    client = new HttpClient(fast);

    for (let i = 0; i < 6; i++)
      await client.fetchText(`${server.url}/k`, { signal: signal(), service: service() });

    // undici may open a second socket while the first is being released; never one per request.
    const ports = new Set(server.requests.map((r) => r.remotePort));
    expect(ports.size).toBeLessThanOrEqual(2);
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

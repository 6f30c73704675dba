import { afterEach, describe, expect, it } from 'vitest';

import { testConfig } from '../../../src/config/config.js';
import { searxngTool } from '../../../src/tools/searxng/index.js';
import { searxngOptionsSchema } from '../../../src/tools/searxng/options.js';
import { ToolError, type Target } from '../../../src/tools/tool.js';
import { haveFixtures, readFixture } from '../../support/fixtures.js';
import { fixtureReply, startReplayServer, type ReplayServer } from '../../support/replay-server.js';
import { recordingContext } from '../native/run-context.js';
import { countByKind, expectedCounts } from './counts.js';

const COMPACT = 'searxng/searxng_2026_compact_google_cse_unresponsive.json';
const PRETTY = 'searxng/searxng_pretty_number_of_results_data_uri_thumbnails.json';

const domain: Target = { kind: 'DOMAIN', value: 'example.com' };

/** SearXNG's own 403 page for a format missing from `search.formats` (Werkzeug default). */
const FORBIDDEN_PAGE =
  '<!doctype html>\n<html lang=en>\n<title>403 Forbidden</title>\n<h1>Forbidden</h1>\n' +
  "<p>You don't have the permission to access the requested resource. It is either " +
  'read-protected or not readable by the server.</p>\n';

let server: ReplayServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function context(overrides: Record<string, string> = {}) {
  return recordingContext(testConfig({ SEARXNG_URL: server!.url, ...overrides }));
}

function options(input: Record<string, unknown> = {}) {
  return searxngOptionsSchema.parse(input);
}

describe.skipIf(!haveFixtures)('searxng tool against a replay of SearXNG', () => {
  it('turns every result URL into a finding and reports unresponsive engines as warnings', async () => {
    server = await startReplayServer([
      { method: 'GET', path: '/search', reply: fixtureReply(COMPACT) },
    ]);
    const ctx = context();

    await searxngTool.run(
      domain,
      options({ categories: ['general'], language: 'en', timeRange: 'year' }),
      ctx,
    );

    expect(countByKind(ctx.findings)).toEqual(expectedCounts(COMPACT));
    expect(ctx.findings[0].data?.engines).toEqual(['google cse']);
    expect(ctx.warnings).toEqual([
      'SearXNG engine brave did not answer: HTTP connection error',
      'SearXNG engine duckduckgo did not answer: HTTP connection error',
      'SearXNG engine startpage did not answer: HTTP connection error',
      'SearXNG engine wikipedia did not answer: HTTP connection error',
    ]);
    expect(ctx.lines.at(-1)).toBe('page 1: 20 results, 20 new');

    const [request] = server.requests;
    expect(request.query.get('q')).toBe('"example.com"');
    expect(request.query.get('format')).toBe('json');
    expect(request.query.get('pageno')).toBe('1');
    expect(request.query.get('categories')).toBe('general');
    expect(request.query.get('language')).toBe('en');
    expect(request.query.get('time_range')).toBe('year');
    expect(request.headers['accept-language']).toBeDefined();
  });

  it('fetches further pages until one adds nothing new', async () => {
    server = await startReplayServer([
      {
        path: '/search',
        reply: (req) => fixtureReply(req.query.get('pageno') === '1' ? COMPACT : PRETTY),
      },
    ]);
    const ctx = context();

    await searxngTool.run(domain, options({ pages: 5 }), ctx);

    expect(server.requests.map((r) => r.query.get('pageno'))).toEqual(['1', '2', '3']);
    expect(countByKind(ctx.findings).URL).toBe(20 + 3);
    expect(ctx.lines.filter((l) => l.startsWith('page '))).toEqual([
      'page 1: 20 results, 20 new',
      'page 2: 3 results, 3 new',
      'page 3: 3 results, 0 new',
    ]);
    // An engine that stays down is reported once, not once per page.
    expect(ctx.warnings.filter((w) => w.includes(' brave '))).toHaveLength(1);
  });

  it('keeps the instance path of SEARXNG_URL', async () => {
    server = await startReplayServer([{ path: '/searx/search', reply: fixtureReply(PRETTY) }]);
    const ctx = context({ SEARXNG_URL: `${server.url}/searx` });

    await searxngTool.run({ kind: 'USERNAME', value: '!jdoe' }, options(), ctx);

    expect(server.requests[0].query.get('q')).toBe('"!jdoe"');
    expect(countByKind(ctx.findings).URL).toBe(expectedCounts(PRETTY).URL);
  });

  it('says the JSON format is not enabled when SearXNG answers 403', async () => {
    server = await startReplayServer([
      {
        path: '/search',
        reply: {
          status: 403,
          body: FORBIDDEN_PAGE,
          headers: { 'content-type': 'text/html; charset=utf-8' },
        },
      },
    ]);

    const err = await searxngTool.run(domain, options(), context()).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toMatch(
      /^SearXNG refused format=json \(HTTP 403\): the JSON format is not enabled/,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('passes on the error text of a 400', async () => {
    server = await startReplayServer([
      {
        path: '/search',
        reply: { status: 400, json: { error: 'Invalid value "xx-YY-ZZ" for parameter language' } },
      },
    ]);

    await expect(searxngTool.run(domain, options(), context())).rejects.toThrow(
      'SearXNG rejected the search: Invalid value "xx-YY-ZZ" for parameter language',
    );
  });

  it('waits out a 429 before asking again', async () => {
    server = await startReplayServer([
      {
        path: '/search',
        reply: [
          {
            status: 429,
            body: 'Too Many Requests',
            headers: { 'retry-after': '1', 'content-type': 'text/html' },
          },
          fixtureReply(PRETTY),
        ],
      },
    ]);
    const ctx = context();

    await searxngTool.run(domain, options(), ctx);

    const [first, second] = server.requests;
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(900);
    expect(countByKind(ctx.findings).URL).toBe(3);
  });

  it('explains a 429 that does not clear', async () => {
    server = await startReplayServer([
      {
        path: '/search',
        reply: { status: 429, body: 'Too Many Requests', headers: { 'retry-after': '0' } },
      },
    ]);

    const err = await searxngTool.run(domain, options(), context()).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).message).toMatch(/^SearXNG is rate limiting Loom \(HTTP 429\)/);
    expect((err as ToolError).options.retryable).toBe(true);
  });

  it('rides out a 503 and a slow answer', async () => {
    server = await startReplayServer([
      { path: '/search', reply: [{ status: 503 }, { ...fixtureReply(PRETTY), delayMs: 300 }] },
    ]);
    const ctx = context();

    await searxngTool.run(domain, options(), ctx);

    expect(server.requests).toHaveLength(2);
    expect(countByKind(ctx.findings).URL).toBe(3);
  });

  it('fails clearly on a body that is not JSON, and on JSON without results', async () => {
    server = await startReplayServer([
      {
        path: '/search',
        reply: [{ body: readFixture(COMPACT).slice(0, 500) }, { json: { query: 'x' } }],
      },
    ]);

    await expect(searxngTool.run(domain, options(), context())).rejects.toThrow(
      'SearXNG answered a body that is not JSON',
    );
    await expect(searxngTool.run(domain, options(), context())).rejects.toThrow(
      'SearXNG answer has no results list',
    );
  });

  it('refuses to follow a redirect away from the instance', async () => {
    server = await startReplayServer([
      {
        path: '/search',
        reply: { status: 302, headers: { location: 'https://www.google.com/search?q=x' } },
      },
    ]);

    await expect(searxngTool.run(domain, options(), context())).rejects.toThrow(
      'SearXNG answered a redirect (HTTP 302) instead of results',
    );
    expect(server.requests).toHaveLength(1);
  });

  it('stops at once on cancel, and when the run deadline passes', async () => {
    server = await startReplayServer([{ path: '/search', reply: { stall: true } }]);

    const cancelled = context();
    const run = searxngTool.run(domain, options(), cancelled);
    await server.waitForRequest((r) => r.path === '/search');
    const reason = new Error('case cancelled');
    cancelled.controller.abort(reason);
    await expect(run).rejects.toBe(reason);

    const late = context();
    setTimeout(
      () => late.controller.abort(new DOMException('run deadline passed', 'TimeoutError')),
      200,
    );
    const started = Date.now();
    await expect(searxngTool.run(domain, options(), late)).rejects.toThrow('run deadline passed');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('checks availability with /healthz, without leaking credentials in the URL', async () => {
    server = await startReplayServer([{ path: '/healthz', reply: { body: 'OK' } }]);
    const signal = new AbortController().signal;

    expect(await searxngTool.checkAvailability({ config: testConfig(), signal })).toEqual({
      available: false,
      reason: 'SEARXNG_URL is not set',
    });
    expect(
      await searxngTool.checkAvailability({
        config: testConfig({ SEARXNG_URL: server.url }),
        signal,
      }),
    ).toEqual({ available: true });

    const port = server.port;
    await server.close();
    server = undefined;
    const down = await searxngTool.checkAvailability({
      config: testConfig({ SEARXNG_URL: `http://user:pa55@127.0.0.1:${port}/` }),
      signal,
    });
    expect(down.available).toBe(false);
    expect(down.reason).toBe(
      `searxng: GET http://127.0.0.1:${port}/healthz failed: connection refused (ECONNREFUSED)`,
    );
  });
});

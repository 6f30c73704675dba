import { createHash } from 'node:crypto';

import { afterEach, describe, expect, it } from 'vitest';

import { testConfig } from '../../../src/config/config.js';
import { spiderfootTool } from '../../../src/tools/spiderfoot/index.js';
import { spiderfootOptionsSchema } from '../../../src/tools/spiderfoot/options.js';
import { ToolError, type Target } from '../../../src/tools/tool.js';
import { haveFixtures } from '../../support/fixtures.js';
import {
  fixtureReply,
  startReplayServer,
  type RecordedRequest,
  type ReplayAnswer,
  type ReplayRoute,
  type ReplayServer,
} from '../../support/replay-server.js';
import { recordingContext } from '../native/run-context.js';
import { countByKind, expectedCounts } from './counts.js';

const WINDOW = 'spiderfoot/spiderfoot_export_single_scan_window.csv';
const SCAN_ID = '3FA4C1D2';
const domain: Target = { kind: 'DOMAIN', value: 'difenda.com' };

let server: ReplayServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A `/scanstatus` row as SpiderFoot 4 renders it. */
function statusRow(status: string): ReplayAnswer {
  return {
    json: [
      'loom',
      'difenda.com',
      '2024-05-27 09:58:00',
      '2024-05-27 09:58:02',
      '1970-01-01 00:00:00',
      status,
      { HIGH: 0, MEDIUM: 0, LOW: 0, INFO: 0 },
    ],
  };
}

/**
 * SpiderFoot's web API as the replay speaks it: JSON start answer (the client sends
 * `Accept: application/json`), a scan that runs for two polls, and the recorded CSV export.
 */
function spiderfootRoutes(overrides: ReplayRoute[] = []): ReplayRoute[] {
  return [
    ...overrides,
    { method: 'GET', path: '/ping', reply: { json: ['SUCCESS', '4.0.0'] } },
    {
      method: 'POST',
      path: '/startscan',
      reply: (req): ReplayAnswer =>
        String(req.headers.accept).includes('application/json')
          ? {
              json: ['SUCCESS', SCAN_ID],
              headers: { 'content-type': 'application/json; charset=utf-8' },
            }
          : { status: 303, headers: { location: `/scaninfo?id=${SCAN_ID}` } },
    },
    {
      method: 'GET',
      path: '/scanstatus',
      reply: [statusRow('STARTING'), statusRow('RUNNING'), statusRow('FINISHED')],
    },
    { method: 'GET', path: '/scanerrors', reply: { json: [] } },
    { method: 'GET', path: '/scaneventresultexport', reply: fixtureReply(WINDOW) },
    { path: '/stopscan', reply: { json: '' } },
  ];
}

function context(overrides: Record<string, string> = {}) {
  return recordingContext(testConfig({ SPIDERFOOT_URL: server!.url, ...overrides }));
}

function options(input: Record<string, unknown> = {}) {
  return spiderfootOptionsSchema.parse({ pollSeconds: 0.1, ...input });
}

function stopRequests() {
  return server!.requests.filter((r) => r.path === '/stopscan');
}

describe.skipIf(!haveFixtures)('spiderfoot tool against a replay of the SpiderFoot web API', () => {
  it('starts a scan, follows it to FINISHED and reads the findings of its CSV export', async () => {
    server = await startReplayServer(spiderfootRoutes());
    const ctx = context();

    await spiderfootTool.run(domain, options(), ctx);

    expect(countByKind(ctx.findings)).toEqual(expectedCounts(WINDOW));
    expect(ctx.findings.find((f) => f.value === 'difenda.com')?.data?.eventType).toBe(
      'DOMAIN_NAME',
    );

    const start = server.requestsTo('POST', '/startscan')[0];
    expect(start.headers.accept).toBe('application/json');
    expect(start.form?.get('scanname')).toMatch(/^loom-[0-9a-f]{8} difenda\.com$/);
    expect(start.form?.get('scantarget')).toBe('difenda.com');
    expect(start.form?.get('usecase')).toBe('Passive');
    // All five fields are sent: SpiderFoot answers 404 when one is missing.
    expect([...start.form!.keys()].sort()).toEqual([
      'modulelist',
      'scanname',
      'scantarget',
      'typelist',
      'usecase',
    ]);

    expect(server.requestsTo('GET', '/scanstatus').map((r) => r.query.get('id'))).toEqual([
      SCAN_ID,
      SCAN_ID,
      SCAN_ID,
    ]);
    const exported = server.requestsTo('GET', '/scaneventresultexport')[0].query;
    expect(Object.fromEntries(exported)).toEqual({ id: SCAN_ID, type: 'ALL', filetype: 'csv' });
    expect(ctx.lines).toContain(`scan ${SCAN_ID} started`);
    expect(ctx.lines).toContain(`scan ${SCAN_ID}: RUNNING`);
    expect(stopRequests()).toHaveLength(0);
  });

  it('sends modules, event types and use cases the way SpiderFoot reads them', async () => {
    server = await startReplayServer(spiderfootRoutes());

    await spiderfootTool.run(
      { kind: 'USERNAME', value: 'jdoe' },
      options({
        modules: ['sfp_accounts', 'sfp_github'],
        eventTypes: ['USERNAME'],
        usecase: 'footprint',
      }),
      context(),
    );

    const form = server.requestsTo('POST', '/startscan')[0].form!;
    expect(form.get('scantarget')).toBe('"jdoe"');
    expect(form.get('modulelist')).toBe('sfp_accounts,sfp_github');
    expect(form.get('typelist')).toBe('USERNAME');
    expect(form.get('usecase')).toBe('Footprint');
  });

  it('takes the scan ID from the redirect of servers that answer HTML', async () => {
    server = await startReplayServer(
      spiderfootRoutes([
        {
          method: 'POST',
          path: '/startscan',
          reply: { status: 303, headers: { location: `/scaninfo?id=${SCAN_ID}` } },
        },
      ]),
    );

    await spiderfootTool.run(domain, options(), context());

    expect(server.requestsTo('GET', '/scaninfo')).toHaveLength(0);
    expect(server.requestsTo('GET', '/scaneventresultexport')).toHaveLength(1);
  });

  it('reports a refused scan with SpiderFoot’s own words', async () => {
    server = await startReplayServer(
      spiderfootRoutes([
        {
          method: 'POST',
          path: '/startscan',
          reply: { json: ['ERROR', 'Incorrect usage: no modules specified for scan.'] },
        },
      ]),
    );
    await expect(spiderfootTool.run(domain, options(), context())).rejects.toThrow(
      'SpiderFoot refused the scan: Incorrect usage: no modules specified for scan.',
    );

    server.route({
      method: 'POST',
      path: '/startscan',
      reply: {
        body: '<html><body><h2>Error</h2><p>Unrecognised target type.</p></body></html>',
        headers: { 'content-type': 'text/html' },
      },
    });
    await expect(spiderfootTool.run(domain, options(), context())).rejects.toThrow(
      'SpiderFoot refused the scan: Error Unrecognised target type.',
    );
    expect(stopRequests()).toHaveLength(0);
  });

  it('stops the scan when the run is cancelled while it runs', async () => {
    server = await startReplayServer(
      spiderfootRoutes([{ method: 'GET', path: '/scanstatus', reply: statusRow('RUNNING') }]),
    );
    const ctx = context();

    const run = spiderfootTool.run(domain, options(), ctx);
    await server.waitForRequest((r) => r.path === '/scanstatus');
    const reason = new Error('case cancelled');
    ctx.controller.abort(reason);

    await expect(run).rejects.toBe(reason);
    const stop = await server.waitForRequest((r) => r.path === '/stopscan');
    expect(stop.method).toBe('GET');
    expect(stop.query.get('id')).toBe(SCAN_ID);
    expect(server.requestsTo('GET', '/scaneventresultexport')).toHaveLength(0);
  });

  it('stops the scan when the run deadline passes, even while a poll hangs', async () => {
    server = await startReplayServer(
      spiderfootRoutes([
        { method: 'GET', path: '/scanstatus', reply: [statusRow('RUNNING'), { stall: true }] },
      ]),
    );
    const ctx = context();
    setTimeout(
      () => ctx.controller.abort(new DOMException('run deadline passed', 'TimeoutError')),
      400,
    );

    await expect(spiderfootTool.run(domain, options(), ctx)).rejects.toThrow('run deadline passed');
    expect(stopRequests().map((r) => r.query.get('id'))).toEqual([SCAN_ID]);
  });

  it('finds and stops a scan whose start answer never came', async () => {
    let scanName = '';
    server = await startReplayServer(
      spiderfootRoutes([
        {
          method: 'POST',
          path: '/startscan',
          reply: (req: RecordedRequest) => {
            scanName = req.form?.get('scanname') ?? '';
            return { stall: true };
          },
        },
        {
          method: 'GET',
          path: '/scanlist',
          reply: () => ({
            json: [
              [
                '0A0A0A0A',
                'someone else',
                'x.test',
                '2024-05-27 09:00:00',
                'Not yet',
                'Not yet',
                'RUNNING',
                '0',
                {},
              ],
              [
                SCAN_ID,
                scanName,
                'difenda.com',
                '2024-05-27 09:58:00',
                'Not yet',
                'Not yet',
                'STARTING',
                '0',
                {},
              ],
            ],
          }),
        },
      ]),
    );
    const ctx = context();

    const run = spiderfootTool.run(domain, options(), ctx);
    await server.waitForRequest((r) => r.path === '/startscan');
    ctx.controller.abort(new Error('case cancelled'));

    await expect(run).rejects.toThrow('case cancelled');
    expect(stopRequests().map((r) => r.query.get('id'))).toEqual([SCAN_ID]);
  });

  it('fails with SpiderFoot’s error log when the scan ends ERROR-FAILED', async () => {
    server = await startReplayServer(
      spiderfootRoutes([
        {
          method: 'GET',
          path: '/scanstatus',
          reply: [statusRow('RUNNING'), statusRow('ERROR-FAILED')],
        },
        {
          method: 'GET',
          path: '/scanerrors',
          reply: {
            json: [
              ['2024-05-27 09:58:09', 'sfp_dnsresolve', 'Could not load TLD list &amp; exiting'],
            ],
          },
        },
      ]),
    );

    await expect(spiderfootTool.run(domain, options(), context())).rejects.toThrow(
      `SpiderFoot scan ${SCAN_ID} failed: sfp_dnsresolve: Could not load TLD list & exiting`,
    );
    expect(stopRequests()).toHaveLength(0);
  });

  it('fails when the scan was aborted on the server or vanished', async () => {
    server = await startReplayServer(
      spiderfootRoutes([{ method: 'GET', path: '/scanstatus', reply: statusRow('ABORTED') }]),
    );
    await expect(spiderfootTool.run(domain, options(), context())).rejects.toThrow(
      `SpiderFoot scan ${SCAN_ID} was aborted on the server (ABORTED)`,
    );

    server.route({ method: 'GET', path: '/scanstatus', reply: { json: [] } });
    await expect(spiderfootTool.run(domain, options(), context())).rejects.toThrow(
      `SpiderFoot no longer knows scan ${SCAN_ID}`,
    );
  });

  it('reports module errors of a finished scan as warnings', async () => {
    server = await startReplayServer(
      spiderfootRoutes([
        {
          method: 'GET',
          path: '/scanerrors',
          reply: { json: [['2024-05-27 09:58:09', 'sfp_shodan', 'No API key set']] },
        },
      ]),
    );
    const ctx = context();

    await spiderfootTool.run(domain, options(), ctx);

    expect(ctx.warnings).toEqual(['SpiderFoot: sfp_shodan: No API key set']);
  });

  it('rides out a 503, a 429 with Retry-After and a slow poll', async () => {
    server = await startReplayServer(
      spiderfootRoutes([
        {
          method: 'GET',
          path: '/scanstatus',
          reply: [
            { status: 503, body: '<html><body>Error</body></html>' },
            { status: 429, headers: { 'retry-after': '1' } },
            { ...statusRow('RUNNING'), delayMs: 300 },
            statusRow('FINISHED'),
          ],
        },
      ]),
    );
    const ctx = context();

    await spiderfootTool.run(domain, options(), ctx);

    expect(server.requestsTo('GET', '/scanstatus')).toHaveLength(4);
    expect(countByKind(ctx.findings)).toEqual(expectedCounts(WINDOW));
  });

  it('fails on a malformed status answer and stops the scan it started', async () => {
    server = await startReplayServer(
      spiderfootRoutes([
        {
          method: 'GET',
          path: '/scanstatus',
          reply: {
            body: '["loom", "difenda.com", "2024',
            headers: { 'content-type': 'application/json' },
          },
        },
      ]),
    );

    const err = await spiderfootTool.run(domain, options(), context()).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ToolError);
    expect((err as Error).message).toBe('SpiderFoot answered a body that is not JSON');
    expect(stopRequests()).toHaveLength(1);
  });

  it('checks availability with /ping and never puts the login in the reason', async () => {
    server = await startReplayServer(spiderfootRoutes());
    const signal = new AbortController().signal;

    expect(await spiderfootTool.checkAvailability({ config: testConfig(), signal })).toEqual({
      available: false,
      reason: 'SPIDERFOOT_URL is not set',
    });
    expect(
      await spiderfootTool.checkAvailability({
        config: testConfig({ SPIDERFOOT_URL: server.url }),
        signal,
      }),
    ).toEqual({
      available: true,
    });

    const port = server.port;
    await server.close();
    server = undefined;
    const down = await spiderfootTool.checkAvailability({
      config: testConfig({
        SPIDERFOOT_URL: `http://127.0.0.1:${port}`,
        SPIDERFOOT_API_KEY: 'admin:s3cret',
      }),
      signal,
    });
    expect(down).toEqual({
      available: false,
      reason: `spiderfoot: GET http://127.0.0.1:${port}/ping failed: connection refused (ECONNREFUSED)`,
    });
  });
});

describe.skipIf(!haveFixtures)('spiderfoot tool with HTTP Digest logins', () => {
  const realm = '127.0.0.1';
  const nonce = '1717000000:5f4dcc3b5aa765d61d8327deb882cf99';

  /** Checks a Digest answer the way CherryPy does (RFC 2617, MD5, qop=auth). */
  function authorised(req: RecordedRequest, user: string, password: string): boolean {
    const header = String(req.headers.authorization ?? '');
    const field = (name: string) => header.match(new RegExp(`${name}="?([^",]+)"?`))?.[1];
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    if (!header.startsWith('Digest ') || field('username') !== user || field('nonce') !== nonce)
      return false;
    if (field('uri') !== req.url) return false;

    const ha1 = md5(`${user}:${realm}:${password}`);
    const ha2 = md5(`${req.method}:${req.url}`);
    const expected = md5(`${ha1}:${nonce}:${field('nc')}:${field('cnonce')}:auth:${ha2}`);
    return field('response') === expected;
  }

  function guarded(user: string, password: string): ReplayRoute {
    return {
      path: (req) => !authorised(req, user, password),
      reply: {
        status: 401,
        body: '""',
        headers: {
          'www-authenticate': `Digest realm="${realm}", nonce="${nonce}", algorithm="MD5", qop="auth", charset="UTF-8"`,
        },
      },
    };
  }

  it('answers the Digest challenge with the login of SPIDERFOOT_API_KEY', async () => {
    server = await startReplayServer(spiderfootRoutes([guarded('admin', 'pw:with:colons')]));
    const ctx = context({ SPIDERFOOT_API_KEY: 'admin:pw:with:colons' });

    await spiderfootTool.run(domain, options(), ctx);

    expect(countByKind(ctx.findings)).toEqual(expectedCounts(WINDOW));
    // One challenge, then every request authenticates up front.
    expect(server.requests.filter((r) => r.headers.authorization === undefined)).toHaveLength(1);
    expect(server.requestsTo('POST', '/startscan').at(-1)?.form?.get('scantarget')).toBe(
      'difenda.com',
    );
  });

  it('says what is wrong when the login is missing or refused', async () => {
    server = await startReplayServer(spiderfootRoutes([guarded('admin', 'right')]));

    await expect(spiderfootTool.run(domain, options(), context())).rejects.toThrow(
      'SpiderFoot asks for a login: set SPIDERFOOT_API_KEY to user:password',
    );
    const wrong = (await spiderfootTool
      .run(domain, options(), context({ SPIDERFOOT_API_KEY: 'admin:wrong' }))
      .catch((e: unknown) => e)) as Error;
    expect(wrong.message).toBe('SpiderFoot rejected the login in SPIDERFOOT_API_KEY (HTTP 401)');
    expect(wrong.message).not.toContain('wrong');

    const signal = new AbortController().signal;
    const badKey = testConfig({ SPIDERFOOT_URL: server.url, SPIDERFOOT_API_KEY: 'no-colon-key' });
    expect(await spiderfootTool.checkAvailability({ config: badKey, signal })).toEqual({
      available: false,
      reason: 'SPIDERFOOT_API_KEY must be user:password (SpiderFoot uses HTTP Digest logins)',
    });
    const good = testConfig({ SPIDERFOOT_URL: server.url, SPIDERFOOT_API_KEY: 'admin:right' });
    expect(await spiderfootTool.checkAvailability({ config: good, signal })).toEqual({
      available: true,
    });
  });
});

import { gzipSync } from 'node:zlib';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { testConfig } from '../../../src/config/config.js';
import { closeHttpClients } from '../../../src/http/client.js';
import { crtshTool } from '../../../src/tools/crtsh/index.js';
import { crtshOptionsSchema } from '../../../src/tools/crtsh/options.js';
import { ToolError, type Target } from '../../../src/tools/tool.js';
import { haveFixtures, readFixture, readFixtureBuffer } from '../../support/fixtures.js';
import {
  fixtureReply,
  startReplayServer,
  type ReplayRoute,
  type ReplayServer,
} from '../../support/replay-server.js';
import { recordingContext } from './run-context.js';

const GCTU = 'crtsh/crtsh_2024_gctu_edu_gh_result_count.json';
const expected = haveFixtures
  ? (JSON.parse(readFixture('expected-native.json')) as Record<string, Record<string, number>>)
  : {};

/** The domain each recorded answer was searched for. */
const SEARCHED: Record<string, string> = {
  'crtsh/crtsh_2020_dli_mn_gov_no_common_name.json': 'dli.mn.gov',
  'crtsh/crtsh_2023_identity_example_com_edge_cases.json': 'example.com',
  'crtsh/crtsh_2024_dnsname_example_com_exclude_expired.json': 'example.com',
  [GCTU]: 'gctu.edu.gh',
};

describe.skipIf(!haveFixtures)('crtsh tool against a replay of crt.sh', () => {
  let server: ReplayServer;

  beforeAll(async () => {
    server = await startReplayServer();
  });
  afterEach(() => {
    server.requests.length = 0;
  });
  afterAll(async () => {
    await server.close();
    await closeHttpClients();
  });

  /** A fresh route for one test, on a path of its own so tests cannot see each other's. */
  let routeCount = 0;
  function serve(reply: ReplayRoute['reply']) {
    routeCount += 1;
    const path = `/crtsh-${routeCount}/`;
    server.route({ method: 'GET', path, reply });
    return { path, config: { CRTSH_URL: `${server.url}${path}`, CRTSH_TIMEOUT_SECONDS: '1' } };
  }

  async function run(
    overrides: Record<string, string>,
    domain = 'gctu.edu.gh',
    options: Record<string, unknown> = {},
  ) {
    const ctx = recordingContext(testConfig(overrides));
    const target: Target = { kind: 'DOMAIN', value: domain };
    await crtshTool.run(target, crtshOptionsSchema.parse(options), ctx);
    return ctx;
  }

  it.each(Object.keys(SEARCHED))('reports the expected names of %s', async (file) => {
    const { config } = serve(fixtureReply(file));
    const ctx = await run(config, SEARCHED[file]);

    expect(ctx.values('HOST')).toHaveLength(expected[file].HOST);
    expect(ctx.values('EMAIL')).toHaveLength(expected[file].EMAIL);
    expect(ctx.warnings).toEqual([]);
  });

  it('asks for every name below the domain, as JSON', async () => {
    const { path, config } = serve(fixtureReply(GCTU));
    const ctx = await run(config, 'gctu.edu.gh', { excludeExpired: true });

    const [request] = server.requestsTo('GET', path);
    expect(request.query.get('q')).toBe('%.gctu.edu.gh');
    expect(request.query.get('output')).toBe('json');
    expect(request.query.get('exclude')).toBe('expired');
    expect(request.url).toContain('q=%25.gctu.edu.gh');
    expect(request.headers.accept).toBe('application/json');
    expect(ctx.lines.at(-1)).toBe('crt.sh: 907 certificate entries, 402 names');
  });

  it('keeps first and last sighting and issuers of a name across its certificates', async () => {
    const { config } = serve(fixtureReply('crtsh/crtsh_2020_dli_mn_gov_no_common_name.json'));
    const ctx = await run(config, 'dli.mn.gov');

    const hosts = ctx.findings.filter((f) => f.kind === 'HOST');
    expect(new Set(hosts.map((f) => f.value)).size).toBe(hosts.length);
    for (const host of hosts) {
      expect(host.data).toMatchObject({
        firstSeen: expect.any(String),
        lastSeen: expect.any(String),
        issuers: expect.any(Array),
      });
      expect(String(host.data?.firstSeen) <= String(host.data?.lastSeen)).toBe(true);
    }
  });

  it('reads a gzip-encoded answer and the concatenated objects of old crt.sh', async () => {
    const file = 'crtsh/crtsh_2020_dli_mn_gov_no_common_name.json';
    const gz = serve({
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(readFixtureBuffer(file)),
    });
    expect((await run(gz.config, 'dli.mn.gov')).values('HOST')).toHaveLength(12);

    // Before 2019 the "json" output was the same rows without the surrounding array.
    const rows = JSON.parse(readFixture(file)) as unknown[];
    const old = serve({ body: rows.map((row) => JSON.stringify(row)).join('') });
    expect((await run(old.config, 'dli.mn.gov')).values('HOST')).toHaveLength(12);
  });

  it('treats an empty answer as no names', async () => {
    const { config } = serve({ body: '[]' });
    const ctx = await run(config);
    expect(ctx.findings).toEqual([]);
    expect(ctx.lines).toEqual(['crt.sh: 0 certificate entries, 0 names']);
  });

  it('tries again after a 503 and then succeeds', async () => {
    const { path, config } = serve([{ status: 503, body: 'busy' }, fixtureReply(GCTU)]);
    const ctx = await run(config);

    expect(server.requestsTo('GET', path)).toHaveLength(2);
    expect(ctx.values('HOST')).toHaveLength(402);
  });

  it('fails honestly when crt.sh keeps answering 502', async () => {
    const { path, config } = serve({ status: 502, body: '<html>Bad Gateway</html>' });
    const failure = run(config);

    await expect(failure).rejects.toThrow(ToolError);
    await expect(failure).rejects.toThrow(/HTTP 502 \(after 3 attempts\).*try again later/);
    expect(server.requestsTo('GET', path)).toHaveLength(3);
  });

  it('times out when crt.sh never answers', async () => {
    const { path, config } = serve({ stall: true });
    const started = Date.now();
    const failure = run(config);

    await expect(failure).rejects.toThrow(ToolError);
    await expect(failure).rejects.toThrow(/timed out after 1000 ms/);
    expect(server.requestsTo('GET', path)).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('times out when the answer stops in the middle', async () => {
    const { config } = serve({ ...fixtureReply(GCTU), stallAfterBytes: 5000 });
    await expect(run(config)).rejects.toThrow(/answer timed out after 1 s while it was being read/);
  });

  it('says so when the answer is cut off', async () => {
    const { config } = serve({ ...fixtureReply(GCTU), truncateAfterBytes: 5000 });
    const failure = run(config);
    await expect(failure).rejects.toThrow(ToolError);
    await expect(failure).rejects.toThrow('crt.sh answer cut off while it was being read');
  });

  it('refuses an answer larger than CRTSH_MAX_BYTES', async () => {
    const { config } = serve(fixtureReply(GCTU));
    const failure = run({ ...config, CRTSH_MAX_BYTES: '100000' });
    await expect(failure).rejects.toThrow(ToolError);
    await expect(failure).rejects.toThrow(/more than CRTSH_MAX_BYTES \(100000 bytes\)/);
  });

  it('refuses an answer that is not crt.sh JSON', async () => {
    const { config } = serve({
      headers: { 'content-type': 'text/html' },
      body: '<html><body>Sorry, something went wrong</body></html>',
    });
    await expect(run(config)).rejects.toThrow(/not its JSON/);
  });

  it('stops at once when the run is aborted', async () => {
    const { config } = serve({ stall: true });
    const ctx = recordingContext(testConfig({ ...config, CRTSH_TIMEOUT_SECONDS: '60' }));
    const started = Date.now();
    const failure = crtshTool.run(
      { kind: 'DOMAIN', value: 'gctu.edu.gh' },
      crtshOptionsSchema.parse({}),
      ctx,
    );
    setTimeout(() => ctx.controller.abort(new Error('cancelled by analyst')), 100);

    await expect(failure).rejects.toThrow('cancelled by analyst');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports itself available without calling crt.sh', async () => {
    const { config } = serve({ status: 500 });
    const availability = await crtshTool.checkAvailability({
      config: testConfig(config),
      signal: new AbortController().signal,
    });
    expect(availability).toEqual({ available: true });
    expect(server.requests).toEqual([]);
  });
});

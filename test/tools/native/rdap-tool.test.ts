import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testConfig } from '../../../src/config/config.js';
import { closeHttpClients } from '../../../src/http/client.js';
import { rdapOptionsSchema, rdapTool } from '../../../src/tools/rdap/index.js';
import { ToolError, type Target } from '../../../src/tools/tool.js';
import { haveFixtures, readFixture } from '../../support/fixtures.js';
import {
  fixtureReply,
  startReplayServer,
  type ReplayAnswer,
  type ReplayServer,
} from '../../support/replay-server.js';
import { recordingContext } from './run-context.js';

const expected = haveFixtures
  ? (JSON.parse(readFixture('expected-native.json')) as Record<string, Record<string, number>>)
  : {};

const rdapReply = (file: string, status = 200): ReplayAnswer =>
  fixtureReply(`rdap/${file}`, { status, contentType: 'application/rdap+json' });

describe.skipIf(!haveFixtures)('rdap tool against replays of RDAP servers', () => {
  let bootstrap: ReplayServer;
  let registry: ReplayServer;

  beforeAll(async () => {
    registry = await startReplayServer([
      {
        path: '/cznic/domain/example.cz',
        reply: rdapReply('rdap_cznic_domain_example_cz_2017.json'),
      },
    ]);
    bootstrap = await startReplayServer([
      {
        path: '/domain/google.com',
        reply: rdapReply('rdap_verisign_com_domain_google_2021.json'),
      },
      {
        path: '/domain/businesscorp.com.br',
        reply: rdapReply('rdap_registro_br_domain_businesscorp_2022.json'),
      },
      { path: '/ip/8.8.8.8', reply: rdapReply('rdap_arin_ip_8.8.8.8_2021.json') },
      { path: '/ip/1.1.1.1', reply: rdapReply('rdap_apnic_ip_1.1.1.1_2024.json') },
      // rdap.org answers with a redirect to the registry that holds the name.
      {
        path: '/domain/example.cz',
        reply: () => ({
          status: 302,
          headers: { location: `${registry.url}/cznic/domain/example.cz` },
        }),
      },
      {
        path: '/domain/test.fr',
        reply: rdapReply('rdap_rdap_org_404_not_in_bootstrap_2021.json', 404),
      },
      // Verisign answers a .com name it does not hold with a 404 and no body at all.
      { path: '/domain/missing.com', reply: { status: 404 } },
      {
        path: '/domain/error-in-200.design',
        reply: rdapReply('rdap_centralnic_design_404_2021.json', 200),
      },
      {
        path: '/domain/flaky.com',
        reply: [{ status: 503 }, rdapReply('rdap_verisign_com_domain_google_2021.json')],
      },
      { path: '/domain/broken.com', reply: { status: 500 } },
      { path: '/domain/slow.com', reply: { stall: true } },
    ]);
  });
  afterAll(async () => {
    await bootstrap.close();
    await registry.close();
    await closeHttpClients();
  });

  const config = (overrides: Record<string, string> = {}) =>
    testConfig({ RDAP_URL: bootstrap.url, RDAP_TIMEOUT_SECONDS: '1', ...overrides });

  async function run(target: Target) {
    const ctx = recordingContext(config());
    await rdapTool.run(target, rdapOptionsSchema.parse({}), ctx);
    return ctx;
  }

  const counts = (ctx: Awaited<ReturnType<typeof run>>) => ({
    HOST: ctx.values('HOST').length,
    EMAIL: ctx.values('EMAIL').length,
  });

  it('reports the name servers, contact e-mails and registration of a domain', async () => {
    const ctx = await run({ kind: 'DOMAIN', value: 'google.com' });
    const file = 'rdap/rdap_verisign_com_domain_google_2021.json';

    expect(counts(ctx)).toEqual({ HOST: expected[file].HOST, EMAIL: expected[file].EMAIL });
    expect(ctx.values('HOST')).toEqual([
      'ns1.google.com',
      'ns2.google.com',
      'ns3.google.com',
      'ns4.google.com',
    ]);
    const registration = ctx.findings.find((f) => f.kind === 'OTHER');
    expect(registration?.data).toMatchObject({
      objectClassName: 'domain',
      status: expect.arrayContaining(['client delete prohibited']),
      events: expect.arrayContaining([expect.objectContaining({ action: 'registration' })]),
      registrar: expect.objectContaining({ ianaId: '292' }),
    });

    const [request] = bootstrap.requestsTo('GET', '/domain/google.com');
    expect(request.headers.accept).toContain('application/rdap+json');
  });

  it('reads nested contacts of a registry with its own extensions', async () => {
    const ctx = await run({ kind: 'DOMAIN', value: 'businesscorp.com.br' });
    const file = 'rdap/rdap_registro_br_domain_businesscorp_2022.json';
    expect(counts(ctx)).toEqual({ HOST: expected[file].HOST, EMAIL: expected[file].EMAIL });
  });

  it('describes the network range of an address', async () => {
    const arin = await run({ kind: 'IP', value: '8.8.8.8' });
    expect(counts(arin)).toEqual({
      HOST: 0,
      EMAIL: expected['rdap/rdap_arin_ip_8.8.8.8_2021.json'].EMAIL,
    });
    expect(arin.findings.find((f) => f.kind === 'OTHER')?.data).toMatchObject({
      objectClassName: 'ip network',
      startAddress: '8.8.8.0',
      endAddress: '8.8.8.255',
      cidrs: ['8.8.8.0/24'],
      name: 'LVLT-GOGL-8-8-8',
      type: 'ALLOCATION',
      parentHandle: 'NET-8-0-0-0-1',
    });

    const apnic = await run({ kind: 'IP', value: '1.1.1.1' });
    expect(apnic.findings.find((f) => f.kind === 'OTHER')?.data).toMatchObject({
      cidrs: ['1.1.1.0/24'],
      name: 'APNIC-LABS',
      country: 'AU',
    });
    expect(bootstrap.requestsTo('GET', '/ip/1.1.1.1')).toHaveLength(1);
  });

  it('follows a bootstrap redirect to the registry, for the domain of an e-mail address', async () => {
    const ctx = await run({ kind: 'EMAIL', value: 'someone@example.cz' });

    expect(ctx.values('HOST')).toEqual(['ns.pipni.cz', 'ns2.pipni.cz', 'ns3.pipni.cz']);
    const [request] = registry.requestsTo('GET', '/cznic/domain/example.cz');
    expect(request.headers.accept).toContain('application/rdap+json');
    expect(ctx.lines[0]).toBe(`example.cz: answered by ${registry.url}/cznic/domain/example.cz`);
  });

  it("reports a name missing from RDAP as a warning, with the server's reason", async () => {
    const ctx = await run({ kind: 'DOMAIN', value: 'test.fr' });
    expect(ctx.findings).toEqual([]);
    expect(ctx.warnings).toEqual([
      'test.fr not found in RDAP (HTTP 404: domain test.fr not found in IANA boostrap file)',
    ]);
  });

  it('reports an empty 404 as not found', async () => {
    const ctx = await run({ kind: 'DOMAIN', value: 'missing.com' });
    expect(ctx.findings).toEqual([]);
    expect(ctx.warnings).toEqual(['missing.com not found in RDAP (HTTP 404: empty answer)']);
  });

  it('fails on an error body even when the status says 200', async () => {
    const failure = run({ kind: 'DOMAIN', value: 'error-in-200.design' });
    await expect(failure).rejects.toThrow(ToolError);
    await expect(failure).rejects.toThrow(/answered an error: Object not found/);
  });

  it('tries again after a 503 and then succeeds', async () => {
    const ctx = await run({ kind: 'DOMAIN', value: 'flaky.com' });
    expect(bootstrap.requestsTo('GET', '/domain/flaky.com')).toHaveLength(2);
    expect(ctx.values('HOST')).toHaveLength(4);
  });

  it('fails with a ToolError when the server keeps failing', async () => {
    const failure = run({ kind: 'DOMAIN', value: 'broken.com' });
    await expect(failure).rejects.toThrow(ToolError);
    await expect(failure).rejects.toThrow(/answered HTTP 500 \(after 3 attempts\)/);
  });

  it('times out when the server never answers', async () => {
    const started = Date.now();
    const failure = run({ kind: 'DOMAIN', value: 'slow.com' });
    await expect(failure).rejects.toThrow(ToolError);
    await expect(failure).rejects.toThrow(/timed out after 1000 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops at once when the run is aborted', async () => {
    const ctx = recordingContext(config({ RDAP_TIMEOUT_SECONDS: '60' }));
    const started = Date.now();
    const failure = rdapTool.run(
      { kind: 'DOMAIN', value: 'slow.com' },
      rdapOptionsSchema.parse({}),
      ctx,
    );
    setTimeout(() => ctx.controller.abort(new Error('cancelled by analyst')), 100);

    await expect(failure).rejects.toThrow('cancelled by analyst');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports itself available without a network call', async () => {
    const before = bootstrap.requests.length;
    const availability = await rdapTool.checkAvailability({
      config: config(),
      signal: new AbortController().signal,
    });
    expect(availability).toEqual({ available: true });
    expect(bootstrap.requests).toHaveLength(before);
  });
});

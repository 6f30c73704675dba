import { createSocket, type Socket } from 'node:dgram';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testConfig } from '../../../src/config/config.js';
import { FindingCollector } from '../../../src/findings/normalize.js';
import { dnsTool } from '../../../src/tools/dns/index.js';
import { dnsOptionsSchema } from '../../../src/tools/dns/options.js';
import { parseDns } from '../../../src/tools/dns/parse.js';
import { ToolError, type Target } from '../../../src/tools/tool.js';
import { recordingContext } from '../native/run-context.js';
import {
  caaData,
  haveDnsmasq,
  soaData,
  startDnsmasq,
  txtData,
  wireName,
  type Dnsmasq,
} from './dnsmasq.js';

const ZONE = [
  '--local=/example.test/',
  '--local=/2.0.192.in-addr.arpa/',
  '--host-record=example.test,192.0.2.10,2001:db8::10',
  '--host-record=ns1.example.test,192.0.2.53',
  '--host-record=dev.example.test,192.0.2.20',
  '--host-record=intranet2.example.test,192.0.2.30',
  '--cname=git.example.test,dev.example.test',
  '--mx-host=example.test,mail.example.test,10',
  '--mx-host=example.test,mx2.example.test,20',
  // dnsmasq splits a TXT value at commas into strings of one record, as long records arrive.
  '--txt-record=example.test,v=spf1 ip4:192.0.2.0/24 ,include:_spf.mailer.test ~all',
  '--txt-record=example.test,site-verification=abc123',
  // As raw record data, the commas of the report list stay inside one string.
  `--dns-rr=_dmarc.example.test,16,${txtData(
    'v=DMARC1; p=quarantine; sp=reject; pct=50; ' +
      'rua=mailto:dmarc@example.test,mailto:reports@thirdparty.test!10m; ' +
      'ruf=mailto:forensic@example.test',
  )}`,
  '--txt-record=_mta-sts.example.test,v=STSv1; id=20240101',
  '--txt-record=_smtp._tls.example.test,v=TLSRPTv1; rua=mailto:tls@example.test',
  '--srv-host=_sip._tcp.example.test,sip.example.test,5060,10,5',
  '--srv-host=_xmpp-server._tcp.example.test,xmpp.example.test,5269,0,0',
  `--dns-rr=example.test,2,${wireName('ns1.example.test')}`,
  `--dns-rr=example.test,2,${wireName('ns2.example.test')}`,
  `--dns-rr=example.test,6,${soaData('ns1.example.test', 'hostmaster.example.test', [2024010101, 3600, 600, 86400, 300])}`,
  `--dns-rr=example.test,257,${caaData(0, 'issue', 'letsencrypt.org')}`,
  '--ptr-record=10.2.0.192.in-addr.arpa,example.test',
  // Every name below wild.test answers, as a wildcard zone would.
  '--address=/wild.test/192.0.2.99',
  '--local=/wild.test/',
];

const domain: Target = { kind: 'DOMAIN', value: 'example.test' };

describe.skipIf(!haveDnsmasq)('dns tool against dnsmasq', () => {
  let dnsmasq: Dnsmasq;

  beforeAll(async () => {
    dnsmasq = await startDnsmasq(ZONE);
  });
  afterAll(async () => {
    await dnsmasq?.stop();
  });

  const context = () =>
    recordingContext(
      testConfig({ DNS_SERVERS: dnsmasq.server, DNS_TIMEOUT_MS: '1000', DNS_TRIES: '2' }),
    );

  it('finds the hosts, addresses and mail contacts a domain publishes', async () => {
    const ctx = context();
    await dnsTool.run(domain, dnsOptionsSchema.parse({}), ctx);

    expect(ctx.warnings).toEqual([]);
    expect(ctx.values('HOST')).toEqual([
      'example.test',
      'mail.example.test',
      'mx2.example.test',
      'ns1.example.test',
      'ns2.example.test',
      'sip.example.test',
      'xmpp.example.test',
    ]);
    expect(ctx.values('IP')).toEqual(['192.0.2.10', '2001:db8::10']);
    expect(ctx.values('EMAIL')).toEqual([
      'dmarc@example.test',
      'forensic@example.test',
      'reports@thirdparty.test',
      'tls@example.test',
    ]);
    expect(ctx.values('OTHER')).toEqual(
      expect.arrayContaining([
        'A example.test',
        'MX example.test',
        'NS example.test',
        'SOA example.test',
        'CAA example.test',
        'TXT example.test',
        'SPF example.test',
        'DMARC _dmarc.example.test',
        'MTA-STS _mta-sts.example.test',
        'TLSRPT _smtp._tls.example.test',
        'SRV _sip._tcp.example.test',
      ]),
    );
  });

  it('parses SPF and DMARC into the record findings', async () => {
    const ctx = context();
    await dnsTool.run(domain, dnsOptionsSchema.parse({}), ctx);
    const other = (value: string) => ctx.findings.find((f) => f.value === value)?.data;

    const spf = (other('SPF example.test')?.records as Record<string, unknown>[])[0];
    expect(spf).toMatchObject({
      all: '~',
      includes: ['_spf.mailer.test'],
      ip4: ['192.0.2.0/24'],
      dnsLookups: 1,
    });

    const dmarc = (other('DMARC _dmarc.example.test')?.records as Record<string, unknown>[])[0];
    expect(dmarc).toMatchObject({
      p: 'quarantine',
      sp: 'reject',
      pct: 50,
      rua: ['mailto:dmarc@example.test', 'mailto:reports@thirdparty.test'],
      ruf: ['mailto:forensic@example.test'],
    });

    expect(other('SOA example.test')?.records).toEqual([
      expect.objectContaining({ nsname: 'ns1.example.test', serial: 2024010101 }),
    ]);
    expect(other('CAA example.test')?.records).toEqual([{ critical: 0, issue: 'letsencrypt.org' }]);
  });

  it('writes one JSON line per answer that parseDns turns back into the same findings', async () => {
    const ctx = context();
    await dnsTool.run(domain, dnsOptionsSchema.parse({}), ctx);

    expect(ctx.lines.map((l) => JSON.parse(l))).toContainEqual({
      type: 'MX',
      name: 'example.test',
      records: expect.arrayContaining([{ priority: 10, exchange: 'mail.example.test' }]),
    });
    expect(ctx.lines.map((l) => JSON.parse(l))).toContainEqual({
      type: 'CNAME',
      name: 'example.test',
      status: 'NODATA',
    });

    const live = new FindingCollector();
    live.addAll(ctx.findings);
    const key = (f: { kind: string; value: string }) => `${f.kind} ${f.value}`;
    expect(parseDns(ctx.lines.join('\n')).map(key).sort()).toEqual(live.list().map(key).sort());
  });

  it('probes common and custom subdomain labels only when asked', async () => {
    const quiet = context();
    await dnsTool.run(domain, dnsOptionsSchema.parse({}), quiet);
    expect(quiet.values('HOST')).not.toContain('dev.example.test');

    const ctx = context();
    const options = dnsOptionsSchema.parse({ subdomains: true, labels: ['Intranet2'] });
    await dnsTool.run(domain, options, ctx);

    expect(ctx.values('HOST')).toEqual(
      expect.arrayContaining(['dev.example.test', 'git.example.test', 'intranet2.example.test']),
    );
    expect(ctx.values('IP')).toEqual(expect.arrayContaining(['192.0.2.20', '192.0.2.30']));
    // Misses of the probe stay out of the output.
    expect(ctx.lines.some((l) => l.includes('"www.example.test"'))).toBe(false);
    expect(ctx.warnings).toEqual([]);
  });

  it('skips the probe on a wildcard zone and says why', async () => {
    const ctx = context();
    const options = dnsOptionsSchema.parse({ subdomains: true });
    await dnsTool.run({ kind: 'DOMAIN', value: 'wild.test' }, options, ctx);

    expect(ctx.warnings).toEqual([expect.stringMatching(/wildcard.*subdomain probe skipped/)]);
    expect(ctx.values('HOST')).toEqual(['wild.test']);
  });

  it('looks up the PTR names of an address', async () => {
    const ctx = context();
    await dnsTool.run({ kind: 'IP', value: '192.0.2.10' }, dnsOptionsSchema.parse({}), ctx);
    expect(ctx.values('HOST')).toEqual(['example.test']);
    expect(ctx.values('OTHER')).toEqual(['PTR 192.0.2.10']);

    const none = context();
    await dnsTool.run({ kind: 'IP', value: '192.0.2.77' }, dnsOptionsSchema.parse({}), none);
    expect(none.findings).toEqual([]);
    expect(none.warnings).toEqual([]);
    expect(JSON.parse(none.lines[0])).toMatchObject({ type: 'PTR', status: 'NXDOMAIN' });
  });

  it('asks only for mail records of an e-mail domain', async () => {
    const ctx = context();
    const target: Target = { kind: 'EMAIL', value: 'someone@example.test' };
    await dnsTool.run(target, dnsOptionsSchema.parse({}), ctx);

    expect(ctx.values('HOST')).toEqual(['mail.example.test', 'mx2.example.test']);
    expect(ctx.values('IP')).toEqual([]);
    expect(ctx.values('OTHER')).toEqual([
      'DMARC _dmarc.example.test',
      'MTA-STS _mta-sts.example.test',
      'MX example.test',
      'SPF example.test',
      'TLSRPT _smtp._tls.example.test',
    ]);
  });

  it('treats a name that does not exist as an answer, not an error', async () => {
    const ctx = context();
    await dnsTool.run(
      { kind: 'DOMAIN', value: 'nope.example.test' },
      dnsOptionsSchema.parse({}),
      ctx,
    );

    expect(ctx.findings).toEqual([]);
    expect(ctx.warnings).toEqual(['nope.example.test does not exist (NXDOMAIN)']);
    expect(JSON.parse(ctx.lines[0])).toEqual({
      type: 'A',
      name: 'nope.example.test',
      status: 'NXDOMAIN',
    });
  });

  it('fails when every query is refused', async () => {
    const ctx = context();
    // Outside the local zones and with no upstream, dnsmasq refuses every question.
    const run = dnsTool.run(
      { kind: 'DOMAIN', value: 'elsewhere.example' },
      dnsOptionsSchema.parse({}),
      ctx,
    );

    await expect(run).rejects.toThrow(ToolError);
    await expect(run).rejects.toThrow(/every DNS query failed \(EREFUSED ×\d+\)/);
  });
});

describe('dns tool against a server that never answers', () => {
  let socket: Socket;
  let server: string;

  beforeAll(async () => {
    socket = createSocket('udp4');
    socket.on('message', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    server = `127.0.0.1:${socket.address().port}`;
  });
  afterAll(() => {
    socket.close();
  });

  const context = () =>
    recordingContext(testConfig({ DNS_SERVERS: server, DNS_TIMEOUT_MS: '300', DNS_TRIES: '1' }));

  it('fails after the timeout with a message naming the server', async () => {
    const ctx = context();
    const started = Date.now();
    const run = dnsTool.run(domain, dnsOptionsSchema.parse({}), ctx);

    await expect(run).rejects.toThrow(ToolError);
    await expect(run).rejects.toThrow(`DNS server ${server} did not answer within 300 ms`);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(3000);
  });

  it('stops at once when the run is aborted', async () => {
    const ctx = recordingContext(
      testConfig({ DNS_SERVERS: server, DNS_TIMEOUT_MS: '5000', DNS_TRIES: '2' }),
    );
    const started = Date.now();
    const run = dnsTool.run(domain, dnsOptionsSchema.parse({}), ctx);
    setTimeout(() => ctx.controller.abort(new Error('cancelled by analyst')), 100);

    await expect(run).rejects.toThrow('cancelled by analyst');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('dns tool configuration and options', () => {
  it('refuses a DNS_SERVERS entry that is not an address', async () => {
    const config = testConfig({ DNS_SERVERS: '127.0.0.1:53,resolver.example' });
    const availability = await dnsTool.checkAvailability({
      config,
      signal: new AbortController().signal,
    });
    expect(availability).toEqual({
      available: false,
      reason: expect.stringContaining('"resolver.example" is not an IP address'),
    });

    const ctx = recordingContext(config);
    await expect(dnsTool.run(domain, dnsOptionsSchema.parse({}), ctx)).rejects.toThrow(ToolError);
  });

  it('is available with the system resolver and with address entries', async () => {
    const signal = new AbortController().signal;
    for (const servers of ['', '127.0.0.1', '127.0.0.1:5353,[::1]:53,::1']) {
      const config = testConfig({ DNS_SERVERS: servers });
      expect(await dnsTool.checkAvailability({ config, signal })).toEqual({ available: true });
    }
  });

  it('validates probe labels', () => {
    expect(dnsOptionsSchema.parse({})).toEqual({ subdomains: false, labels: [], concurrency: 8 });
    expect(dnsOptionsSchema.safeParse({ subdomains: true, labels: ['a.b'] }).success).toBe(false);
    expect(dnsOptionsSchema.safeParse({ subdomains: true, labels: ['-x'] }).success).toBe(false);
    expect(dnsOptionsSchema.safeParse({ subdomains: true, labels: ['x'.repeat(64)] }).success).toBe(
      false,
    );
    expect(dnsOptionsSchema.safeParse({ labels: ['vpn2'] }).success).toBe(false);
    const many = Array.from({ length: 201 }, (_, i) => `l${i}`);
    expect(dnsOptionsSchema.safeParse({ subdomains: true, labels: many }).success).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';

import { ParseError } from '../../../src/findings/parse-error.js';
import {
  isDmarcRecord,
  isSpfRecord,
  mailtoAddresses,
  parseDmarc,
  parseSpf,
  parseTagList,
} from '../../../src/tools/dns/mail-policy.js';
import { parseDns } from '../../../src/tools/dns/parse.js';

describe('SPF records', () => {
  it('recognises only v=spf1 records', () => {
    expect(isSpfRecord('v=spf1 -all')).toBe(true);
    expect(isSpfRecord('V=SPF1 mx ~all')).toBe(true);
    expect(isSpfRecord('v=spf1')).toBe(true);
    expect(isSpfRecord('v=spf10 -all')).toBe(false);
    expect(isSpfRecord('google-site-verification=x')).toBe(false);
  });

  it('lists mechanisms with their qualifiers, includes, addresses and the all qualifier', () => {
    const spf = parseSpf(
      'v=spf1 mx a:mail.example.test/24 ip4:192.0.2.0/24 ip6:2001:db8::/32 ' +
        'include:_spf.example.net ?include:spf.other.test exists:%{i}.rbl.test -all',
    );

    expect(spf.mechanisms).toEqual([
      { qualifier: '+', type: 'mx' },
      { qualifier: '+', type: 'a', value: 'mail.example.test/24' },
      { qualifier: '+', type: 'ip4', value: '192.0.2.0/24' },
      { qualifier: '+', type: 'ip6', value: '2001:db8::/32' },
      { qualifier: '+', type: 'include', value: '_spf.example.net' },
      { qualifier: '?', type: 'include', value: 'spf.other.test' },
      { qualifier: '+', type: 'exists', value: '%{i}.rbl.test' },
      { qualifier: '-', type: 'all' },
    ]);
    expect(spf.includes).toEqual(['_spf.example.net', 'spf.other.test']);
    expect(spf.ip4).toEqual(['192.0.2.0/24']);
    expect(spf.ip6).toEqual(['2001:db8::/32']);
    expect(spf.all).toBe('-');
    expect(spf.dnsLookups).toBe(5);
    expect(spf.invalidTerms).toEqual([]);
  });

  it('keeps modifiers, counts redirect as a lookup and reports unknown terms', () => {
    const spf = parseSpf('v=spf1 a/24 redirect=_spf.example.test exp=explain.example.test bogus');

    expect(spf.mechanisms).toEqual([{ qualifier: '+', type: 'a', value: '/24' }]);
    expect(spf.redirect).toBe('_spf.example.test');
    expect(spf.modifiers).toEqual({
      redirect: '_spf.example.test',
      exp: 'explain.example.test',
    });
    expect(spf.all).toBeUndefined();
    expect(spf.dnsLookups).toBe(2);
    expect(spf.invalidTerms).toEqual(['bogus']);
  });
});

describe('DMARC records', () => {
  it('recognises v=DMARC1 as the first tag only', () => {
    expect(isDmarcRecord('v=DMARC1; p=none')).toBe(true);
    expect(isDmarcRecord('v=DMARC1')).toBe(true);
    expect(isDmarcRecord('p=none; v=DMARC1')).toBe(false);
    expect(isDmarcRecord('v=DMARC10; p=none')).toBe(false);
  });

  it('reads the policy tags and the report addresses without size limits', () => {
    const dmarc = parseDmarc(
      'v=DMARC1;p=REJECT; sp=none; pct=25; adkim=s; aspf=r; fo=1; ri=3600;' +
        'rua=mailto:agg@example.test!10m, mailto:other@reports.test; ruf=mailto:f@example.test',
    );

    expect(dmarc).toMatchObject({
      p: 'reject',
      sp: 'none',
      pct: 25,
      adkim: 's',
      aspf: 'r',
      fo: '1',
      ri: 3600,
      rua: ['mailto:agg@example.test', 'mailto:other@reports.test'],
      ruf: ['mailto:f@example.test'],
    });
    expect(mailtoAddresses(dmarc.rua)).toEqual(['agg@example.test', 'other@reports.test']);
  });

  it('leaves out what the record does not say', () => {
    const dmarc = parseDmarc('v=DMARC1; p=none; pct=abc');
    expect(dmarc.p).toBe('none');
    expect(dmarc.pct).toBeUndefined();
    expect(dmarc.rua).toEqual([]);
    expect(JSON.parse(JSON.stringify(dmarc))).not.toHaveProperty('sp');
  });

  it('keeps the first of repeated tags', () => {
    expect(parseTagList('v=STSv1; id=1; id=2; =x; novalue')).toEqual({ v: 'STSv1', id: '1' });
  });
});

describe('parseDns', () => {
  const saved = [
    '{"type":"A","name":"example.test","records":["192.0.2.1","192.0.2.1"]}',
    '{"type":"AAAA","name":"example.test","status":"NODATA"}',
    '{"type":"MX","name":"example.test","records":[{"priority":0,"exchange":"."},' +
      '{"priority":10,"exchange":"MX1.Example.Test."}]}',
    '{"type":"SRV","name":"_sip._tcp.example.test","records":' +
      '[{"priority":0,"weight":0,"port":5060,"name":"sip.example.test"}]}',
    '{"type":"PTR","name":"192.0.2.1","records":["host.example.test"]}',
    '{"type":"MX","name":"broken.test","records":"not a list"}',
    '',
  ].join('\n');

  it('turns saved answers back into unique findings', () => {
    const findings = parseDns(saved);
    const of = (kind: string) => findings.filter((f) => f.kind === kind).map((f) => f.value);

    expect(of('HOST')).toEqual([
      'example.test',
      'mx1.example.test',
      'sip.example.test',
      'host.example.test',
    ]);
    expect(of('IP')).toEqual(['192.0.2.1']);
    expect(of('OTHER')).toEqual([
      'A example.test',
      'MX example.test',
      'SRV _sip._tcp.example.test',
      'PTR 192.0.2.1',
    ]);
  });

  it('reads an empty output as no findings and refuses text of another tool', () => {
    expect(parseDns('')).toEqual([]);
    expect(() => parseDns('[*] Target: example.test\n')).toThrow(ParseError);
  });
});

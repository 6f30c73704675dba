import { describe, expect, it } from 'vitest';

import { parseSpiderfoot, spiderfootFindingsFromJson } from '../../src/tools/spiderfoot/parse.js';
import { keysOf } from './helpers.js';

const EXPORT = [
  'Updated,Type,Module,Source,F/P,Data',
  '2024-05-27 09:58:39,DOMAIN_WHOIS,sfp_whois,acme.example,0,"   Domain Name: ACME.EXAMPLE\r\n   Registrar: ""Big"" Registrar\r\n"',
  '2024-05-27 09:53:13,IP_ADDRESS,sfp_dnsresolve,acme.example,0,192.0.2.5',
  '2024-05-27 09:53:14,INTERNET_NAME,sfp_dnsbrute,acme.example,1,false.acme.example',
  '2024-05-27 09:53:15,INTERNET_NAME,sfp_dnsbrute,acme.example,0,WWW.acme.example',
  '2024-05-27 09:53:16,EMAILADDR,sfp_email,"<html>\nline two\n</html>",0,Info@Acme.Example',
  '2024-05-27 09:53:17,PHONE_NUMBER,sfp_phone,acme.example,0,+1 555 0100',
  '2024-05-27 09:53:18,HTTP_CODE,sfp_spider,https://acme.example/,0,200',
  '2024-05-27 09:53:19,LINKED_URL_EXTERNAL,sfp_spider,https://acme.example/,0,<SFURL>https://other.example/x</SFURL>',
].join('\r\n');

describe('SpiderFoot CSV export', () => {
  it('reads quoted multi-line fields and skips false positives, raw data and fetch details', () => {
    expect(keysOf(parseSpiderfoot(`${EXPORT}\r\n`))).toEqual([
      'EMAIL info@acme.example',
      'HOST www.acme.example',
      'IP 192.0.2.5',
      'OTHER +1 555 0100',
      'URL https://other.example/x',
    ]);
  });

  it('keeps the event type, module and a short source as detail', () => {
    const ip = parseSpiderfoot(EXPORT).find((f) => f.kind === 'IP');
    expect(ip?.data).toEqual({
      eventType: 'IP_ADDRESS',
      module: 'sfp_dnsresolve',
      lastSeen: '2024-05-27 09:53:13',
      source: 'acme.example',
    });
    const email = parseSpiderfoot(EXPORT).find((f) => f.kind === 'EMAIL');
    expect(email?.data).not.toHaveProperty('source');
  });

  it('counts a false-positive value when another row reports it for real', () => {
    const text = `${EXPORT}\r\n2024-05-27 09:53:20,INTERNET_NAME,sfp_crt,acme.example,0,false.acme.example`;
    expect(keysOf(parseSpiderfoot(text))).toContain('HOST false.acme.example');
  });

  it('names the scan of a multi-scan export', () => {
    const text =
      'Scan Name,Updated,Type,Module,Source,F/P,Data\r\nmain,2026-01-01 00:00:00,AFFILIATE_IPADDR,sfp_x,a.example,0,198.51.100.7\r\n';
    expect(parseSpiderfoot(text)[0]).toMatchObject({
      kind: 'IP',
      value: '198.51.100.7',
      data: { scanName: 'main' },
    });
  });

  it('keeps the records before a cut inside a quoted field', () => {
    const cut = `${EXPORT}\r\n2024-05-27 09:53:21,DOMAIN_WHOIS,sfp_whois,acme.example,0,"Domain: ACME`;
    expect(keysOf(parseSpiderfoot(cut))).toEqual(keysOf(parseSpiderfoot(EXPORT)));
  });
});

describe('SpiderFoot JSON answers', () => {
  it('reads /scaneventresults rows: HTML-escaped data, fp flag, ROOT skipped', () => {
    const row = (data: string, type: string, fp = 0) => [
      '2024-05-01 10:02:11',
      data,
      'acme.example',
      'sfp_dnsbrute',
      100,
      100,
      0,
      'hash',
      fp,
      0,
      type,
    ];
    const answer = [
      row('acme.example', 'ROOT'),
      row('www.acme.example', 'INTERNET_NAME'),
      row('bad.acme.example', 'INTERNET_NAME', 1),
      row('Jane &amp; Co &lt;jane@acme.example&gt;', 'HUMAN_NAME'),
      row('&#x27;quoted&#x27;@acme.example', 'EMAILADDR'),
    ];
    expect(keysOf(spiderfootFindingsFromJson(answer))).toEqual([
      "EMAIL 'quoted'@acme.example",
      'HOST www.acme.example',
      'OTHER Jane & Co <jane@acme.example>',
    ]);
  });

  it('reads /scaneventresultsunique rows and /scanexportjsonmulti objects', () => {
    expect(keysOf(spiderfootFindingsFromJson([['192.0.2.9', 'IP_ADDRESS', 3]]))).toEqual([
      'IP 192.0.2.9',
    ]);
    const exported = [
      {
        data: 'mail.acme.example',
        event_type: 'INTERNET_NAME',
        module: 'sfp_dns',
        source_data: 'acme.example',
        false_positive: 0,
        last_seen: '1700000000.0',
        scan_name: 'acme',
        scan_target: 'acme.example',
      },
      {
        data: 'x.acme.example',
        event_type: 'INTERNET_NAME',
        module: 'sfp_dns',
        source_data: 'acme.example',
        false_positive: 1,
        last_seen: '1',
        scan_name: 'acme',
        scan_target: 'acme.example',
      },
    ];
    expect(spiderfootFindingsFromJson(exported)).toEqual([
      {
        kind: 'HOST',
        value: 'mail.acme.example',
        data: {
          eventType: 'INTERNET_NAME',
          module: 'sfp_dns',
          scanName: 'acme',
          lastSeen: '1700000000.0',
          source: 'acme.example',
        },
      },
    ]);
  });

  it('reads the command line JSON with readable type names, even when cut short', () => {
    const text = [
      '[{"generated": 1700000000, "type": "Internet Name", "data": "www.acme.example", "module": "sfp_dnsbrute", "source": "acme.example"},',
      '{"generated": 1700000001, "type": "IPv6 Address", "data": "2001:DB8::5", "module": "sfp_dnsresolve", "source": "www.acme.example"},',
      '{"generated": 1700000002, "type": "Email Address", "data": "ops@acme.ex',
    ].join('\n');
    expect(keysOf(parseSpiderfoot(text))).toEqual(['HOST www.acme.example', 'IP 2001:db8::5']);
  });

  it('refuses an error answer and garbage with a one-line reason', () => {
    expect(() =>
      parseSpiderfoot('{"error": {"http_status": "404", "message": "Not found"}}'),
    ).toThrow('SpiderFoot answered with an error: Not found');
    expect(() => parseSpiderfoot('[{"data": "unterminated')).toThrow(
      /^malformed JSON in SpiderFoot/,
    );
  });
});

describe('SpiderFoot command-line output', () => {
  it('reads tab output with readable names and data running over several lines', () => {
    const pad = (text: string, width: number) => text.padEnd(width);
    const line = (module: string, type: string, data: string) =>
      `${pad(module, 30)}\t${pad(type, 45)}\t${data}`;
    const text = [
      line('Source', 'Type', 'Data'),
      line('sfp_whois', 'Domain Whois', 'Domain Name: ACME.EXAMPLE'),
      'Registrar Abuse Contact Email: abuse@registrar.example',
      line('sfp_dnsresolve', 'IP Address', '192.0.2.20'),
      '2024-05-01 10:00:00,123 [INFO] sflib : progress',
      line('sfp_dnsbrute', 'Internet Name - Unresolved', 'old.acme.example'),
      line('sfp_social', 'Social Media Presence', 'GitHub: <SFURL>https://github.com/acme</SFURL>'),
    ].join('\n');
    expect(parseSpiderfoot(text).map((f) => [f.kind, f.value, f.data?.eventType])).toEqual([
      ['IP', '192.0.2.20', 'IP_ADDRESS'],
      ['HOST', 'old.acme.example', 'INTERNET_NAME_UNRESOLVED'],
      ['ACCOUNT', 'GitHub: https://github.com/acme', 'SOCIAL_MEDIA'],
    ]);
  });

  it('reads csv output, where the source data always precedes the data', () => {
    const text = [
      'Source,Type,Source Data,Data',
      'sfp_dnsresolve,IP Address,www.acme.example,192.0.2.21',
      'sfp_email,Email Address,"Contact us, or not",sales@acme.example',
    ].join('\n');
    expect(keysOf(parseSpiderfoot(text))).toEqual(['EMAIL sales@acme.example', 'IP 192.0.2.21']);
  });
});

import { describe, expect, it } from 'vitest';

import { ParseError } from '../../src/findings/parse-error.js';
import {
  createTheHarvesterLineParser,
  parseTheHarvester,
  theharvesterFindingsFromJson,
} from '../../src/tools/theharvester/parse.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';
import { colour, crlf, keysOf, streamLines, valuesOf } from './helpers.js';

const CONSOLE = [
  '*******************************************************************',
  '* theHarvester 4.8.1                                              *',
  '* cmartorella@edge-security.com                                   *',
  '*******************************************************************',
  '',
  '[*] Target: example.com ',
  '',
  '\tSearching 0 results.',
  '[*] Searching Bing. ',
  '',
  '[*] IPs found: 2',
  '-------------------',
  '192.0.2.10',
  '2001:DB8::0:1',
  '',
  '[*] Emails found: 2',
  '----------------------',
  'Info@Example.com',
  'cmartorella@edge-security.com',
  '',
  '[*] Hosts found: 99',
  '---------------------',
  'www.example.com:192.0.2.10, 192.0.2.11',
  'v6.example.com:2001:db8::2',
  'mail.example.com:mx.provider.example.net.',
  '*.cdn.example.com',
  'Shop.Example.com',
  '',
  '[*] Interesting Urls found: 1',
  '--------------------',
  'https://example.com/login',
  '',
  '[*] ASNS found: 1',
  '--------------------',
  'AS64500',
].join('\n');

describe('theHarvester console text', () => {
  it('reads every section and trusts listed items, not header counts', () => {
    const findings = parseTheHarvester(CONSOLE);
    expect(valuesOf(findings, 'HOST')).toEqual([
      'www.example.com',
      'v6.example.com',
      'mail.example.com',
      'mx.provider.example.net',
      'cdn.example.com',
      'shop.example.com',
    ]);
    expect(valuesOf(findings, 'IP')).toEqual([
      '192.0.2.10',
      '2001:db8::1',
      '192.0.2.11',
      '2001:db8::2',
    ]);
    expect(valuesOf(findings, 'URL')).toEqual(['https://example.com/login']);
    expect(findings).toContainEqual({ kind: 'OTHER', value: 'AS64500', data: { type: 'asn' } });
  });

  it('counts an address in the Emails section but never the banner line', () => {
    const emails = valuesOf(parseTheHarvester(CONSOLE), 'EMAIL');
    expect(emails).toEqual(['info@example.com', 'cmartorella@edge-security.com']);

    const withoutSection = CONSOLE.replace('cmartorella@edge-security.com\n\n', '\n');
    expect(valuesOf(parseTheHarvester(withoutSection), 'EMAIL')).toEqual(['info@example.com']);
  });

  it('links a host to its addresses and its CNAME target', () => {
    const findings = parseTheHarvester(CONSOLE);
    expect(findings.find((f) => f.value === 'www.example.com')?.data).toEqual({
      addresses: ['192.0.2.10', '192.0.2.11'],
    });
    expect(findings.find((f) => f.value === 'mx.provider.example.net')?.data).toEqual({
      cnameOf: ['mail.example.com'],
    });
  });

  it('ignores ANSI colours and CRLF line ends', () => {
    expect(keysOf(parseTheHarvester(crlf(colour(CONSOLE))))).toEqual(
      keysOf(parseTheHarvester(CONSOLE)),
    );
  });

  it('reads the 3.x layout with its resolving line inside the hosts list', () => {
    const text = [
      '[+] Emails found:',
      '------------------',
      'a@example.com',
      '',
      '[+] Hosts found in search engines:',
      '------------------------------------',
      'Total hosts: 2',
      '[-] Resolving hostnames IPs... ',
      'www.example.com:192.0.2.1',
      'dev.example.com:empty',
      '',
      '[+] Virtual hosts:',
      '==================',
      '192.0.2.1\tvhost.example.org',
    ].join('\n');
    expect(keysOf(parseTheHarvester(text))).toEqual([
      'EMAIL a@example.com',
      'HOST dev.example.com',
      'HOST vhost.example.org',
      'HOST www.example.com',
      'IP 192.0.2.1',
    ]);
  });

  it('survives output cut in the middle of a line', () => {
    const cut = CONSOLE.slice(
      0,
      CONSOLE.indexOf('v6.example.com') + 'v6.example.com:2001:d'.length,
    );
    const findings = parseTheHarvester(cut);
    expect(valuesOf(findings, 'HOST')).toEqual(['www.example.com', 'v6.example.com']);
    expect(valuesOf(findings, 'IP')).toEqual(['192.0.2.10', '2001:db8::1', '192.0.2.11']);
  });

  it('streams the same findings line by line, carriage returns included', () => {
    const streamed = streamLines(crlf(CONSOLE), createTheHarvesterLineParser());
    expect(keysOf(streamed)).toEqual(keysOf(parseTheHarvester(CONSOLE)));
  });

  it.skipIf(!haveFixtures)('streams the recorded console output like the whole-text parser', () => {
    const text = readFixture('theharvester/theharvester_4.8.1_bing_text.txt');
    const streamed = streamLines(text, createTheHarvesterLineParser());
    expect(keysOf(streamed)).toEqual(keysOf(parseTheHarvester(text)));
    expect(keysOf(streamed)).toHaveLength(32);
  });
});

describe('theHarvester JSON and XML reports', () => {
  it('reads host entries with IPv6 addresses, CNAME targets and wildcards', () => {
    const report = {
      hosts: [
        '*.example.com',
        'a.example.com:2606:4700:4400::6812:230f',
        'b.example.com:c.example.net.',
        '2606:4700::1',
      ],
      ips: ['192.0.2.1'],
      interesting_urls: ['https:\\/\\/example.com'.replace(/\\\//g, '/')],
      linkedin_links: ['https://www.linkedin.com/company/example'],
      vhosts: ['192.0.2.1:shop.example.com'],
      shodan: [],
    };
    expect(keysOf(theharvesterFindingsFromJson(report))).toEqual([
      'HOST a.example.com',
      'HOST b.example.com',
      'HOST c.example.net',
      'HOST example.com',
      'HOST shop.example.com',
      'IP 192.0.2.1',
      'IP 2606:4700:4400::6812:230f',
      'URL https://example.com',
      'URL https://www.linkedin.com/company/example',
    ]);
  });

  it('unescapes \\/ in a one-line report file', () => {
    const text = '{"hosts":[],"interesting_urls":["http:\\/\\/example.com\\/a"],"shodan":[]}';
    expect(parseTheHarvester(text)).toEqual([{ kind: 'URL', value: 'http://example.com/a' }]);
  });

  it('reads a report someone saved pretty-printed', () => {
    const report = { emails: ['a@example.com'], hosts: ['www.example.com:192.0.2.1'], shodan: [] };
    expect(keysOf(parseTheHarvester(JSON.stringify(report, null, 4)))).toEqual([
      'EMAIL a@example.com',
      'HOST www.example.com',
      'IP 192.0.2.1',
    ]);
  });

  it('refuses a JSON report cut short with a one-line reason', () => {
    const text = '{"emails":["a@example.com"],"hosts":["www.exam';
    expect(() => parseTheHarvester(text)).toThrow(ParseError);
    expect(() => parseTheHarvester(text)).toThrow(/^malformed JSON in theHarvester JSON report/);
  });

  it('reports the REST API exception answer as an error', () => {
    expect(() =>
      parseTheHarvester('{"exception": "Please contact the server administrator"}'),
    ).toThrow(/exception: Please contact/);
  });

  it('reads the JSON-lines file with its renamed kinds and a cut last line', () => {
    const lines = [
      { type: 'summary', target: 'example.com', run_id: 'x' },
      { type: 'hostname', value: 'www.example.com', sources: ['crtsh'], actions: [] },
      { type: 'ip', value: '192.0.2.7', sources: ['dnsbrute'], actions: [] },
      { type: 'email', value: 'Sales@example.com', sources: ['duckduckgo'], actions: [] },
      { type: 'url', value: 'https://example.com/x', sources: ['urlscan'], actions: [] },
      { type: 'asn', value: 'AS64500', sources: ['routeviews'], actions: [] },
    ].map((r) => JSON.stringify(r));
    const text = `${lines.join('\n')}\n{"type":"hostname","value":"cut.exa`;

    const findings = parseTheHarvester(text);
    expect(keysOf(findings)).toEqual([
      'EMAIL sales@example.com',
      'HOST www.example.com',
      'IP 192.0.2.7',
      'OTHER AS64500',
      'URL https://example.com/x',
    ]);
    expect(findings.find((f) => f.kind === 'HOST')?.data).toEqual({ sources: ['crtsh'] });
  });

  it('reads XML hosts whose <ip> holds a CNAME target, and keeps what precedes a cut', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><theHarvester><email>a@example.com</email>' +
      '<host>www.example.com</host><host><ip>mail.provider.example.net.</ip><hostname>mail.example.com</hostname></host>' +
      '<host><ip>192.0.2.3</ip><hostname>api.example.com</hostname></host><vhost>192.0.2.3:v.example.com</vhost>' +
      '</theHarvester>';
    expect(keysOf(parseTheHarvester(xml))).toEqual([
      'EMAIL a@example.com',
      'HOST api.example.com',
      'HOST mail.example.com',
      'HOST mail.provider.example.net',
      'HOST v.example.com',
      'HOST www.example.com',
      'IP 192.0.2.3',
    ]);

    const cut = xml.slice(0, xml.indexOf('<host><ip>192') + 14);
    expect(keysOf(parseTheHarvester(cut))).toEqual([
      'EMAIL a@example.com',
      'HOST mail.example.com',
      'HOST mail.provider.example.net',
      'HOST www.example.com',
    ]);
  });

  it('refuses an HTML report', () => {
    expect(() => parseTheHarvester('<html><body>report</body></html>')).toThrow(/HTML reports/);
  });
});

import { describe, expect, it } from 'vitest';

import { createReconNgLineParser, parseReconNg } from '../../src/tools/recon-ng/parse.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';
import { crlf, keysOf, streamLines } from './helpers.js';

const blue = (text: string) => `\x1b[34m[*]\x1b[m ${text}`;
const green = (text: string) => `\x1b[32m[*]\x1b[m ${text}`;

const RUN = [
  '[recon-ng][acme][hackertarget] > run',
  '',
  '-----------',
  'ACME.EXAMPLE',
  '-----------',
  blue('URL: https://api.hackertarget.example/hostsearch/?q=acme.example'),
  green('Country: None'),
  green('Host: www.acme.example'),
  green('Ip_Address: 192.0.2.10'),
  green('Latitude: None'),
  green('Notes: None'),
  green('Region: None'),
  green('--------------------------------------------------'),
  green('Country: None'),
  green('Host: Dev.Acme.Example'),
  green('Ip_Address: None'),
  green('--------------------------------------------------'),
  '\x1b[31m[!] Rate limit exceeded.\x1b[m',
  '',
  '-------',
  'SUMMARY',
  '-------',
  blue('2 total (2 new) hosts found.'),
].join('\n');

describe('recon-ng module runs', () => {
  it('reads coloured record blocks and skips the heading, URL lines and None', () => {
    const findings = parseReconNg(RUN);
    expect(findings).toEqual([
      { kind: 'HOST', value: 'www.acme.example', data: { addresses: ['192.0.2.10'] } },
      { kind: 'IP', value: '192.0.2.10', data: { hostnames: ['www.acme.example'] } },
      { kind: 'HOST', value: 'dev.acme.example' },
    ]);
  });

  it('reads contact blocks of v5 and contact lines of v4', () => {
    const text = [
      green('Email: J.Doe@Acme.Example'),
      green('First_Name: Jane'),
      green('Last_Name: Doe'),
      green('Title: CFO'),
      green('--------------------------------------------------'),
      '[*] [contact] John Roe (jroe@acme.example) - Whois contact',
      '[*] [contact] <blank> (noc@acme.example) - <blank>',
      '[*] [contact] Nobody (not an address) - x',
    ].join('\n');
    expect(parseReconNg(text)).toEqual([
      { kind: 'EMAIL', value: 'j.doe@acme.example', data: { name: 'Jane Doe', title: 'CFO' } },
      {
        kind: 'EMAIL',
        value: 'jroe@acme.example',
        data: { name: 'John Roe', title: 'Whois contact' },
      },
      { kind: 'EMAIL', value: 'noc@acme.example' },
    ]);
  });

  it('reports a block cut short at the end of output', () => {
    const lines = RUN.split('\n');
    const cut = lines.slice(0, lines.indexOf(green('Host: Dev.Acme.Example')) + 1);
    const parser = createReconNgLineParser();
    const pushed = cut.flatMap((line) => parser.push(line));
    expect(keysOf(pushed)).toEqual(['HOST www.acme.example', 'IP 192.0.2.10']);
    expect(keysOf(parser.end())).toEqual(['HOST dev.acme.example']);
  });

  it('streams the same findings line by line, with CRLF', () => {
    expect(keysOf(streamLines(crlf(RUN), createReconNgLineParser()))).toEqual(
      keysOf(parseReconNg(RUN)),
    );
  });
});

describe('recon-ng tables', () => {
  const table = (header: string[], rows: string[][]) => {
    const line = (cells: string[]) => `  | ${cells.join(' | ')} |`;
    const border = '  +------------------------------------------+';
    return [
      border,
      line(header),
      border,
      ...rows.map(line),
      border,
      '',
      `[*] ${rows.length} rows returned`,
    ].join('\n');
  };

  it('maps cells by the header and keeps columns right of a notes cell holding a |', () => {
    const text = table(
      ['rowid', 'host', 'ip_address', 'region', 'notes', 'module'],
      [
        ['1', 'www.acme.example', '192.0.2.1', '', 'a | b', 'brute_hosts'],
        ['2', 'mail.acme.example', '', '', '', 'bing_domain_web'],
        ['3', 'None', '192.0.2.2', '', '', 'reverse_resolve'],
      ],
    );
    expect(parseReconNg(text)).toEqual([
      {
        kind: 'HOST',
        value: 'www.acme.example',
        data: { module: 'brute_hosts', addresses: ['192.0.2.1'] },
      },
      {
        kind: 'IP',
        value: '192.0.2.1',
        data: { module: 'brute_hosts', hostnames: ['www.acme.example'] },
      },
      { kind: 'HOST', value: 'mail.acme.example', data: { module: 'bing_domain_web' } },
      { kind: 'IP', value: '192.0.2.2', data: { module: 'reverse_resolve' } },
    ]);
  });

  it('reads the email column of a contacts table and nothing of a marketplace table', () => {
    const contacts = table(
      ['rowid', 'first_name', 'middle_name', 'last_name', 'email', 'title', 'module'],
      [['1', 'Jane', '', 'Doe', 'jane@acme.example', 'CFO', 'whois_pocs']],
    );
    const marketplace = table(
      ['Path', 'Version', 'Status', 'Updated', 'D', 'K'],
      [['recon/domains-hosts/hackertarget.example', '1.1', 'installed', '2020-05-17', '', '']],
    );
    expect(parseReconNg(`${contacts}\n${marketplace}`)).toEqual([
      {
        kind: 'EMAIL',
        value: 'jane@acme.example',
        data: { module: 'whois_pocs', name: 'Jane Doe', title: 'CFO' },
      },
    ]);
  });

  it('keeps the rows before a cut in the middle of a row', () => {
    const text = table(
      ['rowid', 'host', 'ip_address'],
      [
        ['1', 'a.acme.example', '192.0.2.1'],
        ['2', 'b.acme.example', '192.0.2.2'],
      ],
    );
    const cut = text.slice(0, text.indexOf('b.acme') + 3);
    expect(keysOf(parseReconNg(cut))).toEqual(['HOST a.acme.example', 'IP 192.0.2.1']);
  });

  it.skipIf(!haveFixtures)('streams every recorded session like the whole-text parser', () => {
    for (const name of [
      'recon-ng/reconng_4.x_show_hosts_no_notes_column.txt',
      'recon-ng/reconng_5.x_show_hosts_40_rows_misaligned.txt',
      'recon-ng/reconng_5.x_reverse_resolve_run.txt',
      'recon-ng/reconng_5.1.1_startup_banner.txt',
    ]) {
      const text = readFixture(name);
      expect(keysOf(streamLines(text, createReconNgLineParser()))).toEqual(
        keysOf(parseReconNg(text)),
      );
    }
  });

  it.skipIf(!haveFixtures)('finds nothing in the banner, its URLs and its @handle', () => {
    expect(parseReconNg(readFixture('recon-ng/reconng_5.1.1_startup_banner.txt'))).toEqual([]);
  });
});

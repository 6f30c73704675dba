import { describe, expect, it } from 'vitest';

import {
  FindingCollector,
  normalizeEmail,
  normalizeHost,
  normalizeIp,
  normalizeUrl,
} from '../../src/findings/normalize.js';

describe('normalizeHost', () => {
  it.each([
    ['WWW.Example.COM', 'www.example.com'],
    ['www.example.com.', 'www.example.com'],
    ['*.example.com', 'example.com'],
    ['  mail.example.com \r', 'mail.example.com'],
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['2Fblog.coinbase.com', '2fblog.coinbase.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
  ])('normalises %j to %j', (raw, host) => {
    expect(normalizeHost(raw)).toBe(host);
  });

  it.each([
    ['', 'empty'],
    ['localhost', 'no dot'],
    ['192.0.2.1', 'an IPv4 address'],
    ['2001:db8::1', 'an IPv6 address'],
    ['4.8.1', 'a version number (numeric last label)'],
    ['exa mple.com', 'a blank inside'],
    ['-bad.example.com', 'a label starting with a hyphen'],
    ['bad-.example.com', 'a label ending with a hyphen'],
    ['a..example.com', 'an empty label'],
    [`${'a'.repeat(64)}.example.com`, 'a label over 63 characters'],
    [`${'abcdefghi.'.repeat(26)}com`, 'a name over 253 characters'],
    ['*.*.example.com', 'a second wildcard'],
    ['user@example.com', 'an e-mail address'],
    ['AS207960 Test Intermediate - example.com', 'free text'],
  ])('refuses %j (%s)', (raw) => {
    expect(normalizeHost(raw)).toBeUndefined();
  });
});

describe('normalizeEmail', () => {
  it.each([
    ['John.Doe@Example.COM', 'john.doe@example.com'],
    [' mailto:Info@example.org ', 'info@example.org'],
    ['2021_50377@edu.arh.bg.ac.rs', '2021_50377@edu.arh.bg.ac.rs'],
    ['a+tag@sub.example.com.', 'a+tag@sub.example.com'],
  ])('normalises %j to %j', (raw, email) => {
    expect(normalizeEmail(raw)).toBe(email);
  });

  it.each([
    'user@localhost',
    '@example.com',
    'a b@example.com',
    'a@192.0.2.1',
    'noatsign.com',
    '.a@example.com',
    'a@*.example.com',
  ])('refuses %j', (raw) => {
    expect(normalizeEmail(raw)).toBeUndefined();
  });
});

describe('normalizeIp', () => {
  it.each([
    [' 8.8.8.8 ', '8.8.8.8'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8:0:0:0:1:0:0', '2001:db8::1:0:0'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:db8:0:0:0:0:0:0', '2001:db8::'],
    ['[2606:4700:4400:0:0:0:6812:230F]', '2606:4700:4400::6812:230f'],
    ['::FFFF:C000:0201', '::ffff:192.0.2.1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['::192.0.2.1', '::c000:201'],
  ])('writes %j as %j', (raw, ip) => {
    expect(normalizeIp(raw)).toBe(ip);
  });

  it.each(['256.1.1.1', '1.2.3', 'fe80::1%eth0', 'example.com', '', '1:2:3:4:5:6:7:8:9'])(
    'refuses %j',
    (raw) => {
      expect(normalizeIp(raw)).toBeUndefined();
    },
  );
});

describe('normalizeUrl', () => {
  it('keeps a URL as given, trimmed', () => {
    expect(normalizeUrl('  https://Example.com/a?b=C \n')).toBe('https://Example.com/a?b=C');
  });

  it('refuses empty text and control characters', () => {
    expect(normalizeUrl('   ')).toBeUndefined();
    expect(normalizeUrl('https://a.example/\u0000x')).toBeUndefined();
  });
});

describe('FindingCollector', () => {
  it('merges duplicates by normalised value and keeps first-seen order', () => {
    const collector = new FindingCollector();
    expect(collector.add('HOST', 'WWW.example.com.')).toEqual({
      kind: 'HOST',
      value: 'www.example.com',
    });
    collector.add('IP', '2001:db8:0:0:0:0:0:1');
    expect(collector.add('HOST', '*.www.example.com')).toBeUndefined();
    collector.add('EMAIL', 'A@Example.com');
    collector.add('IP', '2001:db8::1');

    expect(collector.list().map((f) => `${f.kind} ${f.value}`)).toEqual([
      'HOST www.example.com',
      'IP 2001:db8::1',
      'EMAIL a@example.com',
    ]);
  });

  it('keeps the first value of a detail and unites lists', () => {
    const collector = new FindingCollector();
    collector.add('HOST', 'a.example.com', { module: 'first', addresses: ['192.0.2.1'] });
    collector.add('HOST', 'A.example.com', {
      module: 'second',
      addresses: ['192.0.2.1', '192.0.2.2'],
    });
    collector.add('HOST', 'a.example.com', { cname: ['b.example.net'] });

    expect(collector.list()).toEqual([
      {
        kind: 'HOST',
        value: 'a.example.com',
        data: { module: 'first', addresses: ['192.0.2.1', '192.0.2.2'], cname: ['b.example.net'] },
      },
    ]);
  });

  it('drops values that are not valid for their kind and keeps kinds apart', () => {
    const collector = new FindingCollector();
    collector.add('HOST', '192.0.2.1');
    collector.add('EMAIL', 'not an address');
    collector.add('OTHER', '   ');
    collector.add('OTHER', ' 192.0.2.1 ');
    collector.add('IP', '192.0.2.1');

    expect(collector.list()).toEqual([
      { kind: 'OTHER', value: '192.0.2.1' },
      { kind: 'IP', value: '192.0.2.1' },
    ]);
    expect(collector.size).toBe(2);
  });
});

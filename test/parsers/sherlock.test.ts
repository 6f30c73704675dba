import { describe, expect, it } from 'vitest';

import { createSherlockLineParser, parseSherlock } from '../../src/tools/sherlock/parse.js';
import { haveFixtures, readFixture } from '../support/fixtures.js';
import { crlf, keysOf, streamLines } from './helpers.js';

// Sherlock's colours: bright white brackets, green `+` and site name, reset before the URL.
const found = (site: string, url: string) =>
  `\x1b[1m\x1b[37m[\x1b[92m+\x1b[37m]\x1b[92m ${site}: \x1b[0m${url}`;

const CONSOLE = [
  'Update available! 0.15.0 --> 0.16.0',
  'https://github.com/sherlock-project/sherlock/releases/tag/v0.16.0',
  '\x1b[1m\x1b[37m[\x1b[92m*\x1b[37m] Checking username \x1b[0mkim\x1b[1m\x1b[37m on:\x1b[0m',
  '',
  found('GitHub', 'https://www.github.com/kim'),
  found('NameMC (Minecraft.net skins)', 'https://namemc.com/profile/kim'),
  found('osu!', 'https://osu.ppy.sh/users/kim'),
  '[+] [231ms] Steam Community (User): https://steamcommunity.com/id/kim/',
  '[-] GitLab: Not Found!',
  '[-] ResearchGate: Illegal Username Format For This Site!',
  '[-] Quora: Blocked by bot detection (proxy may help)',
  '[-] Example: https://error.example/kim timed out',
  '[+] Discord: https://discord.com',
  '',
  '[*] Search completed with 5 results',
  '',
  'Try OSINTSearch: https://osintsearch.example',
].join('\n');

describe('Sherlock console output', () => {
  it('takes only [+] lines, whatever the site name holds', () => {
    const findings = parseSherlock(CONSOLE);
    expect(findings.map((f) => [f.data?.site, f.value])).toEqual([
      ['GitHub', 'https://www.github.com/kim'],
      ['NameMC (Minecraft.net skins)', 'https://namemc.com/profile/kim'],
      ['osu!', 'https://osu.ppy.sh/users/kim'],
      ['Steam Community (User)', 'https://steamcommunity.com/id/kim/'],
      ['Discord', 'https://discord.com'],
    ]);
  });

  it('does not count the update notice, error lines or sponsor lines, though they carry URLs', () => {
    const values = parseSherlock(CONSOLE).map((f) => f.value);
    expect(values.some((v) => v.includes('github.com/sherlock-project'))).toBe(false);
    expect(values.some((v) => v.includes('error.example'))).toBe(false);
    expect(values.some((v) => v.includes('osintsearch'))).toBe(false);
  });

  it('reads CRLF output and lines rewritten with a carriage return', () => {
    const rewritten = CONSOLE.replace(
      '[-] GitLab: Not Found!',
      'checking GitLab...\r[-] GitLab: Not Found!',
    );
    expect(keysOf(parseSherlock(crlf(rewritten)))).toEqual(keysOf(parseSherlock(CONSOLE)));
  });

  it('streams the same findings line by line', () => {
    expect(keysOf(streamLines(crlf(CONSOLE), createSherlockLineParser()))).toEqual(
      keysOf(parseSherlock(CONSOLE)),
    );
  });

  it('survives output cut in the middle of a line', () => {
    const cut = CONSOLE.slice(0, CONSOLE.indexOf('[-] GitLab') + 7);
    expect(parseSherlock(cut)).toHaveLength(4);
  });

  it.skipIf(!haveFixtures)(
    'streams each recorded console output like the whole-text parser',
    () => {
      for (const [name, count] of [
        ['sherlock/sherlock_2019_print_all_python.txt', 117],
        ['sherlock/sherlock_0.15_console_24_found.txt', 24],
        ['sherlock/sherlock_0.16.2_console_8_found.txt', 8],
      ] as const) {
        const text = readFixture(name);
        const streamed = keysOf(streamLines(text, createSherlockLineParser()));
        expect(streamed).toEqual(keysOf(parseSherlock(text)));
        expect(streamed).toHaveLength(count);
      }
    },
  );
});

describe('Sherlock files', () => {
  it('reads the text file and skips its total line', () => {
    const text =
      'https://www.github.com/kim\r\nhttps://discord.com\r\nTotal Websites Username Detected On : 2\r\n';
    expect(parseSherlock(text)).toEqual([
      { kind: 'ACCOUNT', value: 'https://www.github.com/kim' },
      { kind: 'ACCOUNT', value: 'https://discord.com' },
    ]);
  });

  it('reads only Claimed rows of a --print-all CSV with CRLF', () => {
    const csv = crlf(
      [
        'username,name,url_main,url_user,exists,http_status,response_time_s',
        'kim,GitHub,https://www.github.com/,https://www.github.com/kim,Claimed,200,0.19',
        'kim,GitLab,https://gitlab.com/,https://gitlab.com/kim,Available,404,0.2',
        'kim,Quora,https://www.quora.com/,https://www.quora.com/profile/kim,WAF,403,0.3',
        'kim,"Site, with comma",https://s.example/,https://s.example/u/kim,Claimed,400,1.5',
        'kim,Cut,https://cut.example/,"https://cut.example/u/k',
      ].join('\n'),
    );
    expect(parseSherlock(csv).map((f) => [f.value, f.data])).toEqual([
      ['https://www.github.com/kim', { site: 'GitHub', username: 'kim', httpStatus: 200 }],
      ['https://s.example/u/kim', { site: 'Site, with comma', username: 'kim', httpStatus: 400 }],
    ]);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { runLoomParse } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-parse-'));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function expectOneLineError(result: { code: number; stdout: string; stderr: string }) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^loom parse: \S.*\n$/);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
}

describe('loom parse', () => {
  it('fails with one line naming the file when it is missing', async () => {
    const result = await runLoomParse('searxng', join(dir, 'missing.json'));
    expectOneLineError(result);
    expect(result.stderr).toContain('missing.json');
  });

  it('fails with one line when the JSON is garbage', async () => {
    const result = await runLoomParse('searxng', file('garbage.json', '{"results": [tru'));
    expectOneLineError(result);
    expect(result.stderr).toContain('malformed JSON');
  });

  it('fails with one line for an unknown tool and lists the known ones', async () => {
    const result = await runLoomParse('nmap', file('any.txt', 'x'));
    expectOneLineError(result);
    expect(result.stderr).toContain('theharvester');
  });

  it('reads a file with a byte-order mark and prints one JSON object per finding', async () => {
    const csv = [
      'username,name,url_main,url_user,exists,http_status,response_time_s',
      'kim,GitHub,https://www.github.com/,https://www.github.com/kim,Claimed,200,0.5',
      'kim,GitLab,https://gitlab.com/,https://gitlab.com/kim,Available,404,0.4',
    ].join('\r\n');
    const result = await runLoomParse('sherlock', file('kim.csv', `\ufeff${csv}\r\n`));

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(
      result.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      {
        kind: 'ACCOUNT',
        value: 'https://www.github.com/kim',
        data: { site: 'GitHub', username: 'kim', httpStatus: 200 },
      },
    ]);
  });

  it('leaves data out when a finding has none', async () => {
    const result = await runLoomParse('sherlock', file('kim.txt', 'https://gitlab.com/kim\n'));
    expect(result.stdout).toBe('{"kind":"ACCOUNT","value":"https://gitlab.com/kim"}\n');
  });
});

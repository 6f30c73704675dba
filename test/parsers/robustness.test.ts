import { readdirSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ParseError } from '../../src/findings/parse-error.js';
import { parsers } from '../../src/tools/parsers.js';
import { fixturePath, haveFixtures, readFixture } from '../support/fixtures.js';

const TOOLS = [
  'theharvester',
  'sherlock',
  'recon-ng',
  'searxng',
  'spiderfoot',
  'intelowl',
  'crtsh',
  'rdap',
];
// Line-oriented outputs have no unreadable form: any prefix of them must parse.
const TEXT = /\.(txt|csv)$/;

function recorded(): [string, string][] {
  if (!haveFixtures) return [];
  return TOOLS.flatMap((tool) =>
    readdirSync(fixturePath(tool)).map((name): [string, string] => [tool, `${tool}/${name}`]),
  );
}

/** Runs a parser; a ParseError is an accepted answer, anything else thrown is a bug. */
function outcome(tool: string, text: string): 'parsed' | 'refused' {
  try {
    parsers[tool](text);
    return 'parsed';
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    expect((err as Error).message).not.toContain('\n');
    return 'refused';
  }
}

describe.skipIf(!haveFixtures)('parsers on damaged recorded output', () => {
  it.each(recorded())('%s survives %s cut at twenty places', (tool, file) => {
    const text = readFixture(file);
    for (let i = 1; i <= 20; i += 1) {
      const cut = text.slice(0, Math.floor((text.length * i) / 21));
      const result = outcome(tool, cut);
      if (TEXT.test(file)) expect(result).toBe('parsed');
    }
  });

  it.each(recorded())('%s survives %s with CRLF, colours and non-ASCII noise', (tool, file) => {
    const text = readFixture(file)
      .replace(/\r?\n/g, '\r\n')
      .replace(/\[\*\]/g, '\x1b[34m[*]\x1b[m');
    expect(outcome(tool, `${text}\r\nrésumé ✓ 名前\r\n`)).toMatch(/parsed|refused/);
    if (TEXT.test(file)) expect(outcome(tool, text)).toBe('parsed');
  });
});

describe('parsers on input of another format', () => {
  it.each(TOOLS)('%s answers random text with findings or a ParseError', (tool) => {
    for (const text of [
      '',
      '\ufeff',
      'garbage',
      '{',
      '[1,2',
      '<x>',
      'a,b,c\n1,"2',
      '\u0000\u0001',
    ]) {
      expect(outcome(tool, text)).toMatch(/parsed|refused/);
    }
  });
});

import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';

import { fixturePath, haveFixtures } from '../support/fixtures.js';
import { type CliResult, mapLimited, runLoomParse } from './run-cli.js';

type Counts = Record<string, number>;

function expectedEntries(): [string, Counts][] {
  if (!haveFixtures) return [];
  const read = (name: string) =>
    JSON.parse(readFileSync(fixturePath(name), 'utf8')) as Record<string, Counts>;
  return [
    ...Object.entries(read('expected.json')),
    ...Object.entries(read('expected-native.json')),
  ];
}

const entries = expectedEntries();

describe.skipIf(!haveFixtures)('loom parse on every recorded output', () => {
  const results = new Map<string, CliResult>();

  beforeAll(async () => {
    // Two at a time: each run loads tsx, and the machine has two cores.
    const outputs = await mapLimited(entries, 2, ([file]) =>
      runLoomParse(file.split('/')[0], fixturePath(file)),
    );
    entries.forEach(([file], i) => results.set(file, outputs[i]));
  }, 120_000);

  it('covers both expectation files', () => {
    expect(entries.length).toBeGreaterThanOrEqual(36);
  });

  it.each(entries)('%s gives the expected count of every kind', (file, expected) => {
    const result = results.get(file)!;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const lines = result.stdout.split('\n').filter((line) => line !== '');
    const findings = lines.map((line) => JSON.parse(line) as { kind: string; value: string });
    const keys = findings.map((f) => `${f.kind} ${f.value}`);
    expect(new Set(keys).size).toBe(keys.length);

    const counts: Counts = {};
    for (const f of findings) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
    for (const [kind, count] of Object.entries(expected)) {
      expect({ kind, count: counts[kind] ?? 0 }).toEqual({ kind, count });
    }
  });
});

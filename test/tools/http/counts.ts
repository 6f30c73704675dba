import { readFixture } from '../../support/fixtures.js';

/** The distinct-finding counts `expected.json` records for one fixture file. */
export function expectedCounts(file: string): Record<string, number> {
  const all = JSON.parse(readFixture('expected.json')) as Record<string, Record<string, number>>;
  return all[file];
}

/** Distinct values per counted kind (OTHER is counted for IntelOwl only, so left out). */
export function countByKind(findings: { kind: string; value: string }[]): Record<string, number> {
  const counts: Record<string, number> = { HOST: 0, IP: 0, EMAIL: 0, URL: 0, ACCOUNT: 0 };
  for (const kind of Object.keys(counts)) {
    counts[kind] = new Set(findings.filter((f) => f.kind === kind).map((f) => f.value)).size;
  }
  return counts;
}

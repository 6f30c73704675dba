import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the recorded tool outputs live: `LOOM_FIXTURES`, else `../shared/fixtures`. */
export const fixturesDir = resolve(root, process.env.LOOM_FIXTURES ?? '../shared/fixtures');

export const haveFixtures = existsSync(join(fixturesDir, 'expected.json'));

if (!haveFixtures) {
  // Visible in the test output so a skipped suite is never mistaken for a passing one.
  process.stderr.write(`fixtures not found at ${fixturesDir}: fixture tests are skipped\n`);
}

export function fixturePath(relative: string): string {
  return join(fixturesDir, relative);
}

export function readFixture(relative: string): string {
  return readFileSync(fixturePath(relative), 'utf8');
}

export function readFixtureBuffer(relative: string): Buffer {
  return readFileSync(fixturePath(relative));
}

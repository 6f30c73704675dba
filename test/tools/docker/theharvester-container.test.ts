import type Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';

import { ToolError } from '../../../src/tools/tool.js';
import { theharvesterTool } from '../../../src/tools/theharvester/index.js';
import { testDocker, testDockerSocket } from '../../support/docker-socket.js';
import { haveFixtures, readFixture } from '../../support/fixtures.js';
import { buildToolImage } from '../../support/podman.js';
import { containerToolContext } from './tool-context.js';

type Counts = Record<'HOST' | 'IP' | 'EMAIL' | 'URL' | 'ACCOUNT', number>;

/**
 * Plays theHarvester: echoes each argument on stderr in <…>, prints the recorded console text one line at
 * a time with a stderr line after each (so stdout and stderr frames interleave), copies the
 * recorded JSON report to the `-f` base + `.json` when the image has one, and exits with the
 * code in /replay/exit-code.
 */
const REPLAY = `#!/bin/sh
printf 'argv:' >&2; for arg in "$@"; do printf ' <%s>' "$arg" >&2; done; echo >&2
base=''
while [ $# -gt 0 ]; do
  if [ "$1" = "-f" ]; then base="$2"; fi
  shift
done
while IFS= read -r line || [ -n "$line" ]; do
  printf '%s\\n' "$line"
  echo "[*] Hosts found: 999" >&2
done < /replay/console.txt
if [ -n "$base" ] && [ -f /replay/report.json ]; then cp /replay/report.json "$base.json"; fi
exit "$(cat /replay/exit-code)"
`;

function expected(file: string): Counts {
  const all = JSON.parse(readFixture('expected.json')) as Record<string, Counts>;
  const { HOST, IP, EMAIL, URL, ACCOUNT } = all[`theharvester/${file}`];
  return { HOST, IP, EMAIL, URL, ACCOUNT };
}

describe.skipIf(!testDockerSocket || !haveFixtures)('theharvester tool in a container', () => {
  let docker: Docker;

  beforeAll(() => {
    docker = testDocker();
  });

  async function image(name: string, files: Record<string, string>): Promise<string> {
    return buildToolImage(docker, `theharvester-${name}`, { 'bin/theHarvester': REPLAY, ...files });
  }

  async function leftovers(runId: string): Promise<number> {
    const list = await docker.listContainers({
      all: true,
      filters: { label: [`loom.run=${runId}`] },
    });
    return list.length;
  }

  it('takes its findings from the console when no report is written, and says so', async () => {
    const console = 'theharvester/theharvester_4.8.1_bing_text.txt';
    const ctx = containerToolContext({
      THEHARVESTER_IMAGE: await image('console-only', {
        'replay/console.txt': readFixture(console),
        'replay/exit-code': '0',
      }),
      THEHARVESTER_ENTRYPOINT: '/bin/theHarvester',
    });

    await theharvesterTool.run(
      { kind: 'DOMAIN', value: 'example.com' },
      theharvesterTool.options.parse({ sources: ['bing'], limit: 50 }),
      ctx,
    );

    expect(ctx.counts()).toEqual(expected('theharvester_4.8.1_bing_text.txt'));
    expect(ctx.warnings).toEqual([
      'theHarvester wrote no report file; findings come from its console output only',
    ]);
    expect(ctx.lines).toContain(
      'argv: <-d> <example.com> <-b> <bing> <-l> <50> <-f> </tmp/loom-theharvester>',
    );
    // The stderr lines look like section headings: fed to the parser they would corrupt it.
    expect(ctx.lines.filter((line) => line === '[*] Hosts found: 999').length).toBeGreaterThan(10);
    expect(await leftovers(ctx.runId)).toBe(0);
  });

  it('reads the JSON report back out of the stopped container', async () => {
    const ctx = containerToolContext({
      THEHARVESTER_IMAGE: await image('with-report', {
        'replay/console.txt': readFixture('theharvester/theharvester_4.11.1_no_results_text.txt'),
        'replay/report.json': readFixture('theharvester/theharvester_pre4.8_coinbase.json'),
        'replay/exit-code': '0',
      }),
      THEHARVESTER_ENTRYPOINT: '/bin/theHarvester',
    });

    await theharvesterTool.run(
      { kind: 'DOMAIN', value: 'coinbase.com' },
      theharvesterTool.options.parse({}),
      ctx,
    );

    expect(ctx.counts()).toEqual(expected('theharvester_pre4.8_coinbase.json'));
    expect(ctx.warnings).toEqual([]);
    expect(ctx.lines.some((line) => line.includes('<-b> <crtsh,certspotter,'))).toBe(true);
    expect(await leftovers(ctx.runId)).toBe(0);
  });

  it('fails with the tool’s own words when it exits non-zero', async () => {
    const ctx = containerToolContext({
      THEHARVESTER_IMAGE: await image('invalid-source', {
        'replay/console.txt': '[!] Invalid source.\n',
        'replay/exit-code': '1',
      }),
      THEHARVESTER_ENTRYPOINT: '/bin/theHarvester',
    });

    const error = await theharvesterTool
      .run({ kind: 'DOMAIN', value: 'example.com' }, { sources: ['nosuch'], limit: 10 }, ctx)
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(ToolError);
    expect((error as Error).message).toMatch(/^theHarvester exited with 1: /);
    expect(await leftovers(ctx.runId)).toBe(0);
  });

  it('refuses a target that is not a normalised domain before any container starts', async () => {
    const ctx = containerToolContext({ THEHARVESTER_IMAGE: 'loom-test/never-built:none' });
    for (const value of ['-b all', 'example.com; rm -rf /', 'EXAMPLE.com', 'localhost']) {
      await expect(
        theharvesterTool.run({ kind: 'DOMAIN', value }, theharvesterTool.options.parse({}), ctx),
      ).rejects.toThrow(/accepts a domain name only/);
    }
    expect(await leftovers(ctx.runId)).toBe(0);
  });

  it('is unavailable with a reason when the image is missing', async () => {
    const ctx = containerToolContext({ THEHARVESTER_IMAGE: 'loom-test/never-built:none' });
    const availability = await theharvesterTool.checkAvailability({
      config: ctx.config,
      signal: ctx.signal,
    });
    expect(availability).toEqual({
      available: false,
      reason: `image loom-test/never-built:none not present at unix://${testDockerSocket}`,
    });
  });
});

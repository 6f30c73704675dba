import type Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';

import { sherlockTool } from '../../../src/tools/sherlock/index.js';
import { ToolError } from '../../../src/tools/tool.js';
import { testDocker, testDockerSocket } from '../../support/docker-socket.js';
import { haveFixtures, readFixture } from '../../support/fixtures.js';
import { buildToolImage } from '../../support/podman.js';
import { containerToolContext } from './tool-context.js';

/**
 * Plays Sherlock: each argument on stderr in <…>, the recorded console text line by line with a stderr line
 * shaped like a hit after each (it must never count), then an optional pause (to be
 * cancelled in) and the exit code in /replay/exit-code.
 */
const REPLAY = `#!/bin/sh
printf 'argv:' >&2; for arg in "$@"; do printf ' <%s>' "$arg" >&2; done; echo >&2
while IFS= read -r line || [ -n "$line" ]; do
  printf '%s\\n' "$line"
  echo "[+] Stderr: https://stderr.example.com/not-an-account" >&2
done < /replay/console.txt
if [ -f /replay/pause ]; then sleep "$(cat /replay/pause)"; fi
exit "$(cat /replay/exit-code)"
`;

function expectedAccounts(file: string): number {
  const all = JSON.parse(readFixture('expected.json')) as Record<string, { ACCOUNT: number }>;
  return all[`sherlock/${file}`].ACCOUNT;
}

describe.skipIf(!testDockerSocket || !haveFixtures)('sherlock tool in a container', () => {
  let docker: Docker;

  beforeAll(() => {
    docker = testDocker();
  });

  async function image(name: string, files: Record<string, string>): Promise<string> {
    return buildToolImage(docker, `sherlock-${name}`, { 'bin/sherlock': REPLAY, ...files });
  }

  async function leftovers(runId: string): Promise<number> {
    const filters = { label: [`loom.run=${runId}`] };
    return (await docker.listContainers({ all: true, filters })).length;
  }

  it.each([['sherlock_0.16.2_console_8_found.txt'], ['sherlock_0.15_console_24_found.txt']])(
    'streams every [+] line of %s as an ACCOUNT finding',
    async (file) => {
      const ctx = containerToolContext({
        SHERLOCK_IMAGE: await image(file.replace(/[^a-z0-9]+/gi, '-'), {
          'replay/console.txt': readFixture(`sherlock/${file}`),
          'replay/exit-code': '0',
        }),
        SHERLOCK_ENTRYPOINT: '/bin/sherlock',
      });

      await sherlockTool.run(
        { kind: 'USERNAME', value: 'jane_doe-1' },
        sherlockTool.options.parse({}),
        ctx,
      );

      expect(ctx.counts()).toEqual({
        HOST: 0,
        IP: 0,
        EMAIL: 0,
        URL: 0,
        ACCOUNT: expectedAccounts(file),
      });
      expect(ctx.findings.some((f) => f.value.includes('stderr.example.com'))).toBe(false);
      // No network in the test containers, so the bundled site list is used.
      expect(ctx.lines).toContain(
        'argv: <--print-found> <--no-color> <--timeout> <30> <--local> <--> <jane_doe-1>',
      );
      expect(await leftovers(ctx.runId)).toBe(0);
    },
  );

  it('passes sites and timeout as separate arguments', async () => {
    const ctx = containerToolContext({
      SHERLOCK_IMAGE: await image('empty', { 'replay/console.txt': '', 'replay/exit-code': '0' }),
      SHERLOCK_ENTRYPOINT: '/bin/sherlock',
      CONTAINER_NETWORK_MODE: 'none',
    });
    const options = sherlockTool.options.parse({
      sites: ['Steam Community (User)', 'osu!'],
      requestTimeoutSeconds: 5,
      localSiteData: false,
    });

    await sherlockTool.run({ kind: 'USERNAME', value: 'jdoe' }, options, ctx);

    expect(ctx.lines).toContain(
      'argv: <--print-found> <--no-color> <--timeout> <5> ' +
        '<--site> <Steam Community (User)> <--site> <osu!> <--> <jdoe>',
    );
    expect(ctx.findings).toEqual([]);
  });

  it('kills and removes the container when the run is cancelled mid-way', async () => {
    const ctx = containerToolContext({
      SHERLOCK_IMAGE: await image('slow', {
        'replay/console.txt': readFixture('sherlock/sherlock_0.16.2_console_8_found.txt'),
        'replay/pause': '300',
        'replay/exit-code': '0',
      }),
      SHERLOCK_ENTRYPOINT: '/bin/sherlock',
    });
    const cancelled = new Error('case cancelled');
    let cancelling = false;
    const output = ctx.output;
    ctx.output = (line) => {
      output(line);
      // The summary is the last console line: cancel while the container sleeps after it.
      if (!cancelling && line.startsWith('[*] Search completed')) {
        cancelling = true;
        setTimeout(() => ctx.controller.abort(cancelled), 100);
      }
    };

    const started = Date.now();
    const error = await sherlockTool
      .run({ kind: 'USERNAME', value: 'jdoe' }, sherlockTool.options.parse({}), ctx)
      .catch((err: unknown) => err);

    expect(error).toBe(cancelled);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(ctx.counts().ACCOUNT).toBe(expectedAccounts('sherlock_0.16.2_console_8_found.txt'));
    expect(await leftovers(ctx.runId)).toBe(0);
  });

  it('fails with the tool’s own words on a non-zero exit', async () => {
    const ctx = containerToolContext({
      SHERLOCK_IMAGE: await image('site-data-error', {
        'replay/console.txt': 'ERROR:  Problem while attempting to access data file URL\n',
        'replay/exit-code': '1',
      }),
      SHERLOCK_ENTRYPOINT: '/bin/sherlock',
    });

    const error = await sherlockTool
      .run({ kind: 'USERNAME', value: 'jdoe' }, sherlockTool.options.parse({}), ctx)
      .catch((err: unknown) => err);

    expect(error).toBeInstanceOf(ToolError);
    expect((error as Error).message).toMatch(/^Sherlock exited with 1: /);
    expect(await leftovers(ctx.runId)).toBe(0);
  });

  it('refuses usernames that could read as flags or expand, before any container starts', async () => {
    const ctx = containerToolContext({ SHERLOCK_IMAGE: 'loom-test/never-built:none' });
    for (const value of ['-h', '--version', 'a b', 'x{?}', '.hidden', 'a..b', 'a;b', '']) {
      await expect(
        sherlockTool.run({ kind: 'USERNAME', value }, sherlockTool.options.parse({}), ctx),
      ).rejects.toThrow(/accepts a plain username only/);
    }
    expect(ctx.lines).toEqual([]);
  });
});

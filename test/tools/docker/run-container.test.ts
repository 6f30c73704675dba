import { randomUUID } from 'node:crypto';

import type Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';

import { removeRunContainers } from '../../../src/tools/docker/cleanup.js';
import { ContainerError } from '../../../src/tools/docker/container-error.js';
import { checkContainerImage } from '../../../src/tools/docker/docker-client.js';
import type { OutputStream } from '../../../src/tools/docker/frame-demuxer.js';
import { runContainer, type ContainerSpec } from '../../../src/tools/docker/run-container.js';
import { testDocker, testDockerSocket } from '../../support/docker-socket.js';
import { buildToolImage } from '../../support/podman.js';

const SCRIPT = `#!/bin/sh
# Interleaves stdout and stderr, splits a line across two writes, writes a file, exits 3.
echo "first line"
echo "warning: noise on stderr" >&2
printf 'split '
sleep 0.1
printf 'line\\n'
printf 'caf\\303\\251\\r\\n'
echo "stderr again" >&2
echo '{"hosts":["a.example.com"]}' > /tmp/report.json
printf 'no newline at the end'
exit 3
`;

describe.skipIf(!testDockerSocket)('runContainer against the podman API', () => {
  let docker: Docker;
  let image: string;

  beforeAll(async () => {
    docker = testDocker();
    image = await buildToolImage(docker, 'run-container', { 'bin/replay': SCRIPT });
  });

  function spec(runId: string, cmd: string[], extra: Partial<ContainerSpec> = {}): ContainerSpec {
    return {
      image,
      entrypoint: ['/bin/replay'],
      cmd,
      runId,
      tool: 'test',
      networkMode: 'none',
      memoryBytes: 64 * 1024 * 1024,
      nanoCpus: 500_000_000,
      ...extra,
    };
  }

  async function containersOf(runId: string): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`loom.run=${runId}`] } });
  }

  it('separates stdout from stderr line by line, reads a file back and removes the container', async () => {
    const runId = randomUUID();
    const lines: Array<[OutputStream, string]> = [];
    const result = await runContainer(
      docker,
      spec(runId, [], {
        readFiles: ['/tmp/report.json', '/tmp/missing.json'],
      }),
      {
        signal: new AbortController().signal,
        onLine: (line, stream) => lines.push([stream, line]),
      },
    );

    expect(result.exitCode).toBe(3);
    expect(lines.filter(([stream]) => stream === 'stdout').map(([, line]) => line)).toEqual([
      'first line',
      'split line',
      'café',
      'no newline at the end',
    ]);
    expect(lines.filter(([stream]) => stream === 'stderr').map(([, line]) => line)).toEqual([
      'warning: noise on stderr',
      'stderr again',
    ]);
    expect(result.files.get('/tmp/report.json')?.toString()).toBe('{"hosts":["a.example.com"]}\n');
    expect(result.files.has('/tmp/missing.json')).toBe(true);
    expect(result.files.get('/tmp/missing.json')).toBeUndefined();
    expect(await containersOf(runId)).toEqual([]);
  });

  it('leaves out a file above the size limit with a warning instead of failing', async () => {
    const runId = randomUUID();
    const result = await runContainer(
      docker,
      spec(runId, [], {
        entrypoint: ['/bin/sh', '-c', 'yes | head -c 300000 > /tmp/big.txt; echo small > /tmp/s'],
        readFiles: ['/tmp/big.txt', '/tmp/s'],
      }),
      { signal: new AbortController().signal, onLine: () => undefined, maxFileBytes: 1000 },
    );

    expect(result.files.get('/tmp/big.txt')).toBeUndefined();
    expect(result.files.get('/tmp/s')?.toString()).toBe('small\n');
    expect(result.warnings).toEqual(['/tmp/big.txt in the container is larger than 1000 bytes']);
    expect(await containersOf(runId)).toEqual([]);
  });

  it('kills and removes a sleeping container when the signal aborts', async () => {
    const runId = randomUUID();
    const controller = new AbortController();
    const lines: string[] = [];
    const started = Date.now();
    const run = runContainer(
      docker,
      spec(runId, [], {
        entrypoint: ['/bin/sh', '-c', 'echo started; exec sleep 300'],
      }),
      {
        signal: controller.signal,
        onLine: (line) => {
          lines.push(line);
          if (line === 'started') setTimeout(() => controller.abort(new Error('cancelled')), 200);
        },
      },
    );

    const error = await run.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ContainerError);
    expect((error as ContainerError).code).toBe('CONTAINER_ABORTED');
    expect(lines).toEqual(['started']);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await containersOf(runId)).toEqual([]);
  });

  it('kills and removes the container when its time is up', async () => {
    const runId = randomUUID();
    const error = await runContainer(
      docker,
      spec(runId, [], {
        entrypoint: ['/bin/sh', '-c', 'exec sleep 300'],
      }),
      {
        signal: new AbortController().signal,
        timeoutMs: 1_500,
        onLine: () => undefined,
      },
    ).catch((err: unknown) => err);

    expect((error as ContainerError).code).toBe('CONTAINER_TIMEOUT');
    expect((error as ContainerError).message).toContain('1.5 s');
    expect(await containersOf(runId)).toEqual([]);
  });

  it('does not start at all when the signal is already aborted', async () => {
    const runId = randomUUID();
    const error = await runContainer(docker, spec(runId, []), {
      signal: AbortSignal.abort(),
      onLine: () => undefined,
    }).catch((err: unknown) => err);

    expect((error as ContainerError).code).toBe('CONTAINER_ABORTED');
    expect(await containersOf(runId)).toEqual([]);
  });

  it('stops the run and removes the container when a line handler throws', async () => {
    const runId = randomUUID();
    const error = await runContainer(
      docker,
      spec(runId, [], {
        entrypoint: ['/bin/sh', '-c', 'echo boom; exec sleep 300'],
      }),
      {
        signal: new AbortController().signal,
        onLine: () => {
          throw new Error('parser bug');
        },
      },
    ).catch((err: unknown) => err);

    expect((error as ContainerError).code).toBe('CONTAINER_FAILED');
    expect(((error as ContainerError).cause as Error).message).toBe('parser bug');
    expect(await containersOf(runId)).toEqual([]);
  });

  it('cuts an endless line at the limit and keeps reading the lines after it', async () => {
    const runId = randomUUID();
    const lines: string[] = [];
    const result = await runContainer(
      docker,
      spec(runId, [], {
        // 300 000 "y" characters on one line, then a normal line.
        entrypoint: ['/bin/sh', '-c', 'yes | head -c 600000 | tr -d "\\n"; echo; echo after'],
      }),
      {
        signal: new AbortController().signal,
        maxLineBytes: 1000,
        onLine: (line) => lines.push(line),
      },
    );

    expect(result.exitCode).toBe(0);
    expect(result.truncatedLines).toBe(1);
    expect(lines).toEqual(['y'.repeat(1000), 'after']);
    expect(result.outputBytes).toBe(300_000 + 1 + 6);
  });

  it('delivers a fast burst on both streams completely and in order', async () => {
    const runId = randomUUID();
    const stdout: string[] = [];
    const stderr: string[] = [];
    const result = await runContainer(
      docker,
      spec(runId, [], {
        // Both streams written at once, so their frames interleave on the wire.
        entrypoint: ['/bin/sh', '-c', 'seq 1 30000 >&2 & seq 1 60000; wait'],
      }),
      {
        signal: new AbortController().signal,
        onLine: (line, stream) => (stream === 'stdout' ? stdout : stderr).push(line),
      },
    );

    const numbers = (count: number) => Array.from({ length: count }, (_, i) => String(i + 1));
    expect(result.exitCode).toBe(0);
    expect(stdout).toEqual(numbers(60_000));
    expect(stderr).toEqual(numbers(30_000));
  });

  it('finishes promptly when the container prints nothing', async () => {
    const runId = randomUUID();
    const started = Date.now();
    const result = await runContainer(
      docker,
      spec(runId, [], {
        entrypoint: ['/bin/sh', '-c', 'exit 0'],
      }),
      { signal: new AbortController().signal, onLine: () => undefined },
    );

    expect(result).toMatchObject({ exitCode: 0, outputBytes: 0 });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await containersOf(runId)).toEqual([]);
  });

  it('removes the leftover containers of a run that a dead process left behind', async () => {
    const runId = randomUUID();
    for (let i = 0; i < 2; i += 1) {
      const orphan = await docker.createContainer({
        Image: image,
        Entrypoint: ['/bin/sh', '-c', 'exec sleep 300'],
        Labels: { 'loom.run': runId },
        HostConfig: { NetworkMode: 'none' },
      });
      await orphan.start();
    }
    const other = randomUUID();
    const bystander = await docker.createContainer({
      Image: image,
      Entrypoint: ['/bin/true'],
      Labels: { 'loom.run': other },
      HostConfig: { NetworkMode: 'none' },
    });

    try {
      expect(await containersOf(runId)).toHaveLength(2);
      expect(await removeRunContainers(docker, runId)).toBe(2);
      expect(await containersOf(runId)).toEqual([]);
      expect(await containersOf(other)).toHaveLength(1);
    } finally {
      await bystander.remove({ force: true });
    }
  });

  it('reports a missing image as IMAGE_MISSING and leaves nothing behind', async () => {
    const runId = randomUUID();
    const error = await runContainer(
      docker,
      spec(runId, [], {
        image: 'loom-test/never-built:none',
      }),
      { signal: new AbortController().signal, onLine: () => undefined },
    ).catch((err) => err);

    expect((error as ContainerError).code).toBe('IMAGE_MISSING');
    expect(await containersOf(runId)).toEqual([]);
  });

  it('checks availability: present image, missing image, unreachable API', async () => {
    const signal = new AbortController().signal;
    const config = { DOCKER_HOST: `unix://${testDockerSocket}` };

    expect(await checkContainerImage(config, image, signal)).toEqual({ available: true });

    const missing = await checkContainerImage(config, 'loom-test/never-built:none', signal);
    expect(missing).toEqual({
      available: false,
      reason: `image loom-test/never-built:none not present at unix://${testDockerSocket}`,
    });

    const nowhere = { DOCKER_HOST: 'unix:///nonexistent/loom/docker.sock' };
    const down = await checkContainerImage(nowhere, image, signal);
    expect(down.available).toBe(false);
    expect(down.reason).toMatch(
      /^Docker API at unix:\/\/\/nonexistent\/loom\/docker.sock not reachable/,
    );
  });
});

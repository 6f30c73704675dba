/**
 * Streams ~200 MB of container output through the container transport and reports throughput
 * and peak memory, to show that output is processed as it arrives and never held whole.
 *
 *   npx tsx bench/stream-200mb.ts [megabytes]
 *
 * Needs podman (see scripts/podman-service.sh); exits non-zero if a line was lost.
 */
import { randomUUID } from 'node:crypto';

import Docker from 'dockerode';

import { runContainer } from '../src/tools/docker/run-container.js';
import { buildToolImage, ensurePodman } from '../test/support/podman.js';

const megabytes = Number(process.argv[2] ?? 200);
const LINE = `${'loom-bench '.repeat(9)}0123456789`; // 109 characters + newline
const totalBytes = megabytes * 1024 * 1024;
const expectedLines = Math.floor(totalBytes / (LINE.length + 1));

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const podman = await ensurePodman();
  if (!podman) throw new Error('podman is not installed');
  const docker = new Docker({ socketPath: podman.socketPath, host: undefined, protocol: 'http' });
  const image = await buildToolImage(docker, 'bench-stream', {});

  global.gc?.();
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);

  let lines = 0;
  let bytes = 0;
  let wrong = 0;
  const started = process.hrtime.bigint();
  const result = await runContainer(
    docker,
    {
      image,
      entrypoint: ['/bin/sh', '-c', `yes '${LINE}' | head -n ${expectedLines}`],
      cmd: [],
      runId: randomUUID(),
      tool: 'bench',
      networkMode: 'none',
      memoryBytes: 256 * 1024 * 1024,
      nanoCpus: 1_000_000_000,
    },
    {
      signal: AbortSignal.timeout(600_000),
      onLine(line) {
        lines += 1;
        bytes += line.length + 1;
        if (line !== LINE) wrong += 1;
      },
    },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const report = {
    exitCode: result.exitCode,
    streamed: mib(result.outputBytes),
    lines,
    expectedLines,
    wrongLines: wrong,
    seconds: Number(seconds.toFixed(2)),
    throughput: `${(result.outputBytes / 1024 / 1024 / seconds).toFixed(1)} MiB/s`,
    baselineRss: mib(baselineRss),
    peakRss: mib(peakRss),
    peakRssAboveBaseline: mib(peakRss - baselineRss),
    maxRssOfProcess: mib(process.resourceUsage().maxRSS * 1024),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);

  if (lines !== expectedLines || wrong > 0 || bytes !== result.outputBytes) {
    process.stderr.write('output was lost or corrupted on the way\n');
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

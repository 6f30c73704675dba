import { randomBytes } from 'node:crypto';

import type Docker from 'dockerode';
import type { Logger } from 'pino';

import { ContainerError, dockerStatusCode } from './container-error.js';
import type { OutputStream } from './frame-demuxer.js';
import { OutputReader } from './output-reader.js';
import { readFileFromContainer } from './read-container-file.js';

/** What to run. Commands are argument arrays: nothing here passes through a shell. */
export interface ContainerSpec {
  image: string;
  /** Overrides the image's ENTRYPOINT (images that default to a server need this). */
  entrypoint?: string[];
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** Labels the container `loom.run=<runId>` so leftovers can be found and removed. */
  runId: string;
  tool: string;
  networkMode: string;
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit?: number;
  /** Files copied out after the exit, before the container is removed. */
  readFiles?: string[];
}

export interface ContainerRunOptions {
  /** Aborting kills and removes the container; the run then rejects with CONTAINER_ABORTED. */
  signal: AbortSignal;
  /** Kills and removes the container after this long; the run rejects with CONTAINER_TIMEOUT. */
  timeoutMs?: number;
  /** One complete line of output, without its line end, as soon as it has arrived. */
  onLine(line: string, stream: OutputStream): void;
  log?: Logger;
  maxLineBytes?: number;
  maxFileBytes?: number;
  /** After the exit, how long the output stream may stay silent before it is given up. */
  drainIdleMs?: number;
}

export interface ContainerRunResult {
  exitCode: number;
  /** Each requested path: its content, or undefined when the container did not write it. */
  files: Map<string, Buffer | undefined>;
  /** Problems that did not fail the run (a requested file too large to copy out). */
  warnings: string[];
  outputBytes: number;
  truncatedLines: number;
}

const CLEANUP_TIMEOUT_MS = 30_000;
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EACCES',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/**
 * Runs one short-lived tool container: create (no stdin, no TTY), attach, start, hand on its
 * demultiplexed output line by line, wait for the exit, copy out the requested files, and
 * remove it — always, whether it ended, failed, timed out or was cancelled (`AutoRemove` is not
 * used, because files are read after the exit).
 *
 * Output comes from attaching before the start, as the Docker CLI does, not from following the
 * logs: podman 4's log follow ends at the exit before everything is sent and drops bytes at
 * partial-line boundaries (measured with bench/stream-200mb.ts), while the attach stream
 * delivered every byte, with back-pressure on the container when the reader is slow.
 */
export async function runContainer(
  docker: Docker,
  spec: ContainerSpec,
  options: ContainerRunOptions,
): Promise<ContainerRunResult> {
  const log = options.log;
  const stop = new AbortController();
  const stopped = rejectWhenAborted(stop.signal);
  const onAbort = () =>
    stop.abort(
      new ContainerError('CONTAINER_ABORTED', `${spec.tool} container was stopped`, {
        cause: options.signal.reason,
      }),
    );
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) onAbort();
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          const seconds = Math.round(options.timeoutMs! / 100) / 10;
          const message = `${spec.tool} container did not finish within ${seconds} s`;
          stop.abort(new ContainerError('CONTAINER_TIMEOUT', message, { retryable: true }));
        }, options.timeoutMs);

  const name = containerName(spec);
  const output = new OutputReader(options, stop);
  let creating: Promise<Docker.Container> | undefined;
  let container: Docker.Container | undefined;

  try {
    stop.signal.throwIfAborted();
    creating = docker.createContainer(createOptions(spec, name));
    container = await Promise.race([creating, stopped]);
    log?.debug({ containerId: container.id, image: spec.image }, 'container created');

    const attaching = container.attach({
      stream: true,
      stdout: true,
      stderr: true,
      hijack: true,
      abortSignal: output.signal,
    });
    const drained = output.follow(attaching);
    await Promise.race([attaching, stopped]);
    await Promise.race([container.start(), stopped]);

    const exit = (await container.wait({ abortSignal: stop.signal })) as WaitResponse;
    if (exit.Error?.Message) {
      throw new ContainerError('CONTAINER_FAILED', 'waiting for the container failed', {
        cause: new Error(exit.Error.Message),
      });
    }
    log?.debug({ containerId: container.id, exitCode: exit.StatusCode }, 'container exited');

    const complete = await Promise.race([output.settle(drained, options.drainIdleMs), stopped]);
    if (!complete) log?.warn({ containerId: container.id }, 'container output did not end');
    output.end();

    const files = new Map<string, Buffer | undefined>();
    const warnings: string[] = [];
    for (const path of spec.readFiles ?? []) {
      const read = readFileFromContainer(container, path, {
        maxBytes: options.maxFileBytes,
        signal: stop.signal,
      });
      try {
        files.set(path, await Promise.race([read, stopped]));
      } catch (err) {
        // The output already streamed; one oversized file should not discard the whole run.
        if (!(err instanceof ContainerError) || err.code !== 'CONTAINER_FILE_TOO_LARGE') throw err;
        files.set(path, undefined);
        warnings.push(err.message);
      }
    }

    return {
      exitCode: exit.StatusCode,
      files,
      warnings,
      outputBytes: output.bytes,
      truncatedLines: output.truncatedLines,
    };
  } catch (err) {
    if (stop.signal.aborted) throw stop.signal.reason;
    throw asContainerError(err, spec);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
    output.close();
    // A create that was cut short by the stop may still complete: wait for it, then remove.
    const target = container ?? (await settleWithin(creating, CLEANUP_TIMEOUT_MS));
    if (target) await removeContainer(target, stop.signal.aborted, log);
  }
}

interface WaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

function createOptions(spec: ContainerSpec, name: string): Docker.ContainerCreateOptions {
  return {
    name,
    Image: spec.image,
    Entrypoint: spec.entrypoint,
    Cmd: spec.cmd,
    Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
    WorkingDir: spec.workingDir,
    Labels: { 'loom.run': spec.runId, 'loom.tool': spec.tool },
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      AutoRemove: false,
      // Output is read through the attach stream and stored by Loom; a log file would only
      // duplicate it on the engine's disk.
      LogConfig: { Type: 'none', Config: {} },
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      NanoCpus: spec.nanoCpus,
      PidsLimit: spec.pidsLimit ?? 256,
      NetworkMode: spec.networkMode,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
    },
  };
}

function containerName(spec: ContainerSpec): string {
  const tool = spec.tool.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 32);
  return `loom-${tool}-${randomBytes(6).toString('hex')}`;
}

/** Kills (when it may still run) and removes the container; failures are logged, not thrown. */
async function removeContainer(
  container: Docker.Container,
  stillRunning: boolean,
  log: Logger | undefined,
): Promise<void> {
  if (stillRunning) {
    try {
      await container.kill({ abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) });
    } catch (err) {
      // 404: never created or already gone; 409: not running any more. Both are fine.
      const status = dockerStatusCode(err);
      if (status !== 404 && status !== 409) log?.warn({ err }, 'killing the container failed');
    }
  }

  try {
    await container.remove({
      force: true,
      v: true,
      abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
    });
  } catch (err) {
    if (dockerStatusCode(err) !== 404) {
      log?.error({ err, containerId: container.id }, 'removing the container failed');
    }
  }
}

function asContainerError(err: unknown, spec: ContainerSpec): unknown {
  if (err instanceof ContainerError) return err;

  const status = dockerStatusCode(err);
  if (status === 404 && /image/i.test((err as Error).message)) {
    return new ContainerError('IMAGE_MISSING', `image ${spec.image} not present`, { cause: err });
  }
  const code = (err as { code?: unknown }).code;
  if (status === undefined && typeof code === 'string' && CONNECTION_ERRORS.has(code)) {
    const message = `Docker API not reachable (${code})`;
    return new ContainerError('DOCKER_UNREACHABLE', message, { retryable: true, cause: err });
  }
  const message = status
    ? `Docker API answered HTTP ${status} while running ${spec.tool}`
    : `running the ${spec.tool} container failed`;
  return new ContainerError('CONTAINER_FAILED', message, { cause: err });
}

function rejectWhenAborted(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  // Observed by the races above; without a race nobody needs the rejection.
  promise.catch(() => undefined);
  return promise;
}

async function settleWithin<T>(
  promise: Promise<T> | undefined,
  ms: number,
): Promise<T | undefined> {
  if (!promise) return undefined;
  const settled = promise.catch(() => undefined);
  return Promise.race([settled, sleep(ms).then(() => undefined)]);
}

function sleep(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(resolve, ms, false).unref());
}

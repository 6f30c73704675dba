import { randomUUID } from 'node:crypto';

import type { AppConfig } from '../../config/config.js';
import type { RunContext } from '../tool.js';
import { createDockerClient } from './docker-client.js';
import { runContainer, type ContainerRunResult } from './run-container.js';

const TAIL_LINES = 5;

export interface ToolContainerRun {
  tool: string;
  image: string;
  /** The program to run, as one path: an ENTRYPOINT override, never a shell command. */
  entrypoint: string;
  args: string[];
  readFiles?: string[];
  /** Each stdout line, after it went to `ctx.output`; stderr never reaches a parser. */
  onStdoutLine(line: string): void;
}

export interface ToolContainerResult extends ContainerRunResult {
  /** The last few lines of output (stderr preferred), to explain a failed exit. */
  tail: string[];
}

/**
 * Runs a tool's container for one tool run with the limits from the configuration, streaming
 * every line to `ctx.output`. Cancellation and the run's deadline arrive through `ctx.signal`;
 * when it aborts, the run rejects with `ctx.signal.reason` after the container is gone.
 */
export async function runToolContainer(
  ctx: RunContext,
  run: ToolContainerRun,
): Promise<ToolContainerResult> {
  const stdoutTail: string[] = [];
  const stderrTail: string[] = [];
  const remember = (tail: string[], line: string) => {
    if (line.trim() === '') return;
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };

  try {
    const result = await runContainer(createDockerClient(ctx.config), containerSpec(ctx, run), {
      signal: ctx.signal,
      log: ctx.log,
      onLine(line, stream) {
        ctx.output(line);
        if (stream === 'stderr') {
          remember(stderrTail, line);
          return;
        }
        remember(stdoutTail, line);
        run.onStdoutLine(line);
      },
    });
    result.warnings.forEach((warning) => ctx.warn(warning));
    if (result.truncatedLines > 0) {
      ctx.warn(`${result.truncatedLines} overlong output line(s) of ${run.tool} were cut`);
    }
    return { ...result, tail: stderrTail.length > 0 ? stderrTail : stdoutTail };
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw err;
  }
}

function containerSpec(ctx: RunContext, run: ToolContainerRun) {
  const config: AppConfig = ctx.config;
  const runId = ctx.log.bindings().runId;
  return {
    image: run.image,
    entrypoint: [run.entrypoint],
    cmd: run.args,
    env: { LANG: 'C.UTF-8', PYTHONUNBUFFERED: '1' },
    runId: typeof runId === 'string' ? runId : randomUUID(),
    tool: run.tool,
    networkMode: config.CONTAINER_NETWORK_MODE,
    memoryBytes: config.CONTAINER_MEMORY_MB * 1024 * 1024,
    nanoCpus: Math.round(config.CONTAINER_CPUS * 1e9),
    pidsLimit: config.CONTAINER_PIDS_LIMIT,
    readFiles: run.readFiles,
  };
}

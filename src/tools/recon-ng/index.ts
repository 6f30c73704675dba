import { randomUUID } from 'node:crypto';
import { access, constants } from 'node:fs/promises';

import { ToolError, type RunContext, type Target, type ToolAdapter } from '../tool.js';
import {
  buildReconNgCommand,
  InvalidTargetError,
  reconNgOptionsSchema,
  workspaceName,
  type ReconNgOptions,
} from './command.js';
import { HostKeyError } from './host-keys.js';
import { createLineReader } from './lines.js';
import { createReconNgLineParser, parseReconNg } from './parse.js';
import { missingSshSetting, reconNgPool } from './pools.js';
import { SshError } from './ssh-pool.js';

export { closeReconNgPools, reconNgPool } from './pools.js';

// `[!] Text.` as recon-ng prints errors, with or without its ANSI colour codes.
const ERROR_LINE = /^(?:\x1b\[[0-9;]*m)*\[!\](?:\x1b\[[0-9;]*m)*\s*(.*?)(?:\x1b\[[0-9;]*m)*\s*$/;

const MAX_WARNINGS = 20;

/** Recon-ng on a remote host, driven by `recon-cli` over SSH. */
export const reconNgTool: ToolAdapter<ReconNgOptions> = {
  name: 'recon-ng',
  description: 'Recon-ng modules run with recon-cli on a remote host over SSH',
  transport: 'SSH',
  targetKinds: ['DOMAIN'],
  options: reconNgOptionsSchema,

  async checkAvailability({ config, signal }) {
    const missing = missingSshSetting(config);
    if (missing) return { available: false, reason: `${missing} is not set` };

    try {
      await access(config.RECONNG_SSH_KEY!, constants.R_OK);
    } catch {
      return { available: false, reason: 'RECONNG_SSH_KEY is not a readable file' };
    }

    try {
      await reconNgPool(config).probe(signal);
      return { available: true };
    } catch (err) {
      return { available: false, reason: err instanceof Error ? err.message : String(err) };
    }
  },

  run: runReconNg,
  parse: parseReconNg,
};

async function runReconNg(target: Target, options: ReconNgOptions, ctx: RunContext) {
  const missing = missingSshSetting(ctx.config);
  if (missing) throw new ToolError(`recon-ng is not configured: ${missing} is not set`);
  if (target.kind !== 'DOMAIN') throw new ToolError(`recon-ng cannot take a ${target.kind} target`);

  const runId = ctx.log.bindings().runId;
  let command: string;
  try {
    command = buildReconNgCommand({
      program: ctx.config.RECONNG_COMMAND,
      domain: target.value,
      workspace: workspaceName(typeof runId === 'string' ? runId : randomUUID()),
      options,
    });
  } catch (err) {
    if (err instanceof InvalidTargetError) throw new ToolError(err.message, { cause: err });
    throw err;
  }

  const parser = createReconNgLineParser();
  let warnings = 0;
  const stdout = createLineReader((line) => {
    ctx.output(line);
    // recon-cli exits 0 even when a module fails; its `[!]` lines are how it says so.
    const error = ERROR_LINE.exec(line);
    if (error && warnings++ < MAX_WARNINGS) ctx.warn(`recon-ng: ${error[1]}`);
    for (const finding of parser.push(line)) ctx.finding(finding);
  });
  const stderr = createLineReader((line) => ctx.output(line));

  ctx.log.debug({ modules: options.modules }, 'starting recon-cli over ssh');
  let result;
  try {
    result = await reconNgPool(ctx.config).exec(command, {
      signal: ctx.signal,
      log: ctx.log,
      onStdout: (chunk) => stdout.push(chunk),
      onStderr: (chunk) => stderr.push(chunk),
    });
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw toToolError(err);
  } finally {
    stdout.end();
    stderr.end();
  }
  for (const finding of parser.end()) ctx.finding(finding);

  if (result.code !== 0) throw new RemoteExitError(result.code, result.signal);
}

/** recon-cli (or the shell around it) ended with a non-zero status or by a signal. */
export class RemoteExitError extends ToolError {
  readonly code = 'REMOTE_EXIT';

  constructor(
    readonly exitCode: number | null,
    readonly signalName?: string,
  ) {
    super(
      `recon-cli exited ${exitCode === null ? `by ${signalName ?? 'a signal'}` : `with ${exitCode}`}`,
    );
    this.name = 'RemoteExitError';
  }
}

function toToolError(err: unknown): Error {
  if (err instanceof HostKeyError) return new ToolError(err.message, { cause: err });
  if (err instanceof SshError) {
    const retryable = err.code === 'SSH_CONNECT_FAILED' || err.code === 'SSH_CONNECTION_LOST';
    return new ToolError(err.message, { retryable, cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

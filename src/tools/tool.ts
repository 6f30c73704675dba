import type { Logger } from 'pino';
import type { z } from 'zod';

import type { AppConfig } from '../config/config.js';
import type { ParsedFinding } from '../findings/finding.js';

export const TARGET_KINDS = ['DOMAIN', 'IP', 'EMAIL', 'USERNAME'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export const TOOL_TRANSPORTS = ['HTTP', 'SSH', 'DOCKER', 'NATIVE'] as const;
export type ToolTransport = (typeof TOOL_TRANSPORTS)[number];

export interface Target {
  /** Normalised target: lower-cased domain (punycode), canonical IP, lower-cased email, username. */
  value: string;
  kind: TargetKind;
}

export interface Availability {
  available: boolean;
  /** Why the tool cannot run now; never contains a secret. */
  reason?: string;
}

/** What a running tool can use and report to. Created by the runner for one tool run. */
export interface RunContext {
  /** Id of this tool run; labels containers, workspaces and remote scans it starts. */
  runId: string;
  /** Aborted on cancel or when the run's deadline passes; `signal.reason` says which. */
  signal: AbortSignal;
  /** Child logger carrying caseId, runId and tool. */
  log: Logger;
  config: AppConfig;
  /** One line of raw output (no trailing newline). Stored bounded and streamed to watchers. */
  output(line: string): void;
  /** A finding as soon as it is known; duplicates are merged by the runner. */
  finding(finding: ParsedFinding): void;
  /** A problem that did not stop the run (an engine that did not answer, a failed analyzer). */
  warn(message: string): void;
}

/** Everything a tool needs to decide whether it can run. */
export interface AvailabilityContext {
  config: AppConfig;
  signal: AbortSignal;
}

/**
 * One OSINT tool. `run` resolves when the tool finished successfully and throws a `ToolError`
 * (or any error) when it failed; it must leave nothing running once `ctx.signal` aborts.
 */
export interface ToolAdapter<Options = Record<string, unknown>> {
  name: string;
  description: string;
  transport: ToolTransport;
  targetKinds: readonly TargetKind[];
  /** Validates and fills defaults for the options a case passes to this tool. */
  options: z.ZodType<Options>;
  /** Overrides TOOL_TIMEOUT_SECONDS for this tool when set. */
  timeoutSeconds?: (config: AppConfig) => number | undefined;
  checkAvailability(ctx: AvailabilityContext): Promise<Availability>;
  run(target: Target, options: Options, ctx: RunContext): Promise<void>;
  /**
   * Called for a run whose worker vanished, to stop what it may have left behind (a container);
   * best effort, from whichever process noticed.
   */
  abandon?(runId: string, ctx: { config: AppConfig; log: Logger }): Promise<void>;
  /**
   * Pure parser from a saved output of the tool (console text, JSON, CSV, …) to unique,
   * normalised findings. Used by `loom parse` and by `run` itself.
   */
  parse(text: string): ParsedFinding[];
}

/** A failure a tool reports on purpose; its message is shown to the analyst as is. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly options: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ToolError';
  }
}

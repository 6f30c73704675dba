import type { Logger } from 'pino';

import type { AppConfig } from '../config/config.js';
import type { ToolRunStatus } from '../cases/case-status.js';
import type { Db } from '../db/database.js';
import type { CaseEventLog } from '../events/case-event-log.js';
import type { ParsedFinding } from '../findings/finding.js';
import { addFindings } from '../findings/finding-repository.js';
import type { Metrics } from '../observability/metrics.js';
import { finishRun, renewLease, saveRunOutput, type RunRow } from '../runs/run-repository.js';
import type { Target, ToolAdapter } from '../tools/tool.js';
import { OutputTail } from './output-tail.js';

const FLUSH_MS = 300;
const FINDING_BATCH = 400;
/** Output lines shown live per run; the stored tail keeps the rest. */
const LIVE_OUTPUT_BYTES = 512 * 1024;
/** How long a tool may ignore its abort signal before the run is ended without it. */
const ABORT_GRACE_MS = 10_000;

export class RunTimeout extends Error {
  constructor(seconds: number) {
    super(`timed out after ${seconds} s`);
    this.name = 'RunTimeout';
  }
}

export class RunCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'RunCancelled';
  }
}

export class LeaseLost extends Error {
  constructor() {
    super('lease lost to another worker');
    this.name = 'LeaseLost';
  }
}

export interface ExecutorDeps {
  db: Db;
  events: CaseEventLog;
  config: AppConfig;
  metrics: Metrics;
  log: Logger;
  workerId: string;
}

/**
 * Runs one claimed tool run to its end: heartbeat and cancel check, deadline, streamed output
 * and findings (stored, then published), and an honest final status.
 */
export async function executeRun(
  deps: ExecutorDeps,
  run: RunRow,
  tool: ToolAdapter,
  target: Target,
  external: AbortSignal,
): Promise<ToolRunStatus> {
  const log = deps.log.child({ caseId: run.caseId, runId: run.id, tool: run.tool });
  const controller = new AbortController();
  const abort = (reason: Error) => !controller.signal.aborted && controller.abort(reason);
  const onExternal = () => abort(new RunCancelled());
  external.addEventListener('abort', onExternal);

  const timeoutSeconds = tool.timeoutSeconds?.(deps.config) ?? deps.config.TOOL_TIMEOUT_SECONDS;
  const deadline = setTimeout(() => abort(new RunTimeout(timeoutSeconds)), timeoutSeconds * 1000);

  const stream = new RunStream(deps, run, log, () => abort(new LeaseLost()));
  const heartbeat = startHeartbeat(deps, run, abort, () => stream.saveTail());
  const started = Date.now();
  deps.metrics.runningToolRuns.inc({ tool: run.tool });
  await deps.events.append(run.caseId, [
    { type: 'TOOL_STATUS', tool: run.tool, runId: run.id, status: 'RUNNING' },
  ]);
  log.info({ attempt: run.attempts, timeoutSeconds }, 'tool run started');

  let status: ToolRunStatus = 'SUCCEEDED';
  let error: string | null = null;
  try {
    const options = tool.options.parse(run.options ?? {});
    await raceAbort(
      tool.run(target, options, {
        runId: run.id,
        signal: controller.signal,
        log,
        config: deps.config,
        output: (line) => stream.output(line),
        finding: (finding) => stream.finding(finding),
        warn: (message) => stream.warn(message),
      }),
      controller.signal,
    );
    if (controller.signal.aborted) throw controller.signal.reason;
  } catch (err) {
    const reason = controller.signal.aborted ? controller.signal.reason : err;
    ({ status, error } = describeFailure(reason));
    if (status === 'FAILED') log.warn({ err }, 'tool run failed');
  } finally {
    clearTimeout(deadline);
    heartbeat.stop();
    external.removeEventListener('abort', onExternal);
    deps.metrics.runningToolRuns.dec({ tool: run.tool });
  }

  if (error === new LeaseLost().message) {
    log.warn('tool run lost its lease; another worker owns it now');
    return 'FAILED';
  }

  await stream.flush();
  const recorded = await finishRun(deps.db, run.id, deps.workerId, {
    status,
    error,
    warnings: stream.warnings,
    output: stream.tail.text(),
    outputTruncated: stream.tail.truncated,
  });
  if (!recorded) return status;

  const seconds = (Date.now() - started) / 1000;
  deps.metrics.toolRuns.inc({ tool: run.tool, status });
  deps.metrics.toolRunDuration.observe({ tool: run.tool }, seconds);
  await deps.events.append(run.caseId, [
    { type: 'TOOL_STATUS', tool: run.tool, runId: run.id, status, message: error ?? undefined },
  ]);
  log.info({ status, seconds, findings: stream.findingCount }, 'tool run finished');
  return status;
}

function describeFailure(reason: unknown): { status: ToolRunStatus; error: string } {
  if (reason instanceof RunTimeout) return { status: 'TIMED_OUT', error: reason.message };
  if (reason instanceof RunCancelled) return { status: 'CANCELLED', error: 'cancelled' };
  if (reason instanceof LeaseLost) return { status: 'FAILED', error: reason.message };
  const message = reason instanceof Error ? reason.message : String(reason);
  return { status: 'FAILED', error: message.slice(0, 2000) || 'failed without a message' };
}

/** Resolves with the tool, or rejects shortly after an abort the tool did not honour. */
async function raceAbort(work: Promise<void>, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<void>((_, reject) => {
    const onAbort = () => {
      timer = setTimeout(() => reject(signal.reason), ABORT_GRACE_MS);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, abandoned]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}

function startHeartbeat(
  deps: ExecutorDeps,
  run: RunRow,
  abort: (reason: Error) => void,
  saveTail: () => Promise<void>,
) {
  const lease = deps.config.RUN_LEASE_SECONDS;
  const every = Math.max(500, Math.min(2000, (lease * 1000) / 3));
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    renewLease(deps.db, run.id, deps.workerId, lease)
      .then(async ({ owned, cancelRequested }) => {
        if (!owned) abort(new LeaseLost());
        else if (cancelRequested) abort(new RunCancelled());
        await saveTail();
      })
      .catch((err: unknown) => deps.log.warn({ err, runId: run.id }, 'lease renewal failed'))
      .finally(() => {
        busy = false;
      });
  }, every);
  return { stop: () => clearInterval(timer) };
}

/** Buffers a run's output and findings and writes them out every FLUSH_MS. */
class RunStream {
  readonly tail: OutputTail;
  readonly warnings: string[] = [];
  findingCount = 0;
  private pendingLines: string[] = [];
  private pendingFindings: ParsedFinding[] = [];
  private liveBytes = 0;
  private liveCapped = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private tailDirty = false;
  private leaseLost = false;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly run: RunRow,
    private readonly log: Logger,
    private readonly onLeaseLost: () => void,
  ) {
    this.tail = new OutputTail(deps.config.TOOL_OUTPUT_MAX_BYTES);
  }

  output(line: string): void {
    this.tail.push(line);
    this.tailDirty = true;
    if (this.liveBytes < LIVE_OUTPUT_BYTES) {
      this.pendingLines.push(line);
      this.liveBytes += line.length + 1;
    } else if (!this.liveCapped) {
      this.liveCapped = true;
      this.pendingLines.push('[live output capped here; the stored output keeps the last part]');
    }
    this.schedule();
  }

  finding(finding: ParsedFinding): void {
    this.pendingFindings.push(finding);
    if (this.pendingFindings.length >= FINDING_BATCH) void this.flush();
    else this.schedule();
  }

  warn(message: string): void {
    if (this.warnings.length < 100) this.warnings.push(message.slice(0, 1000));
    this.output(`[warning] ${message}`);
  }

  async saveTail(): Promise<void> {
    if (!this.tailDirty) return;
    this.tailDirty = false;
    await saveRunOutput(
      this.deps.db,
      this.run.id,
      this.deps.workerId,
      this.tail.text(),
      this.tail.truncated,
    );
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing
      .then(() => this.write())
      .catch((err: unknown) => {
        this.log.error({ err }, 'storing run output or findings failed');
      });
    return this.flushing;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  private async write(): Promise<void> {
    const lines = this.pendingLines.splice(0);
    const found = this.pendingFindings.splice(0);
    const { caseId, id: runId, tool } = this.run;
    if (this.leaseLost || (lines.length === 0 && found.length === 0)) return;

    // A worker that stalled past its lease (paused, or cut off from the database) can wake up
    // after another worker took the run over, or even finished its case: what it then writes
    // would land after the case's final status. Renewing first proves the run is still ours
    // and keeps it ours, for a whole lease, during the few writes that follow.
    const { config, db, workerId } = this.deps;
    const { owned } = await renewLease(db, runId, workerId, config.RUN_LEASE_SECONDS);
    if (!owned) {
      this.leaseLost = true;
      this.log.warn(
        { lines: lines.length, findings: found.length },
        'output of a lost run dropped',
      );
      this.onLeaseLost();
      return;
    }

    if (lines.length > 0) {
      await this.deps.events.append(caseId, [
        { type: 'TOOL_OUTPUT', tool, runId, message: lines.join('\n') },
      ]);
    }
    for (let i = 0; i < found.length; i += FINDING_BATCH) {
      const fresh = await addFindings(
        this.deps.db,
        caseId,
        runId,
        tool,
        found.slice(i, i + FINDING_BATCH),
      );
      this.findingCount += fresh.length;
      await this.deps.events.append(
        caseId,
        fresh.map((f) => ({ type: 'FINDING' as const, tool, runId, findingId: f.id })),
      );
    }
  }
}

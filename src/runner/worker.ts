import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';

import type { AppConfig } from '../config/config.js';
import type { CaseLifecycle } from '../cases/case-lifecycle.js';
import { getCase, listCasesReadyToFinish } from '../cases/case-repository.js';
import type { Db } from '../db/database.js';
import { toolRuns } from '../db/schema.js';
import type { CaseEventLog } from '../events/case-event-log.js';
import { insertEvents } from '../events/event-repository.js';
import type { CaseEventRecord } from '../events/event-types.js';
import type { Metrics } from '../observability/metrics.js';
import { claimNextRun, recoverExpiredRuns, type RunRow } from '../runs/run-repository.js';
import type { TargetKind } from '../tools/tool.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { executeRun } from './run-executor.js';

const POLL_MS = 500;
const SWEEP_MS = 5_000;
/** A case left SYNTHESIZING this long with no event is taken to have lost its writer. */
const STALE_SYNTHESIS_SECONDS = 300;
/** How long a stopping worker waits for aborted runs to clean up after themselves. */
const SHUTDOWN_ABORT_WAIT_MS = 10_000;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export interface WorkerDeps {
  db: Db;
  events: CaseEventLog;
  lifecycle: CaseLifecycle;
  registry: ToolRegistry;
  config: AppConfig;
  metrics: Metrics;
  log: Logger;
}

/**
 * Claims queued runs from the database and executes them, bounded overall and per tool.
 * Also sweeps: runs whose worker died are re-queued or failed, and cases whose runs have
 * all ended are finished.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<
    string,
    { tool: string; controller: AbortController; done: Promise<void> }
  >();
  private readonly log: Logger;
  private pollTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private claiming = false;
  private stopped = true;

  constructor(private readonly deps: WorkerDeps) {
    this.log = deps.log.child({ worker: this.id });
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.sweep();
    this.pollTimer = setInterval(() => this.wake(), POLL_MS);
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
    this.log.info(
      {
        maxRuns: this.deps.config.MAX_CONCURRENT_RUNS,
        perTool: this.deps.config.MAX_RUNS_PER_TOOL,
      },
      'worker started',
    );
  }

  /** Looks for queued runs now instead of at the next poll. */
  wake(): void {
    if (this.stopped || this.claiming) return;
    this.claiming = true;
    this.claimAvailable()
      .catch((err: unknown) => this.log.error({ err }, 'claiming runs failed'))
      .finally(() => {
        this.claiming = false;
      });
  }

  /**
   * Stops claiming, then gives running tools `graceMs` to end; the rest are aborted and handed
   * back to the queue so another worker picks them up.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.sweepTimer);
    const all = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    await Promise.race([all(), delay(graceMs)]);

    const left = [...this.running.keys()];
    if (left.length > 0) {
      // Handed back before the abort, so an aborted run no longer belongs to this worker and
      // cannot record itself as CANCELLED on its way out; watchers see it queued again.
      // Another worker may claim it in the moment before the abort lands: the tool then runs
      // twice briefly, but only the new owner's output and findings are written.
      const handed = await this.deps.db
        .update(toolRuns)
        .set({
          status: 'QUEUED',
          leaseOwner: null,
          leaseExpiresAt: null,
          startedAt: null,
          attempts: sql`greatest(${toolRuns.attempts} - 1, 0)`,
        })
        .where(and(eq(toolRuns.leaseOwner, this.id), eq(toolRuns.status, 'RUNNING')))
        .returning({ id: toolRuns.id, caseId: toolRuns.caseId, tool: toolRuns.tool });
      for (const run of handed) {
        await this.deps.events.append(run.caseId, [
          {
            type: 'TOOL_STATUS',
            tool: run.tool,
            runId: run.id,
            status: 'QUEUED',
            message: 'worker stopped; run queued again',
          },
        ]);
      }
      this.log.warn({ runs: left }, 'handed unfinished runs back to the queue');
    }
    for (const entry of this.running.values()) entry.controller.abort(new Error('shutdown'));
    // Aborted tools still remove their containers and close their sessions; give them the
    // time to, before the caller closes the database and the process exits.
    await Promise.race([all(), delay(SHUTDOWN_ABORT_WAIT_MS)]);
    this.log.info('worker stopped');
  }

  get activeRuns(): number {
    return this.running.size;
  }

  private async claimAvailable(): Promise<void> {
    const { config, db, registry } = this.deps;
    while (!this.stopped && this.running.size < config.MAX_CONCURRENT_RUNS) {
      const busy = new Map<string, number>();
      for (const r of this.running.values()) busy.set(r.tool, (busy.get(r.tool) ?? 0) + 1);
      const full = [...busy].filter(([, n]) => n >= config.MAX_RUNS_PER_TOOL).map(([t]) => t);
      // Tools this process does not have stay queued for a process that has them.
      const unknown = await this.unknownQueuedTools();

      const run = await claimNextRun(db, this.id, config.RUN_LEASE_SECONDS, [...full, ...unknown]);
      if (!run) return;
      this.launch(run, registry);
    }
  }

  private async unknownQueuedTools(): Promise<string[]> {
    const rows = await this.deps.db
      .selectDistinct({ tool: toolRuns.tool })
      .from(toolRuns)
      .where(eq(toolRuns.status, 'QUEUED'));
    return rows.map((r) => r.tool).filter((tool) => !this.deps.registry.get(tool));
  }

  private launch(run: RunRow, registry: ToolRegistry): void {
    const controller = new AbortController();
    const tool = registry.get(run.tool)!;
    const done = (async () => {
      const caseRow = await getCase(this.deps.db, run.caseId);
      if (!caseRow) return;
      await this.deps.lifecycle.markRunning(run.caseId);
      const target = { value: caseRow.target, kind: caseRow.targetKind as TargetKind };
      const status = await executeRun(
        { ...this.deps, workerId: this.id },
        run,
        tool,
        target,
        controller.signal,
      );
      if (controller.signal.aborted && status !== 'CANCELLED') return;
      await this.deps.lifecycle.finishIfDone(run.caseId);
    })()
      .catch((err: unknown) => this.log.error({ err, runId: run.id }, 'run execution crashed'))
      .finally(() => {
        this.running.delete(run.id);
        this.wake();
      });
    this.running.set(run.id, { tool: run.tool, controller, done });
  }

  private async sweep(): Promise<void> {
    const { db, events, lifecycle } = this.deps;
    try {
      // The recovery and the event announcing it commit together: a worker claiming the run
      // again at once cannot announce RUNNING ahead of the QUEUED that precedes it.
      const recovered = await db.transaction(async (tx) => {
        const runs = await recoverExpiredRuns(tx as unknown as typeof db);
        const stored: CaseEventRecord[] = [];
        for (const run of runs) {
          const [event] = await insertEvents(tx, run.caseId, [
            {
              type: 'TOOL_STATUS',
              tool: run.tool,
              runId: run.id,
              status: run.status,
              message: run.error ?? 'worker lost; run queued again',
            },
          ]);
          if (event) stored.push(event);
        }
        return { runs, stored };
      });
      await events.publish(recovered.stored);
      for (const run of recovered.runs) {
        this.log.warn(
          { runId: run.id, caseId: run.caseId, status: run.status },
          'recovered lost run',
        );
        await this.deps.registry
          .get(run.tool)
          ?.abandon?.(run.id, { config: this.deps.config, log: this.log })
          .catch((err: unknown) =>
            this.log.warn({ err, runId: run.id }, 'cleanup of lost run failed'),
          );
      }
      for (const caseId of await listCasesReadyToFinish(db, STALE_SYNTHESIS_SECONDS)) {
        await lifecycle.finishIfDone(caseId, { resumeSynthesis: true });
      }
    } catch (err) {
      this.log.error({ err }, 'sweep failed');
    }
  }
}

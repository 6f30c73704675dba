import { and, eq, inArray, notExists, sql, type SQL } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';

import type { Db } from '../db/database.js';
import { cases, toolRuns } from '../db/schema.js';
import type { CaseEventLog } from '../events/case-event-log.js';
import { insertEvents } from '../events/event-repository.js';
import type { NewCaseEvent } from '../events/event-types.js';
import { allFindings } from '../findings/finding-repository.js';
import type { Metrics } from '../observability/metrics.js';
import { insertReport } from '../reports/report-repository.js';
import { buildStructuredReport } from '../reports/structured-report.js';
import { findingCounts, listRuns, type RunRow } from '../runs/run-repository.js';
import type { CaseRow } from './case-repository.js';
import { outcomeOf, type CaseStatus } from './case-status.js';

/** Work done while a case is SYNTHESIZING, after the structured report (an LLM narrative). */
export type SynthesisStep = (caseRow: CaseRow, finalStatus: CaseStatus) => Promise<void>;
/** Work done after a case reached its final status (the archive); must not throw. */
export type FinishedHook = (caseId: string) => Promise<void>;

export interface LifecycleDeps {
  db: Db;
  events: CaseEventLog;
  metrics: Metrics;
  log: Logger;
}

/** Moves a case through RUNNING, SYNTHESIZING and its final status, exactly once each. */
export class CaseLifecycle {
  private readonly synthesisSteps: SynthesisStep[] = [];
  private readonly finishedHooks: FinishedHook[] = [];

  /** Set when an archive is configured: finished cases are then marked PENDING for it. */
  archiving = false;

  constructor(private readonly deps: LifecycleDeps) {}

  addSynthesisStep(step: SynthesisStep): void {
    this.synthesisSteps.push(step);
  }

  onFinished(hook: FinishedHook): void {
    this.finishedHooks.push(hook);
  }

  async markRunning(caseId: string): Promise<void> {
    await this.transition(
      caseId,
      { status: 'RUNNING', startedAt: sql`coalesce(${cases.startedAt}, now())` },
      eq(cases.status, 'QUEUED'),
      { type: 'CASE_STATUS', status: 'RUNNING' },
    );
  }

  /**
   * Finishes the case when none of its runs is queued or running. The conditional update lets
   * exactly one caller (in any process) win and write the report.
   */
  async finishIfDone(caseId: string, options: { resumeSynthesis?: boolean } = {}): Promise<void> {
    const { db } = this.deps;
    const from = options.resumeSynthesis
      ? ['QUEUED', 'RUNNING', 'SYNTHESIZING']
      : ['QUEUED', 'RUNNING'];
    const caseRow = await this.transition(
      caseId,
      { status: 'SYNTHESIZING' },
      and(inArray(cases.status, from), this.noActiveRuns(caseId)),
      { type: 'CASE_STATUS', status: 'SYNTHESIZING' },
    );
    if (!caseRow) return;

    const log = this.deps.log.child({ caseId });

    const runs = await listRuns(db, caseId);
    const finalStatus = outcomeOf(
      runs.map((r) => r.status),
      caseRow.cancelRequested,
    );
    await this.writeStructuredReport(caseRow, finalStatus);

    for (const step of this.synthesisSteps) {
      // A failing step (an LLM that is down) never changes the case's outcome.
      await step(caseRow, finalStatus).catch((err: unknown) => {
        log.error({ err }, 'synthesis step failed');
      });
    }

    // A retry can slip in while the report is written (it checked the case while it was still
    // running). So the runs are read again, and the final update requires that none is active;
    // otherwise the case goes back to work and is finished again, with a fresh report.
    const unchanged = runsSignature(runs) === runsSignature(await listRuns(db, caseId));
    const done =
      unchanged &&
      (await this.transition(
        caseId,
        {
          status: finalStatus,
          finishedAt: sql`now()`,
          archiveStatus: this.archiving ? 'PENDING' : null,
        },
        and(eq(cases.status, 'SYNTHESIZING'), this.noActiveRuns(caseId)),
        { type: 'CASE_STATUS', status: finalStatus },
      ));
    if (!done) {
      await this.reopen(caseId, log);
      return;
    }

    this.deps.metrics.casesFinished.inc({ status: finalStatus });
    log.info({ status: finalStatus }, 'case finished');

    for (const hook of this.finishedHooks) {
      await hook(caseId).catch((err: unknown) => log.error({ err }, 'finished hook failed'));
    }
  }

  /** Puts a case whose runs changed during its synthesis back to work, unless another finished it. */
  private async reopen(caseId: string, log: Logger): Promise<void> {
    const reopened = await this.transition(
      caseId,
      { status: 'QUEUED' },
      eq(cases.status, 'SYNTHESIZING'),
      {
        type: 'CASE_STATUS',
        status: 'QUEUED',
        message: 'a run was queued again during the report',
      },
    );
    if (!reopened) return;

    log.info('case reopened: a run was queued again while its report was written');
    // A retried run that already ended will not come back for its case; finish it here.
    await this.finishIfDone(caseId);
  }

  /**
   * Changes the case's status and stores the event announcing it in one transaction, so no
   * reader ever sees the new status without its event; the event is published after commit.
   */
  private async transition(
    caseId: string,
    values: PgUpdateSetSource<typeof cases>,
    condition: SQL | undefined,
    event: NewCaseEvent,
  ): Promise<CaseRow | undefined> {
    const result = await this.deps.db.transaction(async (tx) => {
      const [row] = await tx
        .update(cases)
        .set(values)
        .where(and(eq(cases.id, caseId), condition))
        .returning();
      return row ? { row, stored: await insertEvents(tx, caseId, [event]) } : undefined;
    });
    if (!result) return undefined;
    await this.deps.events.publish(result.stored);
    return result.row;
  }

  private noActiveRuns(caseId: string) {
    const { db } = this.deps;
    return notExists(
      db
        .select({ one: sql`1` })
        .from(toolRuns)
        .where(and(eq(toolRuns.caseId, caseId), inArray(toolRuns.status, ['QUEUED', 'RUNNING']))),
    );
  }

  private async writeStructuredReport(caseRow: CaseRow, finalStatus: CaseStatus): Promise<void> {
    const { db } = this.deps;
    const runs = await listRuns(db, caseRow.id);
    const findings = await allFindings(db, caseRow.id);
    const counts = await findingCounts(
      db,
      runs.map((r) => r.id),
    );
    const markdown = buildStructuredReport(caseRow, runs, findings, counts, finalStatus);
    await insertReport(db, caseRow.id, markdown, 'loom');
    await this.deps.events.append(caseRow.id, [
      { type: 'REPORT', message: 'structured report written', status: 'loom' },
    ]);
  }
}

/** What a case's outcome is computed from: which runs ended how, and when. */
function runsSignature(runs: RunRow[]): string {
  return runs.map((r) => `${r.id}:${r.status}:${r.finishedAt?.getTime() ?? ''}`).join(',');
}

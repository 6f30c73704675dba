import { randomUUID } from 'node:crypto';

import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';

import type { Db } from '../db/database.js';
import { cases, toolRuns } from '../db/schema.js';
import { AppError, notFound } from '../errors/app-error.js';
import type { CaseEventLog } from '../events/case-event-log.js';
import { insertEvents } from '../events/event-repository.js';
import type { NewCaseEvent } from '../events/event-types.js';
import { removeRunFindings } from '../findings/finding-repository.js';
import type { Metrics } from '../observability/metrics.js';
import { getRun, type RunRow } from '../runs/run-repository.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import type { CaseLifecycle } from './case-lifecycle.js';
import { getCase, type CaseRow } from './case-repository.js';
import { isActiveRunStatus, isFinalCaseStatus } from './case-status.js';
import { type CreateCaseInput, validateCreateCase } from './case-input.js';

export interface CaseServiceDeps {
  db: Db;
  events: CaseEventLog;
  lifecycle: CaseLifecycle;
  registry: ToolRegistry;
  metrics: Metrics;
  log: Logger;
  /** Tells the local worker (if any) that runs were queued. */
  wakeWorkers: () => void;
}

/** What the case mutations do; resolvers stay thin around it. */
export class CaseService {
  constructor(private readonly deps: CaseServiceDeps) {}

  async create(input: CreateCaseInput): Promise<CaseRow> {
    const valid = validateCreateCase(input, this.deps.registry);
    const caseId = randomUUID();

    const { row, stored } = await this.deps.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(cases)
        .values({
          id: caseId,
          title: valid.title,
          description: valid.description,
          target: valid.target.value,
          targetKind: valid.target.kind,
          status: 'QUEUED',
        })
        .returning();
      const runs = valid.runs.map((run) => ({
        id: randomUUID(),
        caseId,
        tool: run.tool,
        options: run.options,
        status: 'QUEUED',
      }));
      await tx.insert(toolRuns).values(runs);
      const events: NewCaseEvent[] = [
        { type: 'CASE_STATUS', status: 'QUEUED' },
        ...runs.map((r) => ({
          type: 'TOOL_STATUS' as const,
          tool: r.tool,
          runId: r.id,
          status: 'QUEUED',
        })),
      ];
      const stored = await insertEvents(tx, caseId, events);
      return { row, stored };
    });

    await this.deps.events.publish(stored);
    this.deps.metrics.casesCreated.inc();
    this.deps.log.info({ caseId, kind: valid.target.kind, tools: input.tools }, 'case created');
    this.deps.wakeWorkers();
    return (await getCase(this.deps.db, caseId)) ?? row;
  }

  /**
   * Cancels queued runs at once and flags running ones; the worker holding each notices at its
   * next heartbeat (a couple of seconds), in whichever process it runs.
   */
  async cancel(caseId: string): Promise<CaseRow> {
    const { db } = this.deps;
    const caseRow = await this.require(caseId);
    if (isFinalCaseStatus(caseRow.status)) return caseRow;

    const cancelled = await db.transaction(async (tx) => {
      await tx.update(cases).set({ cancelRequested: true }).where(eq(cases.id, caseId));
      await tx
        .update(toolRuns)
        .set({ cancelRequested: true })
        .where(and(eq(toolRuns.caseId, caseId), eq(toolRuns.status, 'RUNNING')));
      return tx
        .update(toolRuns)
        .set({
          status: 'CANCELLED',
          cancelRequested: true,
          finishedAt: sql`now()`,
          error: 'cancelled',
        })
        .where(and(eq(toolRuns.caseId, caseId), eq(toolRuns.status, 'QUEUED')))
        .returning({ id: toolRuns.id, tool: toolRuns.tool });
    });

    await this.deps.events.append(
      caseId,
      cancelled.map((r) => ({
        type: 'TOOL_STATUS' as const,
        tool: r.tool,
        runId: r.id,
        status: 'CANCELLED',
      })),
    );
    this.deps.log.info({ caseId, queuedCancelled: cancelled.length }, 'case cancel requested');
    await this.deps.lifecycle.finishIfDone(caseId);
    return this.require(caseId);
  }

  /** Puts one finished run back in the queue and reopens its case. */
  async retryRun(runId: string): Promise<RunRow> {
    const { db } = this.deps;
    const run = await getRun(db, runId);
    if (!run) throw notFound('ToolRun', runId);
    if (isActiveRunStatus(run.status)) {
      throw new AppError('CONFLICT', `tool run ${runId} is still ${run.status.toLowerCase()}`);
    }
    const caseRow = await this.require(run.caseId);
    if (caseRow.status === 'SYNTHESIZING') {
      throw new AppError('CONFLICT', `case ${caseRow.id} is writing its report; retry shortly`);
    }

    await removeRunFindings(db, run.caseId, run.id);
    const reopened = await db.transaction(async (tx) => {
      await tx
        .update(toolRuns)
        .set({
          status: 'QUEUED',
          attempts: 0,
          error: null,
          warnings: [],
          output: '',
          outputTruncated: false,
          cancelRequested: false,
          startedAt: null,
          finishedAt: null,
          queuedAt: sql`now()`,
        })
        .where(eq(toolRuns.id, runId));
      const [row] = await tx
        .update(cases)
        .set({ status: 'QUEUED', cancelRequested: false, finishedAt: null, archiveStatus: null })
        .where(
          and(
            eq(cases.id, run.caseId),
            inArray(cases.status, ['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED']),
          ),
        )
        .returning({ id: cases.id });
      const events: NewCaseEvent[] = [
        { type: 'TOOL_STATUS', tool: run.tool, runId, status: 'QUEUED', message: 'retry' },
      ];
      if (row)
        events.unshift({ type: 'CASE_STATUS', status: 'QUEUED', message: 'reopened for a retry' });
      return insertEvents(tx, run.caseId, events);
    });

    await this.deps.events.publish(reopened);
    this.deps.log.info({ caseId: run.caseId, runId }, 'tool run queued again');
    this.deps.wakeWorkers();
    return (await getRun(db, runId))!;
  }

  /** Deletes a finished case and everything it owns; a case still at work is refused. */
  async delete(caseId: string): Promise<boolean> {
    const caseRow = await this.require(caseId);
    if (!isFinalCaseStatus(caseRow.status)) {
      throw new AppError(
        'CONFLICT',
        `case ${caseId} is ${caseRow.status.toLowerCase()}; cancel it first`,
      );
    }
    const deleted = await this.deps.db
      .delete(cases)
      .where(
        and(
          eq(cases.id, caseId),
          inArray(cases.status, ['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED']),
        ),
      )
      .returning({ id: cases.id });
    if (deleted.length === 0) throw new AppError('CONFLICT', `case ${caseId} changed; try again`);
    this.deps.log.info({ caseId }, 'case deleted');
    return true;
  }

  private async require(caseId: string): Promise<CaseRow> {
    const row = await getCase(this.deps.db, caseId);
    if (!row) throw notFound('Case', caseId);
    return row;
  }
}

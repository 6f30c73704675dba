import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';

import { rowsOf } from '../cases/case-repository.js';
import type { ToolRunStatus } from '../cases/case-status.js';
import type { Db } from '../db/database.js';
import { cases, findingSources, toolRuns } from '../db/schema.js';

export type RunRow = typeof toolRuns.$inferSelect;

/** A run whose worker vanished is claimed again once; after that it fails with the reason. */
export const MAX_ATTEMPTS = 2;

export async function getRun(db: Db, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(toolRuns).where(eq(toolRuns.id, id));
  return row;
}

export async function listRuns(db: Db, caseId: string): Promise<RunRow[]> {
  return db
    .select()
    .from(toolRuns)
    .where(eq(toolRuns.caseId, caseId))
    .orderBy(asc(toolRuns.queuedAt), asc(toolRuns.tool));
}

/**
 * Claims the oldest queued run whose tool is not in `skipTools`, with a lease for `worker`.
 * `for update skip locked` lets many workers in many processes claim without ever sharing a run.
 */
export async function claimNextRun(
  db: Db,
  worker: string,
  leaseSeconds: number,
  skipTools: string[],
): Promise<RunRow | undefined> {
  const skip = skipTools.length
    ? sql`and tool not in (${sql.join(
        skipTools.map((t) => sql`${t}`),
        sql`, `,
      )})`
    : sql``;
  const result = await db.execute(sql`
    update tool_runs set
      status = 'RUNNING',
      lease_owner = ${worker},
      lease_expires_at = now() + make_interval(secs => ${leaseSeconds}),
      attempts = attempts + 1,
      started_at = now(),
      finished_at = null,
      error = null
    where id = (
      select id from tool_runs
      where status = 'QUEUED' and not cancel_requested ${skip}
      order by queued_at, id
      limit 1
      for update skip locked)
    returning id`);
  const [row] = rowsOf<{ id: string }>(result);
  return row ? getRun(db, row.id) : undefined;
}

/** Extends the lease; reports whether the run is still ours and whether cancel was asked. */
export async function renewLease(
  db: Db,
  runId: string,
  worker: string,
  leaseSeconds: number,
): Promise<{ owned: boolean; cancelRequested: boolean }> {
  const [row] = await db
    .update(toolRuns)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(
      and(eq(toolRuns.id, runId), eq(toolRuns.leaseOwner, worker), eq(toolRuns.status, 'RUNNING')),
    )
    // The case's flag counts too: a cancel that met the claim of a queued run in flight waited
    // for the run's row, then found it running under the claim and left it unflagged.
    .returning({
      cancelRequested: sql<boolean>`${toolRuns.cancelRequested} or exists (
        select 1 from ${cases} where ${cases.id} = ${toolRuns.caseId} and ${cases.cancelRequested})`,
    });
  return { owned: Boolean(row), cancelRequested: Boolean(row?.cancelRequested) };
}

export async function saveRunOutput(
  db: Db,
  runId: string,
  worker: string,
  output: string,
  truncated: boolean,
): Promise<void> {
  await db
    .update(toolRuns)
    .set({ output, outputTruncated: truncated })
    .where(and(eq(toolRuns.id, runId), eq(toolRuns.leaseOwner, worker)));
}

export interface RunOutcome {
  status: ToolRunStatus;
  error: string | null;
  warnings: string[];
  output: string;
  outputTruncated: boolean;
}

/** Records the end of a run, if this worker still holds it. Returns false when it did not. */
export async function finishRun(
  db: Db,
  runId: string,
  worker: string,
  outcome: RunOutcome,
): Promise<boolean> {
  const rows = await db
    .update(toolRuns)
    .set({
      ...outcome,
      finishedAt: sql`now()`,
      leaseOwner: null,
      leaseExpiresAt: null,
    })
    .where(
      and(eq(toolRuns.id, runId), eq(toolRuns.leaseOwner, worker), eq(toolRuns.status, 'RUNNING')),
    )
    .returning({ id: toolRuns.id });
  return rows.length > 0;
}

/**
 * Runs whose lease ran out (their worker died or hung): re-queued once, then failed.
 * Returns what changed so the caller can announce it.
 */
export async function recoverExpiredRuns(
  db: Db,
): Promise<
  { id: string; caseId: string; tool: string; status: ToolRunStatus; error: string | null }[]
> {
  const result = await db.execute(sql`
    update tool_runs set
      status = case when attempts >= ${MAX_ATTEMPTS} or cancel_requested then
                 (case when cancel_requested then 'CANCELLED' else 'FAILED' end)
               else 'QUEUED' end,
      error = case when attempts >= ${MAX_ATTEMPTS} and not cancel_requested
                then 'worker lost: its lease expired ' || attempts || ' times'
                else null end,
      finished_at = case when attempts >= ${MAX_ATTEMPTS} or cancel_requested then now()
                    else null end,
      queued_at = case when attempts >= ${MAX_ATTEMPTS} then queued_at else now() end,
      lease_owner = null,
      lease_expires_at = null
    where status = 'RUNNING' and lease_expires_at < now()
    returning id, case_id, tool, status, error`);
  return rowsOf<{ id: string; case_id: string; tool: string; status: string; error: string }>(
    result,
  ).map((r) => ({
    id: r.id,
    caseId: r.case_id,
    tool: r.tool,
    status: r.status as ToolRunStatus,
    error: r.error,
  }));
}

export async function findingCounts(db: Db, runIds: string[]): Promise<Map<string, number>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .select({ runId: findingSources.runId, n: count() })
    .from(findingSources)
    .where(inArray(findingSources.runId, runIds))
    .groupBy(findingSources.runId);
  return new Map(rows.map((r) => [r.runId, Number(r.n)]));
}

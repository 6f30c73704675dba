import { and, asc, eq, inArray, isNotNull, lt, notInArray, or, sql } from 'drizzle-orm';

import { FINAL_CASE_STATUSES } from '../cases/case-status.js';
import type { Db } from '../db/database.js';
import { cases } from '../db/schema.js';

/**
 * Matches the case only while it is still the finished case that was archived: a retry reopens
 * it (and a later finish moves `finished_at`), which makes an older archive's outcome stale.
 * The stored time has microseconds, the snapshot's ISO string milliseconds; hence the tolerance.
 */
function sameFinish(caseId: string, finishedAt: string) {
  return and(
    eq(cases.id, caseId),
    inArray(cases.status, [...FINAL_CASE_STATUSES]),
    isNotNull(cases.archiveStatus),
    sql`abs(extract(epoch from ${cases.finishedAt}) - extract(epoch from ${finishedAt}::timestamptz)) < 0.001`,
  );
}

/** Records a successful archive of the case as it finished at `finishedAt`. */
export async function markArchived(db: Db, caseId: string, finishedAt: string): Promise<boolean> {
  const rows = await db
    .update(cases)
    .set({ archiveStatus: 'ARCHIVED', archiveError: null, archivedAt: sql`now()` })
    .where(sameFinish(caseId, finishedAt))
    .returning({ id: cases.id });
  return rows.length > 0;
}

/** Records a failed archive; `archivedAt` keeps the time of the last successful one, if any. */
export async function markArchiveFailed(
  db: Db,
  caseId: string,
  finishedAt: string,
  error: string,
): Promise<boolean> {
  const rows = await db
    .update(cases)
    .set({ archiveStatus: 'FAILED', archiveError: error.slice(0, 1000) })
    .where(sameFinish(caseId, finishedAt))
    .returning({ id: cases.id });
  return rows.length > 0;
}

/**
 * Finished cases still to archive, oldest finish first: every FAILED one, and PENDING ones older
 * than `pendingGraceSeconds` (younger ones are normally being archived by the process that
 * finished them).
 */
export async function listArchiveBacklog(
  db: Db,
  options: { pendingGraceSeconds: number; skip: string[]; limit: number },
): Promise<string[]> {
  const rows = await db
    .select({ id: cases.id })
    .from(cases)
    .where(
      and(
        inArray(cases.status, [...FINAL_CASE_STATUSES]),
        or(
          eq(cases.archiveStatus, 'FAILED'),
          and(
            eq(cases.archiveStatus, 'PENDING'),
            lt(
              cases.finishedAt,
              sql`now() - make_interval(secs => ${options.pendingGraceSeconds})`,
            ),
          ),
        ),
        options.skip.length ? notInArray(cases.id, options.skip) : undefined,
      ),
    )
    .orderBy(asc(cases.finishedAt), asc(cases.id))
    .limit(options.limit);
  return rows.map((r) => r.id);
}

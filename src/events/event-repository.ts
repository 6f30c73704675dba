import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';

import type { Db } from '../db/database.js';
import { caseEvents, cases } from '../db/schema.js';
import type { CaseEventRecord, CaseEventType, NewCaseEvent } from './event-types.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Stores events with the next per-case sequence numbers. The counter lives on the case row,
 * so concurrent writers (in any process) serialise on that row and never share a number.
 */
export async function insertEvents(
  db: Db | Tx,
  caseId: string,
  events: NewCaseEvent[],
): Promise<CaseEventRecord[]> {
  if (events.length === 0) return [];

  const run = async (tx: Db | Tx) => {
    const [row] = await tx
      .update(cases)
      .set({ lastSeq: sql`${cases.lastSeq} + ${events.length}` })
      .where(eq(cases.id, caseId))
      .returning({ lastSeq: cases.lastSeq });
    if (!row) return [];

    const first = row.lastSeq - events.length + 1;
    const rows = events.map((event, index) => ({
      caseId,
      seq: first + index,
      type: event.type,
      tool: event.tool ?? null,
      runId: event.runId ?? null,
      status: event.status ?? null,
      message: event.message ?? null,
      findingId: event.findingId ?? null,
    }));
    const inserted = await tx.insert(caseEvents).values(rows).returning();
    return inserted.map(toRecord);
  };

  return 'transaction' in db ? db.transaction(run) : run(db);
}

export async function listEvents(
  db: Db,
  caseId: string,
  options: { afterSeq?: number; beforeSeq?: number; limit?: number } = {},
): Promise<CaseEventRecord[]> {
  const conditions = [eq(caseEvents.caseId, caseId), gt(caseEvents.seq, options.afterSeq ?? 0)];
  if (options.beforeSeq !== undefined) conditions.push(lt(caseEvents.seq, options.beforeSeq));

  const rows = await db
    .select()
    .from(caseEvents)
    .where(and(...conditions))
    .orderBy(asc(caseEvents.seq))
    .limit(options.limit ?? 1000);
  return rows.map(toRecord);
}

function toRecord(row: typeof caseEvents.$inferSelect): CaseEventRecord {
  return { ...row, type: row.type as CaseEventType };
}

import { and, count, desc, eq, ilike, lt, or, sql, type SQL } from 'drizzle-orm';

import type { Db } from '../db/database.js';
import { cases } from '../db/schema.js';
import type { CaseStatus } from './case-status.js';

export type CaseRow = typeof cases.$inferSelect;

export async function getCase(db: Db, id: string): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(cases).where(eq(cases.id, id));
  return row;
}

export interface CaseListOptions {
  first: number;
  after?: { createdAt: Date; id: string };
  status?: CaseStatus;
  search?: string;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listCases(
  db: Db,
  options: CaseListOptions,
): Promise<{ rows: CaseRow[]; totalCount: number; hasNextPage: boolean }> {
  const filters: SQL[] = [];
  if (options.status) filters.push(eq(cases.status, options.status));
  if (options.search) {
    const pattern = `%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    filters.push(or(ilike(cases.title, pattern), ilike(cases.target, pattern))!);
  }
  const where = filters.length ? and(...filters) : undefined;

  const page = options.after
    ? and(
        where,
        or(
          lt(cases.createdAt, options.after.createdAt),
          and(eq(cases.createdAt, options.after.createdAt), lt(cases.id, options.after.id)),
        ),
      )
    : where;

  const rows = await db
    .select()
    .from(cases)
    .where(page)
    .orderBy(desc(cases.createdAt), desc(cases.id))
    .limit(options.first + 1);
  const [{ total }] = await db.select({ total: count() }).from(cases).where(where);

  return {
    rows: rows.slice(0, options.first),
    totalCount: Number(total),
    hasNextPage: rows.length > options.first,
  };
}

/** Cases not yet final whose runs have all ended: ready for (or stuck before) their report. */
export async function listCasesReadyToFinish(db: Db, staleSynthesisSeconds: number) {
  const rows = await db.execute(sql`
    select c.id from cases c
    where (c.status in ('QUEUED', 'RUNNING')
           or (c.status = 'SYNTHESIZING' and not exists (
                 select 1 from case_events e where e.case_id = c.id
                 and e.at > now() - make_interval(secs => ${staleSynthesisSeconds}))))
      and not exists (select 1 from tool_runs r
                      where r.case_id = c.id and r.status in ('QUEUED', 'RUNNING'))
    limit 100`);
  return rowsOf<{ id: string }>(rows).map((r) => r.id);
}

/** drizzle returns `{ rows }` from PGlite and an array from postgres.js. */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows: T[] }).rows ?? []);
}

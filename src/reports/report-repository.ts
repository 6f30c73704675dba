import { randomUUID } from 'node:crypto';

import { asc, desc, eq } from 'drizzle-orm';

import type { Db } from '../db/database.js';
import { reports } from '../db/schema.js';

export type ReportRow = typeof reports.$inferSelect;

export async function insertReport(
  db: Db,
  caseId: string,
  markdown: string,
  generator: string,
): Promise<ReportRow> {
  const [row] = await db
    .insert(reports)
    .values({ id: randomUUID(), caseId, markdown, generator })
    .returning();
  return row;
}

/** The newest report version of a case (a narrative, when one was written after the structured). */
export async function latestReport(db: Db, caseId: string): Promise<ReportRow | undefined> {
  const [row] = await db
    .select()
    .from(reports)
    .where(eq(reports.caseId, caseId))
    .orderBy(desc(reports.createdAt))
    .limit(1);
  return row;
}

export async function listReports(db: Db, caseId: string): Promise<ReportRow[]> {
  return db
    .select()
    .from(reports)
    .where(eq(reports.caseId, caseId))
    .orderBy(asc(reports.createdAt));
}

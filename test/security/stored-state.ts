import { asc, count } from 'drizzle-orm';

import type { Db } from '../../src/db/database.js';
import {
  apiKeys,
  caseEvents,
  cases,
  chatMessages,
  findings,
  findingSources,
  reports,
  toolRuns,
} from '../../src/db/schema.js';

/** Row counts of everything a hostile request could destroy or add to. */
export async function storedCounts(db: Db): Promise<Record<string, number>> {
  const tables = {
    cases,
    toolRuns,
    caseEvents,
    findings,
    findingSources,
    reports,
    chatMessages,
    apiKeys,
  };
  const result: Record<string, number> = {};
  for (const [name, table] of Object.entries(tables)) {
    const [row] = await db.select({ n: count() }).from(table);
    result[name] = row.n;
  }
  return result;
}

/** Every stored case with its runs and events, to compare whole before and after. */
export async function storedCases(db: Db) {
  return {
    cases: await db.select().from(cases).orderBy(asc(cases.id)),
    runs: await db.select().from(toolRuns).orderBy(asc(toolRuns.id)),
    events: await db.select().from(caseEvents).orderBy(asc(caseEvents.caseId), asc(caseEvents.seq)),
  };
}

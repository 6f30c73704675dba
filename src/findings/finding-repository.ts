import { randomUUID } from 'node:crypto';

import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';

import { rowsOf } from '../cases/case-repository.js';
import type { Db } from '../db/database.js';
import { findingSources, findings } from '../db/schema.js';
import type { FindingKind, ParsedFinding } from './finding.js';

export interface FindingRecord {
  id: string;
  caseId: string;
  kind: FindingKind;
  value: string;
  data: unknown;
  tools: string[];
  createdAt: Date;
}

/**
 * Stores findings of one run. A value another tool already found gains this tool as a source
 * instead of a second row. Returns the findings this run newly attached, in input order.
 */
export async function addFindings(
  db: Db,
  caseId: string,
  runId: string,
  tool: string,
  parsed: ParsedFinding[],
): Promise<{ id: string; kind: FindingKind; value: string }[]> {
  if (parsed.length === 0) return [];

  return db.transaction(async (tx) => {
    await tx
      .insert(findings)
      .values(
        parsed.map((f) => ({
          id: randomUUID(),
          caseId,
          kind: f.kind,
          value: f.value,
          data: f.data ?? null,
        })),
      )
      .onConflictDoNothing({ target: [findings.caseId, findings.kind, findings.value] });

    const stored = await tx
      .select({ id: findings.id, kind: findings.kind, value: findings.value })
      .from(findings)
      .where(
        and(
          eq(findings.caseId, caseId),
          inArray(
            findings.value,
            parsed.map((f) => f.value),
          ),
        ),
      );
    const idOf = new Map(stored.map((s) => [`${s.kind}\u0000${s.value}`, s.id]));
    const ids = [...new Set(parsed.map((f) => idOf.get(`${f.kind}\u0000${f.value}`)!))];

    const attached = await tx
      .insert(findingSources)
      .values(ids.map((findingId) => ({ findingId, runId, tool })))
      .onConflictDoNothing()
      .returning({ findingId: findingSources.findingId });
    const fresh = new Set(attached.map((a) => a.findingId));

    return stored
      .filter((s) => fresh.has(s.id))
      .map((s) => ({ id: s.id, kind: s.kind as FindingKind, value: s.value }));
  });
}

/** Forgets what a run found (before a retry); findings no other run found go with it. */
export async function removeRunFindings(db: Db, caseId: string, runId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(findingSources).where(eq(findingSources.runId, runId));
    await tx.execute(sql`
      delete from findings f where f.case_id = ${caseId}
      and not exists (select 1 from finding_sources s where s.finding_id = f.id)`);
  });
}

const toolsOf = sql<string[]>`coalesce((
  select array_agg(distinct s.tool order by s.tool) from finding_sources s
  where s.finding_id = ${findings.id}), '{}')`;

const findingColumns = {
  id: findings.id,
  caseId: findings.caseId,
  kind: findings.kind,
  value: findings.value,
  data: findings.data,
  createdAt: findings.createdAt,
  tools: toolsOf,
};

export async function listFindings(
  db: Db,
  caseId: string,
  options: { kind?: FindingKind; offset: number; limit: number },
): Promise<{ rows: FindingRecord[]; totalCount: number }> {
  const where = and(
    eq(findings.caseId, caseId),
    options.kind ? eq(findings.kind, options.kind) : undefined,
  );
  const rows = await db
    .select(findingColumns)
    .from(findings)
    .where(where)
    .orderBy(asc(findings.kind), asc(findings.value))
    .offset(options.offset)
    .limit(options.limit);
  const [{ total }] = await db.select({ total: count() }).from(findings).where(where);
  return { rows: rows.map(normaliseRecord), totalCount: Number(total) };
}

export async function getFindingsByIds(db: Db, ids: string[]): Promise<FindingRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db.select(findingColumns).from(findings).where(inArray(findings.id, ids));
  return rows.map(normaliseRecord);
}

/** Every finding of a case with its tools, most corroborated first (for reports and prompts). */
export async function allFindings(db: Db, caseId: string): Promise<FindingRecord[]> {
  const result = await db.execute(sql`
    select f.id, f.case_id, f.kind, f.value, f.data, f.created_at,
      coalesce(array_agg(distinct s.tool order by s.tool)
               filter (where s.tool is not null), '{}') as tools
    from findings f left join finding_sources s on s.finding_id = f.id
    where f.case_id = ${caseId}
    group by f.id
    order by count(distinct s.tool) desc, f.kind, f.value`);
  return rowsOf<Record<string, unknown>>(result).map((r) =>
    normaliseRecord({
      id: r.id as string,
      caseId: r.case_id as string,
      kind: r.kind as string,
      value: r.value as string,
      data: r.data,
      createdAt: new Date(r.created_at as string),
      tools: r.tools as string[] | string,
    }),
  );
}

function normaliseRecord(row: {
  id: string;
  caseId: string;
  kind: string;
  value: string;
  data: unknown;
  createdAt: Date;
  tools: string[] | string;
}): FindingRecord {
  return { ...row, kind: row.kind as FindingKind, tools: parsePgArray(row.tools) };
}

/** postgres.js returns text[] from raw SQL as an array; PGlite may hand back `{a,b}` text. */
function parsePgArray(value: string[] | string | null): string[] {
  if (Array.isArray(value)) return value;
  if (!value || value === '{}') return [];
  return value
    .slice(1, -1)
    .split(',')
    .map((v) => v.replace(/^"|"$/g, ''));
}

import type { Db } from '../db/database.js';
import { notFound } from '../errors/app-error.js';
import { allFindings } from '../findings/finding-repository.js';
import type { CaseSnapshot } from '../llm/case-data.js';
import { findingCounts, listRuns } from '../runs/run-repository.js';
import { getCase } from './case-repository.js';

export type { CaseSnapshot } from '../llm/case-data.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/**
 * A case as stored right now: the case row, its runs with how many findings each reported, and
 * every finding with its tools, most corroborated first. Prompts and the archive read this.
 */
export async function loadCaseSnapshot(db: Db, caseId: string): Promise<CaseSnapshot> {
  const row = await getCase(db, caseId);
  if (!row) throw notFound('Case', caseId);

  const runs = await listRuns(db, caseId);
  const counts = await findingCounts(
    db,
    runs.map((r) => r.id),
  );
  const findings = await allFindings(db, caseId);

  return {
    case: {
      id: row.id,
      title: row.title,
      description: row.description,
      target: row.target,
      targetKind: row.targetKind,
      status: row.status,
      createdAt: row.createdAt.toISOString(),
      startedAt: iso(row.startedAt),
      finishedAt: iso(row.finishedAt),
    },
    runs: runs.map((r) => ({
      id: r.id,
      tool: r.tool,
      status: r.status,
      startedAt: iso(r.startedAt),
      finishedAt: iso(r.finishedAt),
      error: r.error,
      findingCount: counts.get(r.id) ?? 0,
    })),
    findings: findings.map((f) => ({ kind: f.kind, value: f.value, tools: f.tools, data: f.data })),
  };
}

import { desc } from 'drizzle-orm';

import type { Db } from '../db/database.js';
import { auditLog } from '../db/schema.js';

export type AuditRow = typeof auditLog.$inferSelect;

export interface AuditEntry {
  keyName: string;
  /** The mutation field, e.g. `createCase`. */
  operation: string;
  caseId?: string | null;
  requestId: string;
  clientAddress: string;
  outcome: 'ok' | 'error';
  /** The error code and message of a failed mutation. */
  detail?: string | null;
}

const DETAIL_MAX = 500;

export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    keyName: entry.keyName,
    operation: entry.operation,
    caseId: entry.caseId ?? null,
    requestId: entry.requestId,
    clientAddress: entry.clientAddress,
    outcome: entry.outcome,
    detail: entry.detail ? entry.detail.slice(0, DETAIL_MAX) : null,
  });
}

/** Newest first. */
export async function listAudit(db: Db, limit: number): Promise<AuditRow[]> {
  return db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit);
}

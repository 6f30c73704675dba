import type { Logger } from 'pino';

import { getCase } from '../cases/case-repository.js';
import { loadCaseSnapshot } from '../cases/case-snapshot.js';
import { isFinalCaseStatus } from '../cases/case-status.js';
import type { Db } from '../db/database.js';
import { listReports } from '../reports/report-repository.js';
import { listArchiveBacklog, markArchived, markArchiveFailed } from './archive-repository.js';
import type { ArchivedCase, CaseArchive } from './couch-archive.js';

/** What one archive attempt came to. */
export type ArchiveOutcome =
  | 'archived'
  /** CouchDB could not be reached; the case is FAILED and the catch-up retries it. */
  | 'unavailable'
  /** CouchDB refused the document; the case is FAILED and retried less often. */
  | 'rejected'
  /** Other writers kept changing the document; the case is FAILED and retried next pass. */
  | 'conflict'
  /** Nothing to do (the case is not finished) or shutting down; the status is left as it was. */
  | 'skipped';

export interface CaseArchiverDeps {
  db: Db;
  archive: CaseArchive;
  log: Logger;
  /** First catch-up delay, and the delay while everything archives fine. */
  retryMinMs: number;
  /** Longest catch-up delay while CouchDB stays unreachable. */
  retryMaxMs: number;
  /** PENDING cases younger than this are left to the process archiving them; default 120 s. */
  pendingGraceSeconds?: number;
}

const BACKLOG_PAGE = 50;

/**
 * Copies finished cases to the CouchDB archive off the case's own path: archiving never delays
 * or fails a case. The outcome lands in the case's `archiveStatus`; a catch-up loop retries
 * what failed, backing off while CouchDB stays down.
 *
 * Known shortcomings: the per-case ordering holds within one process only, and several worker
 * processes may pick the same backlog case in one pass (the writes are revision-safe, so the
 * cost is duplicate work). A case larger than CouchDB's max_document_size is refused and stays
 * FAILED with the reason in `archiveError`; the document is not split.
 */
export class CaseArchiver {
  private readonly shutdown = new AbortController();
  /** One archive at a time per case, so an older snapshot never lands after a newer one. */
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Cases CouchDB refused, retried with their own backoff instead of on every pass. */
  private readonly refused = new Map<string, { until: number; delayMs: number }>();
  private readonly log: Logger;
  private timer?: NodeJS.Timeout;
  private delayMs: number;
  private passing?: Promise<void>;

  constructor(private readonly deps: CaseArchiverDeps) {
    this.log = deps.log.child({ component: 'archiver' });
    this.delayMs = deps.retryMinMs;
  }

  /** The lifecycle's `onFinished` hook: starts archiving and returns at once. */
  schedule(caseId: string): void {
    void this.archive(caseId);
  }

  /** Archives the case as stored now and records the outcome on the case. Never throws. */
  archive(caseId: string): Promise<ArchiveOutcome> {
    const previous = this.chains.get(caseId) ?? Promise.resolve();
    const attempt = previous.then(() => this.archiveOnce(caseId));
    this.chains.set(caseId, attempt);
    void attempt.finally(() => {
      if (this.chains.get(caseId) === attempt) this.chains.delete(caseId);
    });
    return attempt;
  }

  /** Starts the catch-up loop (in processes that run workers). */
  startCatchUp(): void {
    this.next(this.deps.retryMinMs);
  }

  /** One catch-up pass over the backlog; stops early when CouchDB turns out to be down. */
  catchUp(): Promise<void> {
    this.passing ??= this.pass().finally(() => {
      this.passing = undefined;
    });
    return this.passing;
  }

  /** Stops the loop, aborts archives in flight (their cases stay PENDING) and waits for them. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.shutdown.abort();
    await Promise.allSettled([...this.chains.values(), this.passing]);
  }

  private next(delayMs: number): void {
    if (this.shutdown.signal.aborted) return;
    this.timer = setTimeout(() => {
      void this.catchUp().finally(() => this.next(this.delayMs));
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    const now = Date.now();
    for (const [id, wait] of this.refused) if (wait.until <= now) this.refused.delete(id);

    let ids: string[];
    try {
      ids = await listArchiveBacklog(this.deps.db, {
        pendingGraceSeconds: this.deps.pendingGraceSeconds ?? 120,
        skip: [...this.chains.keys(), ...this.refused.keys()],
        limit: BACKLOG_PAGE,
      });
    } catch (err) {
      this.log.error({ err }, 'archive backlog query failed');
      return;
    }
    if (ids.length === 0) {
      this.delayMs = this.deps.retryMinMs;
      return;
    }

    this.log.info({ cases: ids.length }, 'archive catch-up');
    for (const id of ids) {
      if (this.shutdown.signal.aborted) return;
      const outcome = await this.archive(id);
      if (outcome === 'unavailable') {
        this.delayMs = Math.min(this.deps.retryMaxMs, this.delayMs * 2);
        this.log.warn({ nextTryMs: this.delayMs }, 'archive unavailable; catch-up backs off');
        return;
      }
      if (outcome === 'rejected') this.refuse(id);
    }
    this.delayMs = this.deps.retryMinMs;
  }

  private refuse(caseId: string): void {
    const previous = this.refused.get(caseId)?.delayMs ?? this.deps.retryMinMs;
    // A refusal (too large, invalid) rarely heals by itself; retry it seldom, up to daily.
    const delayMs = Math.min(24 * 3600_000, Math.max(this.deps.retryMaxMs, previous * 2));
    this.refused.set(caseId, { until: Date.now() + delayMs, delayMs });
  }

  private async archiveOnce(caseId: string): Promise<ArchiveOutcome> {
    const { db, archive } = this.deps;
    if (this.shutdown.signal.aborted) return 'skipped';
    try {
      const row = await getCase(db, caseId);
      if (!row || !isFinalCaseStatus(row.status) || !row.finishedAt) return 'skipped';

      const snapshot = await loadCaseSnapshot(db, caseId);
      const finishedAt = snapshot.case.finishedAt!;
      const reports = await listReports(db, caseId);
      const doc: ArchivedCase = {
        _id: caseId,
        archivedAt: new Date().toISOString(),
        ...snapshot,
        reports: reports.map((r) => ({
          generator: r.generator,
          markdown: r.markdown,
          createdAt: r.createdAt.toISOString(),
        })),
      };

      const result = await archive.store(doc, { signal: this.shutdown.signal });
      if (result.ok) {
        await markArchived(db, caseId, finishedAt);
        this.refused.delete(caseId);
        return 'archived';
      }
      if (result.error.code === 'ARCHIVE_ABORTED') return 'skipped';
      await markArchiveFailed(db, caseId, finishedAt, result.error.message);
      if (result.error.code === 'ARCHIVE_UNAVAILABLE') return 'unavailable';
      return result.error.code === 'ARCHIVE_CONFLICT' ? 'conflict' : 'rejected';
    } catch (err) {
      // Our own database failing (or closing at shutdown): the status stays for the catch-up.
      this.log.error({ err, caseId }, 'archiving a case failed');
      return 'skipped';
    }
  }
}

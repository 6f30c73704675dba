import { setTimeout as sleep } from 'node:timers/promises';

import nano, { type RequestOptions, type ServerScope } from 'nano';
import type { Logger } from 'pino';

import type { AppConfig } from '../config/config.js';
import type { CaseSnapshot } from '../llm/case-data.js';

/** A finished case as the archive keeps it: the snapshot and its reports, keyed by the case id. */
export interface ArchivedCase extends CaseSnapshot {
  _id: string;
  archivedAt: string;
  /** Every report version, oldest first: the structured one, then any narrative. */
  reports: { generator: string; markdown: string; createdAt: string }[];
}

export type ArchiveErrorCode =
  /** CouchDB could not be reached, timed out or answered 5xx, after every retry. */
  | 'ARCHIVE_UNAVAILABLE'
  /** CouchDB refused the request: credentials, permissions, an invalid id or database name. */
  | 'ARCHIVE_REJECTED'
  /** Other writers kept changing the document between our read and our write. */
  | 'ARCHIVE_CONFLICT'
  | 'ARCHIVE_ABORTED';

export type ArchiveResult =
  | { ok: true; rev: string }
  | { ok: false; error: { code: ArchiveErrorCode; message: string; status?: number } };

export class ArchiveError extends Error {
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ArchiveError';
  }
}

export interface StoreOptions {
  signal?: AbortSignal;
  /** Throw an `ArchiveError` instead of resolving `{ ok: false }`. */
  throwOnError?: boolean;
}

export interface CaseArchive {
  readonly database: string;
  /**
   * Creates or replaces the case's document (creating the database when missing). Retries while
   * CouchDB is unreachable; resolves `{ ok: false, error }` once it gives up, unless asked to throw.
   */
  store(doc: ArchivedCase, options?: StoreOptions): Promise<ArchiveResult>;
  /** The archived document, or undefined when there is none. */
  load(
    caseId: string,
    signal?: AbortSignal,
  ): Promise<(ArchivedCase & { _rev: string }) | undefined>;
  /** Whether CouchDB answers and accepts our credentials. Never throws. */
  health(signal?: AbortSignal): Promise<{ ok: boolean; detail?: string }>;
}

export interface CaseArchiveOptions {
  /** Tries per `store` while CouchDB is unreachable; default 4. */
  attempts?: number;
  /** First delay between tries, doubled each time up to `maxDelayMs`; default 500 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Deadline of one HTTP request; default 10 s. */
  requestTimeoutMs?: number;
  /** Re-reads of the current revision after a 409 before giving up; default 5. */
  conflictRetries?: number;
}

/** CouchDB's rule for database names. */
const DB_NAME = /^[a-z][a-z0-9_$()+/-]*$/;

/** The archive, or undefined when COUCHDB_URL is not set. Throws on an invalid COUCHDB_DB. */
export function createCaseArchive(
  config: Pick<AppConfig, 'COUCHDB_URL' | 'COUCHDB_USER' | 'COUCHDB_PASS' | 'COUCHDB_DB'>,
  log: Logger,
  options: CaseArchiveOptions = {},
): CaseArchive | undefined {
  if (!config.COUCHDB_URL) return undefined;
  const database = config.COUCHDB_DB;
  if (!DB_NAME.test(database)) {
    throw new ArchiveError(
      'ARCHIVE_REJECTED',
      `COUCHDB_DB "${database}" is not a valid CouchDB name`,
    );
  }

  // Credentials travel only in a header, so no URL we log or report can carry them.
  const parsed = new URL(config.COUCHDB_URL);
  const user = config.COUCHDB_USER ?? (decodeURIComponent(parsed.username) || undefined);
  const pass = config.COUCHDB_PASS ?? (decodeURIComponent(parsed.password) || undefined);
  parsed.username = '';
  parsed.password = '';
  const url = `${parsed.origin}${parsed.pathname}`;
  const headers: Record<string, string> = {};
  if (user !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${user}:${pass ?? ''}`).toString('base64')}`;
  }

  const couch = nano({ url, headers });
  const settings = {
    attempts: options.attempts ?? 4,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 8000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    conflictRetries: options.conflictRetries ?? 5,
  };
  const archiveLog = log.child({ component: 'archive', couchdb: url, database });
  return new CouchCaseArchive(couch, database, settings, archiveLog);
}

/** What nano rejects with: `statusCode` and `error` for an HTTP answer, neither for a socket error. */
interface CouchFailure {
  statusCode?: number;
  error?: string;
  reason?: string;
  message?: string;
}

class CouchCaseArchive implements CaseArchive {
  constructor(
    private readonly couch: ServerScope,
    readonly database: string,
    private readonly settings: Required<CaseArchiveOptions>,
    private readonly log: Logger,
  ) {}

  async store(doc: ArchivedCase, options: StoreOptions = {}): Promise<ArchiveResult> {
    const result = await this.storeWithRetries(doc, options.signal);
    if (!result.ok) {
      this.log.error({ caseId: doc._id, failure: result.error }, 'case archive failed');
      if (options.throwOnError) {
        throw new ArchiveError(result.error.code, result.error.message, result.error.status);
      }
    }
    return result;
  }

  private async storeWithRetries(doc: ArchivedCase, signal?: AbortSignal): Promise<ArchiveResult> {
    const { attempts, baseDelayMs, maxDelayMs } = this.settings;
    for (let attempt = 1; ; attempt++) {
      try {
        const rev = await this.write(doc, signal);
        this.log.info({ caseId: doc._id, rev, attempt }, 'case archived');
        return { ok: true, rev };
      } catch (err) {
        const failure = describeFailure(err, signal);
        const transient = failure.code === 'ARCHIVE_UNAVAILABLE';
        if (!transient || attempt >= attempts) return { ok: false, error: failure };

        const delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        this.log.warn({ caseId: doc._id, attempt, delayMs, failure }, 'case archive retry');
        try {
          await sleep(delayMs, undefined, { signal });
        } catch {
          return {
            ok: false,
            error: { code: 'ARCHIVE_ABORTED', message: 'archiving was aborted' },
          };
        }
      }
    }
  }

  /** One write: PUT, creating the database on 404 and re-reading the revision on 409. */
  private async write(doc: ArchivedCase, signal?: AbortSignal): Promise<string> {
    // Revisions are ours to manage: a caller's stale `_rev` would only cause a conflict.
    const body: Record<string, unknown> = { ...doc };
    delete body._rev;
    let rev: string | undefined;
    let createdDb = false;

    for (let conflicts = 0; ;) {
      try {
        const answer = (await this.request(
          {
            db: this.database,
            doc: doc._id,
            method: 'PUT',
            body: rev ? { ...body, _rev: rev } : body,
          },
          signal,
        )) as { rev: string };
        return answer.rev;
      } catch (err) {
        const failure = err as CouchFailure;
        // CouchDB and pouchdb-server word a missing database differently; both answer 404.
        if (failure.statusCode === 404 && !createdDb) {
          await this.createDatabase(signal);
          createdDb = true;
          continue;
        }
        if (failure.statusCode === 409 && conflicts < this.settings.conflictRetries) {
          conflicts++;
          rev = await this.currentRev(doc._id, signal);
          continue;
        }
        throw err;
      }
    }
  }

  private async createDatabase(signal?: AbortSignal): Promise<void> {
    try {
      await this.request({ db: this.database, method: 'PUT' }, signal);
      this.log.info({}, 'archive database created');
    } catch (err) {
      // 412 file_exists: another writer created it between our 404 and now.
      if ((err as CouchFailure).statusCode !== 412) throw err;
    }
  }

  private async currentRev(id: string, signal?: AbortSignal): Promise<string | undefined> {
    const current = await this.load(id, signal);
    return current?._rev;
  }

  async load(id: string, signal?: AbortSignal) {
    try {
      return (await this.request({ db: this.database, doc: id }, signal)) as ArchivedCase & {
        _rev: string;
      };
    } catch (err) {
      if ((err as CouchFailure).statusCode === 404) return undefined;
      throw err;
    }
  }

  async health(signal?: AbortSignal): Promise<{ ok: boolean; detail?: string }> {
    try {
      await this.request({ path: '' }, signal);
    } catch (err) {
      return { ok: false, detail: describeFailure(err, signal).message };
    }
    try {
      await this.request({ db: this.database }, signal);
      return { ok: true };
    } catch (err) {
      // A missing database is fine: the first store creates it.
      if ((err as CouchFailure).statusCode === 404) {
        return { ok: true, detail: `database ${this.database} will be created on first use` };
      }
      return { ok: false, detail: describeFailure(err, signal).message };
    }
  }

  /** nano's request with a per-request deadline; nano passes `signal` through to fetch. */
  private request(options: RequestOptions, signal?: AbortSignal): Promise<unknown> {
    const deadline = AbortSignal.timeout(this.settings.requestTimeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    return this.couch.request({ ...options, signal: combined } as RequestOptions);
  }
}

function describeFailure(
  err: unknown,
  signal?: AbortSignal,
): { code: ArchiveErrorCode; message: string; status?: number } {
  if (signal?.aborted) return { code: 'ARCHIVE_ABORTED', message: 'archiving was aborted' };

  const failure = err as CouchFailure;
  const status = failure.statusCode;
  if (status === undefined) {
    // nano's connection errors carry no URL; keep the message short all the same.
    const reason = (failure.message ?? String(err)).slice(0, 200);
    return { code: 'ARCHIVE_UNAVAILABLE', message: `CouchDB could not be reached: ${reason}` };
  }

  const what = [failure.error, failure.reason].filter(Boolean).join(': ') || 'no details';
  if (status === 409) {
    return { code: 'ARCHIVE_CONFLICT', message: `the document kept changing (${what})`, status };
  }
  if (status === 408 || status === 429 || status >= 500) {
    return { code: 'ARCHIVE_UNAVAILABLE', message: `CouchDB answered ${status} (${what})`, status };
  }
  return {
    code: 'ARCHIVE_REJECTED',
    message: `CouchDB refused the request: ${status} ${what}`,
    status,
  };
}

import type { Logger } from 'pino';

import type { AppConfig } from '../../config/config.js';
import {
  HttpError,
  httpClientFor,
  type HttpClient,
  type HttpRequestOptions,
} from '../../http/client.js';
import { ToolError, type TargetKind } from '../tool.js';

export const SERVICE = 'intelowl';

/** Job states after which nothing changes. */
export const FINAL_JOB_STATUSES = new Set([
  'reported_without_fails',
  'reported_with_fails',
  'killed',
  'failed',
]);

export interface AnalyzerReport {
  name: string;
  status: string;
  errors?: unknown;
  report?: unknown;
}

/** The fields of `GET /api/jobs/{id}` the run reads; the parser reads the rest. */
export interface IntelowlJob {
  id?: number;
  status: string;
  analyzer_reports?: AnalyzerReport[];
  errors?: unknown;
  [key: string]: unknown;
}

export interface AnalyzeRequest {
  observable_name: string;
  observable_classification: 'domain' | 'ip' | 'generic';
  analyzers_requested?: string[];
  playbook_requested?: string;
  tlp?: string;
  scan_mode?: number;
}

/** IntelOwl has no e-mail class: addresses are `generic` observables. */
export function classificationFor(kind: TargetKind): AnalyzeRequest['observable_classification'] {
  if (kind === 'DOMAIN') return 'domain';
  if (kind === 'IP') return 'ip';
  return 'generic';
}

/** IntelOwl's REST API (`/api/…`, no trailing slashes, `Authorization: Token KEY`). */
export class IntelOwlApi {
  private readonly client: HttpClient;
  private readonly base: URL;
  private readonly token: string;

  constructor(
    config: AppConfig,
    private readonly log?: Logger,
  ) {
    if (!config.INTELOWL_URL) throw new ToolError('INTELOWL_URL is not set');
    if (!config.INTELOWL_API_KEY) throw new ToolError('INTELOWL_API_KEY is not set');

    this.client = httpClientFor(config);
    const base = config.INTELOWL_URL;
    this.base = new URL(base.endsWith('/') ? base : `${base}/`);
    this.token = config.INTELOWL_API_KEY;
  }

  /** A one-item job list: proves the server answers and the key is accepted. */
  async checkAccess(signal: AbortSignal, timeoutMs: number): Promise<void> {
    await this.call('api/jobs?page_size=1', { signal, timeoutMs, retries: 0 });
  }

  /** Creates the job; IntelOwl answers 200 with its ID even when it reuses a recent job. */
  async analyze(request: AnalyzeRequest, signal: AbortSignal) {
    const res = await this.call('api/analyze_observable', {
      method: 'POST',
      json: request,
      signal,
    });
    const body = res.data as { job_id?: unknown; warnings?: unknown; analyzers_running?: unknown };
    if (typeof body?.job_id !== 'number') {
      throw new ToolError('IntelOwl answered the job request without a job_id');
    }
    return {
      jobId: body.job_id,
      warnings: stringList(body.warnings),
      analyzers: stringList(body.analyzers_running),
    };
  }

  /** The job, or undefined when it does not exist or is not visible to this key (404). */
  async job(id: number, signal: AbortSignal): Promise<IntelowlJob | undefined> {
    const res = await this.call(`api/jobs/${id}`, { signal, allowStatus: [404] });
    if (res.status === 404) return undefined;

    const job = res.data as IntelowlJob;
    if (typeof job?.status !== 'string')
      throw new ToolError('IntelOwl answered a job without a status');
    return job;
  }

  /** Kills a running job; one already final (400) or gone (404) needs nothing. */
  async kill(id: number, signal: AbortSignal): Promise<void> {
    await this.call(`api/jobs/${id}/kill`, {
      method: 'PATCH',
      signal,
      retries: 1,
      timeoutMs: 10_000,
      allowStatus: [400, 404],
      // Killing twice is harmless, so a lost answer may be retried.
      idempotent: true,
      expectJson: false,
    });
  }

  private async call(
    path: string,
    opts: Omit<HttpRequestOptions, 'service' | 'headers'> & { expectJson?: boolean },
  ) {
    const { expectJson = true, ...rest } = opts;
    const request: HttpRequestOptions = {
      ...rest,
      service: SERVICE,
      log: this.log,
      headers: { authorization: `Token ${this.token}`, accept: 'application/json' },
    };
    try {
      const url = new URL(path, this.base);
      if (!expectJson) return { ...(await this.client.fetchText(url, request)), data: undefined };
      return await this.client.fetchJson(url, request);
    } catch (err) {
      throw explainFailure(err);
    }
  }
}

/** IntelOwl's refusals, in words the analyst can act on. */
export function explainFailure(err: unknown): unknown {
  if (!(err instanceof HttpError)) return err;

  if (err.status === 401 || err.status === 403) {
    return new ToolError(`IntelOwl rejected INTELOWL_API_KEY (HTTP ${err.status})`, { cause: err });
  }
  if (err.status === 400) {
    const detail = errorDetail(err.bodyText);
    const hint = /No Analyzers/i.test(detail)
      ? ' (name analyzers or a playbook in the options)'
      : '';
    return new ToolError(`IntelOwl refused the job: ${detail}${hint}`, { cause: err });
  }
  const transient = err.code !== 'HTTP_ERROR' || (err.status ?? 0) >= 500 || err.status === 429;
  return new ToolError(err.message, { cause: err, retryable: transient });
}

/** Text of IntelOwl's error bodies: `{"errors": {field: [msg]}}` (400) or `{"detail": msg}`. */
function errorDetail(body: string | undefined): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return 'HTTP 400';
  }
  const root = parsed as { errors?: unknown; detail?: unknown };
  const texts = flatten(root.errors ?? root.detail ?? parsed);
  // One line: IntelOwl puts a newline between its message and the per-plugin reasons.
  const text = texts.join('; ').replace(/\s*\n\s*/g, ' ');
  return text === '' ? 'HTTP 400' : text.slice(0, 500);
}

function flatten(value: unknown, key?: string): string[] {
  if (typeof value === 'string') return [key && key !== 'detail' ? `${key}: ${value}` : value];
  if (Array.isArray(value)) return value.flatMap((v) => flatten(v, key));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => flatten(v, k));
  }
  return [];
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

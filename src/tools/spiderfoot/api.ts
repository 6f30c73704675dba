import type { Logger } from 'pino';

import type { AppConfig } from '../../config/config.js';
import { httpClientFor, type HttpClient, type HttpTextResponse } from '../../http/client.js';
import { DigestSession, type DigestCredentials } from '../../http/digest-auth.js';
import { ToolError } from '../tool.js';
import { unescapeHtml } from './parse-json.js';

export const SERVICE = 'spiderfoot';

/** Final scan states; `ABORT-REQUESTED` counts too because nothing more will come of it. */
export const FINAL_STATUSES = new Set(['FINISHED', 'ABORTED', 'ERROR-FAILED', 'ABORT-REQUESTED']);

/** `/scanstatus` answer: `[name, target, created, started, ended, status, riskmatrix?]`. */
export interface ScanStatus {
  name: string;
  target: string;
  status: string;
}

export interface StartScanInput {
  scanName: string;
  scanTarget: string;
  modules: string[];
  eventTypes: string[];
  usecase: string;
}

interface CallOptions {
  method?: 'GET' | 'POST';
  query?: Record<string, string>;
  form?: Record<string, string>;
  signal: AbortSignal;
  timeoutMs?: number;
  retries?: number;
  followRedirects?: boolean;
  allowStatus?: number[];
}

/**
 * `SPIDERFOOT_API_KEY` holds `user:password` of SpiderFoot's passwd file: the server has no API
 * keys, only HTTP Digest logins. Undefined when unset; an error text when it has no colon.
 */
export function spiderfootCredentials(config: AppConfig): DigestCredentials | string | undefined {
  const key = config.SPIDERFOOT_API_KEY;
  if (!key) return undefined;

  const colon = key.indexOf(':');
  if (colon <= 0)
    return 'SPIDERFOOT_API_KEY must be user:password (SpiderFoot uses HTTP Digest logins)';
  return { username: key.slice(0, colon), password: key.slice(colon + 1) };
}

/** SpiderFoot's web API (CherryPy `sfwebui`): the few endpoints a scan needs. */
export class SpiderFootApi {
  private readonly client: HttpClient;
  private readonly base: URL;
  private readonly digest?: DigestSession;

  constructor(
    config: AppConfig,
    private readonly log?: Logger,
  ) {
    if (!config.SPIDERFOOT_URL) throw new ToolError('SPIDERFOOT_URL is not set');
    const credentials = spiderfootCredentials(config);
    if (typeof credentials === 'string') throw new ToolError(credentials);

    this.client = httpClientFor(config);
    // A configured web root prefixes every path, so paths are resolved under it.
    const base = config.SPIDERFOOT_URL;
    this.base = new URL(base.endsWith('/') ? base : `${base}/`);
    this.digest = credentials ? new DigestSession(credentials) : undefined;
  }

  /** `["SUCCESS", "4.0.0"]` from a server that answers; the version. */
  async ping(signal: AbortSignal, timeoutMs: number): Promise<string> {
    const res = await this.call('ping', { signal, timeoutMs, retries: 0 });
    const body = parseJson(res.text);
    if (!Array.isArray(body) || body[0] !== 'SUCCESS') {
      throw new ToolError('SpiderFoot /ping answered something other than SUCCESS');
    }
    return String(body[1] ?? 'unknown');
  }

  /** Starts a scan and returns its ID. */
  async startScan(input: StartScanInput, signal: AbortSignal): Promise<string> {
    const res = await this.call('startscan', {
      method: 'POST',
      signal,
      // The handler answers only once the scan process has written its row: slow by design.
      timeoutMs: 120_000,
      followRedirects: false,
      form: {
        scanname: input.scanName,
        scantarget: input.scanTarget,
        modulelist: input.modules.join(','),
        typelist: input.eventTypes.join(','),
        usecase: input.usecase,
      },
    });
    return scanIdFromStart(res);
  }

  /** The scan's state, or undefined when SpiderFoot does not know the ID. */
  async scanStatus(id: string, signal: AbortSignal): Promise<ScanStatus | undefined> {
    const res = await this.call('scanstatus', { query: { id }, signal });
    const row = parseJson(res.text);
    if (!Array.isArray(row))
      throw new ToolError('SpiderFoot /scanstatus answered an unexpected shape');
    if (row.length === 0) return undefined;
    return { name: String(row[0]), target: String(row[1]), status: String(row[5]) };
  }

  /** The scan's results as SpiderFoot's own CSV export (`Updated,Type,Module,Source,F/P,Data`). */
  async exportCsv(id: string, signal: AbortSignal): Promise<string> {
    const query = { id, type: 'ALL', filetype: 'csv' };
    const res = await this.call('scaneventresultexport', { query, signal, timeoutMs: 120_000 });
    return res.text;
  }

  /** The newest error log lines of a scan: `[generated, component, message]` rows. */
  async scanErrors(id: string, limit: number, signal: AbortSignal): Promise<string[]> {
    const res = await this.call('scanerrors', {
      query: { id, limit: String(limit) },
      signal,
      retries: 0,
    });
    const rows = parseJson(res.text);
    if (!Array.isArray(rows)) return [];
    return rows
      .filter(Array.isArray)
      .map((row) => `${String(row[1])}: ${unescapeHtml(String(row[2]))}`);
  }

  /** IDs of scans with this name (to find a scan whose start answer never arrived). */
  async scanIdsByName(name: string, signal: AbortSignal): Promise<string[]> {
    const res = await this.call('scanlist', { signal, retries: 0, timeoutMs: 10_000 });
    const rows = parseJson(res.text);
    if (!Array.isArray(rows)) return [];
    return rows.filter((row) => Array.isArray(row) && row[1] === name).map((row) => String(row[0]));
  }

  /** Asks the scan to stop. A scan that already ended (400) or vanished (404) is fine. */
  async stopScan(id: string, signal: AbortSignal): Promise<void> {
    await this.call('stopscan', {
      query: { id },
      signal,
      retries: 1,
      timeoutMs: 10_000,
      allowStatus: [400, 404],
    });
  }

  /** One call, answering SpiderFoot's Digest challenge when it sends one. */
  private async call(path: string, opts: CallOptions): Promise<HttpTextResponse> {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(opts.query ?? {})) url.searchParams.set(name, value);
    const method = opts.method ?? 'GET';

    for (let challenged = false; ; challenged = true) {
      const headers: Record<string, string> = { accept: 'application/json' };
      const auth = this.digest?.authorize(method, `${url.pathname}${url.search}`);
      if (auth) headers.authorization = auth;

      const res = await this.client.fetchText(url, {
        method,
        headers,
        body: opts.form ? new URLSearchParams(opts.form) : undefined,
        signal: opts.signal,
        service: SERVICE,
        timeoutMs: opts.timeoutMs,
        retries: opts.retries,
        followRedirects: opts.followRedirects,
        allowStatus: [401, ...(opts.allowStatus ?? [])],
        log: this.log,
      });
      if (res.status !== 401) return res;

      if (!this.digest) {
        throw new ToolError('SpiderFoot asks for a login: set SPIDERFOOT_API_KEY to user:password');
      }
      // A first 401 brings the challenge (or a fresh nonce); a second means wrong credentials.
      const gotChallenge = this.digest.accept(res.headers['www-authenticate']);
      if (challenged || !gotChallenge) {
        throw new ToolError('SpiderFoot rejected the login in SPIDERFOOT_API_KEY (HTTP 401)');
      }
    }
  }
}

/**
 * The scan ID from `/startscan`: `["SUCCESS", ID]` when JSON was honoured, a redirect to
 * `scaninfo?id=ID` from servers that ignore the Accept header, `["ERROR", text]` or an HTML page
 * when the scan was refused.
 */
export function scanIdFromStart(res: HttpTextResponse): string {
  if (res.status >= 300 && res.status < 400) {
    const id = new URL(res.headers.location ?? '', 'http://x/').searchParams.get('id');
    if (id && validScanId(id)) return id;
    throw new ToolError(`SpiderFoot answered the scan start with a redirect without a scan ID`);
  }

  const body = tryJson(res.text);
  if (
    Array.isArray(body) &&
    body[0] === 'SUCCESS' &&
    typeof body[1] === 'string' &&
    validScanId(body[1])
  ) {
    return body[1];
  }
  if (Array.isArray(body) && body[0] === 'ERROR') {
    throw new ToolError(`SpiderFoot refused the scan: ${String(body[1])}`);
  }
  throw new ToolError(`SpiderFoot refused the scan: ${htmlMessage(res.text)}`);
}

function validScanId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

function parseJson(text: string): unknown {
  const value = tryJson(text);
  if (value === undefined) throw new ToolError('SpiderFoot answered a body that is not JSON');
  return value;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The readable text of SpiderFoot's HTML error page, bounded. */
function htmlMessage(html: string): string {
  const text = unescapeHtml(
    html
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  return text === '' ? 'an empty page' : text.slice(0, 300);
}

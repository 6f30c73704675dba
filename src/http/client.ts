import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

import type { Logger } from 'pino';
import { Agent, request as undiciRequest } from 'undici';

import type { AppConfig } from '../config/config.js';
import { backoffDelay, parseRetryAfter } from './backoff.js';
import { BodyTooLargeError, decodeBody, readBodySnippet, readBodyText } from './body.js';
import { HttpError, type HttpErrorCode } from './errors.js';
import { classifyFailure } from './failures.js';
import { describeUrl, withoutUserInfo } from './redact.js';
import { abortReason, pauseService, sleep, waitForService } from './service-pauses.js';
import { USER_AGENT } from './user-agent.js';

export { HttpError, isHttpError, type HttpErrorCode } from './errors.js';

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | URLSearchParams;
  /** Sent as the JSON body, with `Content-Type: application/json`. */
  json?: unknown;
  /** Stops waiting, retrying and reading at once; the request rejects with `signal.reason`. */
  signal: AbortSignal;
  /** Per attempt, from sending until the body is read (buffered helpers) or consumed (streams). */
  timeoutMs?: number;
  /** Extra attempts after transient failures. */
  retries?: number;
  /** Names the service in messages and keys the shared 429 pause ('spiderfoot', 'searxng', …). */
  service: string;
  /** Default true. When false a 3xx answer is returned as is (its `location` header readable). */
  followRedirects?: boolean;
  /** Error statuses returned to the caller instead of thrown (e.g. [404] to test for absence). */
  allowStatus?: readonly number[];
  /** Overrides the method's idempotence, which decides whether timeouts and resets retry. */
  idempotent?: boolean;
  /** Largest body the buffered helpers read. */
  maxBodyBytes?: number;
  /** Retries and pauses are logged here at debug level. */
  log?: Logger;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The URL that answered (after redirects), without user info. */
  url: string;
  /** Reads the whole body (bounded by `maxBodyBytes`). */
  text(): Promise<string>;
  /** Reads and parses the body; a body that is not JSON is an `HttpError` (`HTTP_ERROR`). */
  json<T = unknown>(): Promise<T>;
  /** The decoded body stream, for callers that read it themselves. Read it or destroy it. */
  body: Readable;
}

export interface HttpTextResponse {
  status: number;
  headers: Record<string, string>;
  url: string;
  text: string;
}

export interface HttpJsonResponse<T> {
  status: number;
  headers: Record<string, string>;
  url: string;
  data: T;
}

export interface HttpClientSettings {
  /** PEM file of a private CA trusted in addition to the public roots. */
  caFile?: string;
  retries: number;
  timeoutMs: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Cap on any `Retry-After` honoured. */
  maxRetryAfterMs: number;
  /** Pause after a 429 that names no `Retry-After` (SearXNG's limiter sends none). */
  default429PauseMs: number;
  connectionsPerOrigin: number;
  maxBodyBytes: number;
}

export const defaultHttpSettings: HttpClientSettings = {
  retries: 2,
  timeoutMs: 30_000,
  baseBackoffMs: 300,
  maxBackoffMs: 5_000,
  maxRetryAfterMs: 60_000,
  default429PauseMs: 2_000,
  connectionsPerOrigin: 8,
  maxBodyBytes: 32 * 1024 * 1024,
};

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/** Headers that may follow a redirect to another origin; credentials never do. */
const CROSS_ORIGIN_HEADERS = new Set([
  'accept',
  'accept-language',
  'accept-encoding',
  'user-agent',
]);

/** An answer as one attempt got it, before the status is judged. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  url: URL;
  body: Readable;
  text?: string;
  /** Whether this attempt's timer fired (a streamed body can still be cut off by it). */
  timedOut?: () => boolean;
}

/** Marks an attempt ended by its own timer, as opposed to the caller's signal. */
class AttemptTimeout extends Error {}

interface Request {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  opts: HttpRequestOptions;
  timeoutMs: number;
  buffered: boolean;
}

/**
 * Pooled HTTP client for every tool that calls an HTTP service. TLS is always verified; the
 * only trust setting is an extra CA. Transient failures retry with backoff, a 429 pauses the
 * service for everyone, and every final failure is an `HttpError` with a redacted message.
 */
export class HttpClient {
  readonly settings: HttpClientSettings;
  private readonly agent: Agent;

  constructor(settings: Partial<HttpClientSettings> = {}) {
    this.settings = { ...defaultHttpSettings, ...settings };
    const ca = trustedCertificates(this.settings.caFile);

    this.agent = new Agent({
      connections: this.settings.connectionsPerOrigin,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      // The client's own per-attempt timer rules; undici's would cut long polls short.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { ca, rejectUnauthorized: true, timeout: 10_000 },
    });
  }

  /** One request; the body stays a stream (read it with `text()`/`json()` or from `body`). */
  async request(url: string | URL, opts: HttpRequestOptions): Promise<HttpResponse> {
    const req = this.prepare(url, opts, false);
    const answer = await this.send(req);
    return this.streamingResponse(req, answer);
  }

  /** A request whose body is read inside the attempt, so a body cut off is retried too. */
  async fetchText(url: string | URL, opts: HttpRequestOptions): Promise<HttpTextResponse> {
    const req = this.prepare(url, opts, true);
    const answer = await this.send(req);
    return {
      status: answer.status,
      headers: answer.headers,
      url: answer.url.href,
      text: answer.text ?? '',
    };
  }

  /** Like `fetchText`, parsing the body as JSON (`Accept: application/json` unless given). */
  async fetchJson<T = unknown>(
    url: string | URL,
    opts: HttpRequestOptions,
  ): Promise<HttpJsonResponse<T>> {
    const headers = { accept: 'application/json', ...opts.headers };
    const req = this.prepare(url, { ...opts, headers }, true);
    const answer = await this.send(req);
    const data = parseJson<T>(answer.text ?? '', req);
    return { status: answer.status, headers: answer.headers, url: answer.url.href, data };
  }

  /** GET and parse JSON: the common case. */
  async getJson<T = unknown>(url: string | URL, opts: HttpRequestOptions): Promise<T> {
    const res = await this.fetchJson<T>(url, { ...opts, method: 'GET' });
    return res.data;
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private prepare(input: string | URL, opts: HttpRequestOptions, buffered: boolean): Request {
    const url = withoutUserInfo(new URL(input));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(opts.headers ?? {}))
      headers[name.toLowerCase()] = value;

    let body: string | Uint8Array | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    } else if (opts.body instanceof URLSearchParams) {
      body = opts.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else {
      body = opts.body;
    }
    headers['user-agent'] = USER_AGENT;

    const method = (opts.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
    const timeoutMs = opts.timeoutMs ?? this.settings.timeoutMs;
    return { url, method, headers, body, opts, timeoutMs, buffered };
  }

  /** The retry loop: waits out pauses, classifies failures and statuses, backs off. */
  private async send(req: Request): Promise<RawAnswer> {
    const { opts } = req;
    const retries = opts.retries ?? this.settings.retries;
    const idempotent = opts.idempotent ?? IDEMPOTENT_METHODS.has(req.method);

    for (let attempt = 1; ; attempt++) {
      // An abort listener never fires for a signal that is already aborted: check first.
      if (opts.signal.aborted) throw abortReason(opts.signal);
      await waitForService(opts.service, opts.signal);
      const canRetry = attempt <= retries;

      let answer: RawAnswer;
      try {
        answer = await this.attempt(req);
      } catch (err) {
        if (opts.signal.aborted) throw abortReason(opts.signal);
        if (err instanceof HttpError) throw err;

        const failure = this.describeFailure(err, req);
        const retryable = failure.retryAlways || (idempotent && failure.retryIdempotent);
        if (!canRetry || !retryable) throw this.failureError(req, failure, attempt, err);

        await this.backOff(req, attempt, undefined, failure.detail);
        continue;
      }

      const { status } = answer;
      if (status === 429) {
        const pauseMs =
          parseRetryAfter(answer.headers['retry-after'], this.settings.maxRetryAfterMs) ??
          this.settings.default429PauseMs;
        pauseService(opts.service, pauseMs);
        opts.log?.debug({ service: opts.service, pauseMs }, 'service asked to slow down');
      }

      if (isRetryableStatus(status, idempotent) && canRetry) {
        await discard(answer);
        const retryAfter = parseRetryAfter(
          answer.headers['retry-after'],
          this.settings.maxRetryAfterMs,
        );
        // The 429 pause is already waited out at the top of the loop.
        await this.backOff(req, attempt, status === 429 ? 0 : retryAfter, `HTTP ${status}`);
        continue;
      }

      const wanted = status < 400 || (opts.allowStatus ?? []).includes(status);
      if (!wanted) throw await this.statusError(req, answer, attempt);
      return answer;
    }
  }

  /** One exchange, following redirects, with its own timer tied to the caller's signal. */
  private async attempt(req: Request): Promise<RawAnswer> {
    const { opts } = req;
    const controller = new AbortController();
    let timedOut = false;
    const forward = () => controller.abort(opts.signal.reason);
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new AttemptTimeout('attempt timed out'));
    }, req.timeoutMs);
    opts.signal.addEventListener('abort', forward, { once: true });
    const finish = () => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', forward);
    };

    try {
      const answer = await this.exchange(req, controller.signal);
      if (req.buffered) {
        answer.text = await readBodyText(
          answer.body,
          opts.maxBodyBytes ?? this.settings.maxBodyBytes,
        );
        finish();
      } else {
        // A streamed body keeps the timer until it ends, so a stalled body still times out.
        answer.body.once('close', finish);
        answer.timedOut = () => timedOut;
      }
      return answer;
    } catch (err) {
      finish();
      if (err instanceof BodyTooLargeError) throw this.tooLargeError(req, err);
      if (timedOut && !opts.signal.aborted)
        throw new AttemptTimeout('attempt timed out', { cause: err });
      throw err;
    }
  }

  private async exchange(req: Request, signal: AbortSignal): Promise<RawAnswer> {
    let url = req.url;
    let method = req.method;
    let headers = req.headers;
    let body = req.body;

    for (let hop = 0; ; hop++) {
      const res = await undiciRequest(url, {
        dispatcher: this.agent,
        method: method as 'GET',
        headers,
        body,
        signal,
      });
      const resHeaders = flattenHeaders(res.headers);
      const location = resHeaders.location;
      const follow = req.opts.followRedirects ?? true;

      if (!follow || !REDIRECTS.has(res.statusCode) || !location) {
        const decoded = decodeBody(res.body, resHeaders['content-encoding']);
        return { status: res.statusCode, headers: resHeaders, url, body: decoded };
      }

      await res.body.dump();
      if (hop >= MAX_REDIRECTS) {
        throw new HttpError(
          `${req.opts.service}: ${req.method} ${describeUrl(req.url)} redirected more than ${MAX_REDIRECTS} times`,
          {
            code: 'HTTP_ERROR',
            service: req.opts.service,
            method: req.method,
            location: describeUrl(req.url),
            status: res.statusCode,
            attempts: 1,
          },
        );
      }

      const next = withoutUserInfo(new URL(location, url));
      if (next.origin !== url.origin) headers = crossOriginHeaders(headers);
      // 303 always, and 301/302 after a POST, turn into a GET as browsers do.
      if (
        res.statusCode === 303 ||
        ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')
      ) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        headers = withoutBodyHeaders(headers);
      }
      url = next;
    }
  }

  private streamingResponse(req: Request, answer: RawAnswer): HttpResponse {
    const limit = req.opts.maxBodyBytes ?? this.settings.maxBodyBytes;
    const read = async () => {
      try {
        return await readBodyText(answer.body, limit);
      } catch (err) {
        if (req.opts.signal.aborted) throw abortReason(req.opts.signal);
        if (err instanceof BodyTooLargeError) throw this.tooLargeError(req, err);
        const timedOut = answer.timedOut?.() === true;
        const failure = this.describeFailure(timedOut ? new AttemptTimeout('timed out') : err, req);
        throw this.failureError(req, failure, 1, err);
      }
    };

    return {
      status: answer.status,
      headers: answer.headers,
      url: answer.url.href,
      body: answer.body,
      text: read,
      json: async <T>() => parseJson<T>(await read(), req),
    };
  }

  private describeFailure(err: unknown, req: Request) {
    if (err instanceof AttemptTimeout) {
      return {
        code: 'HTTP_TIMEOUT' as HttpErrorCode,
        detail: `timed out after ${req.timeoutMs} ms`,
        retryAlways: false,
        retryIdempotent: true,
      };
    }
    return classifyFailure(err);
  }

  private async backOff(req: Request, attempt: number, hintMs: number | undefined, why: string) {
    const delayMs =
      hintMs ?? backoffDelay(attempt, this.settings.baseBackoffMs, this.settings.maxBackoffMs);
    req.opts.log?.debug(
      {
        service: req.opts.service,
        method: req.method,
        url: describeUrl(req.url),
        attempt,
        delayMs,
        why,
      },
      'retrying request',
    );
    await sleep(delayMs, req.opts.signal);
  }

  private failureError(
    req: Request,
    failure: { code: HttpErrorCode; detail: string },
    attempts: number,
    cause: unknown,
  ) {
    const where = `${req.method} ${describeUrl(req.url)}`;
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    const verb = failure.code === 'HTTP_TIMEOUT' ? '' : 'failed: ';
    return new HttpError(`${req.opts.service}: ${where} ${verb}${failure.detail}${tries}`, {
      code: failure.code,
      service: req.opts.service,
      method: req.method,
      location: describeUrl(req.url),
      attempts,
      cause,
    });
  }

  private async statusError(req: Request, answer: RawAnswer, attempts: number): Promise<HttpError> {
    const bodyText = answer.text?.slice(0, 4096) ?? (await readBodySnippet(answer.body));
    const where = `${req.method} ${describeUrl(answer.url)}`;
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    const limited = answer.status === 429 ? ', rate limited' : '';
    return new HttpError(
      `${req.opts.service}: ${where} answered HTTP ${answer.status}${limited}${tries}`,
      {
        code: 'HTTP_ERROR',
        service: req.opts.service,
        method: req.method,
        location: describeUrl(answer.url),
        status: answer.status,
        bodyText,
        attempts,
      },
    );
  }

  private tooLargeError(req: Request, err: BodyTooLargeError) {
    return new HttpError(
      `${req.opts.service}: ${req.method} ${describeUrl(req.url)} answered a ${err.message}`,
      {
        code: 'HTTP_ERROR',
        service: req.opts.service,
        method: req.method,
        location: describeUrl(req.url),
        attempts: 1,
      },
    );
  }
}

/**
 * The process-wide client for this configuration, one per CA file so connections are pooled
 * across every tool run.
 */
export function httpClientFor(config: AppConfig): HttpClient {
  const key = config.TLS_CA_FILE ?? '';
  let client = clients.get(key);
  if (!client) {
    client = new HttpClient({ caFile: config.TLS_CA_FILE });
    clients.set(key, client);
  }
  return client;
}

const clients = new Map<string, HttpClient>();

/** Closes every memoised client (shutdown, tests). */
export async function closeHttpClients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((c) => c.close()));
}

/**
 * The CA list for TLS: undefined (Node's public roots) without a CA file, else the public roots
 * plus that file, since setting `ca` alone would replace the roots instead of adding to them.
 */
export function trustedCertificates(caFile: string | undefined): string[] | undefined {
  return caFile ? [...rootCertificates, readCa(caFile)] : undefined;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new Error(`TLS_CA_FILE ${path} cannot be read (${code})`, { cause: err });
  }
}

function isRetryableStatus(status: number, idempotent: boolean): boolean {
  if (status === 429 || status === 502 || status === 503 || status === 504) return true;
  // Another 5xx may have done the work before failing, so only idempotent requests repeat it.
  return status >= 500 && status <= 599 && idempotent;
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function crossOriginHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => CROSS_ORIGIN_HEADERS.has(name)),
  );
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name]) => name !== 'content-type' && name !== 'content-length',
    ),
  );
}

async function discard(answer: RawAnswer): Promise<void> {
  if (answer.text === undefined) await readBodySnippet(answer.body, 64 * 1024);
}

function parseJson<T>(text: string, req: Request): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new HttpError(
      `${req.opts.service}: ${req.method} ${describeUrl(req.url)} answered a body that is not JSON`,
      {
        code: 'HTTP_ERROR',
        service: req.opts.service,
        method: req.method,
        location: describeUrl(req.url),
        bodyText: text.slice(0, 4096),
        attempts: 1,
        cause: err,
      },
    );
  }
}

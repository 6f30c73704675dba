import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from 'pino';
import { type Dispatcher, fetch, type Response } from 'undici';

import { clip, LlmError } from './llm-error.js';

export interface HttpTimeouts {
  /** Longest wait for any byte: the response head, then each body chunk. */
  idleMs: number;
}

export interface StreamRequest {
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
  dispatcher: Dispatcher;
  timeouts: HttpTimeouts;
  /** Turns a non-2xx answer (status and at most 64 KiB of body text) into the error to throw. */
  errorFor(status: number, bodyText: string): LlmError;
}

const ERROR_BODY_MAX = 64 * 1024;

/**
 * POSTs a JSON body and yields the response body as decoded text pieces, as they arrive.
 * Each wait for bytes has its own idle timer, so a slow consumer never counts against the
 * server. When the caller aborts, the timer fires, or the consumer stops iterating, the request
 * is aborted, which closes the connection and so tells the server to stop generating.
 */
export async function* streamText(req: StreamRequest): AsyncGenerator<string> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, req.timeouts.idleMs);
  };
  const disarm = () => clearTimeout(timer);
  const onAbort = () => controller.abort();
  req.signal.addEventListener('abort', onAbort, { once: true });
  if (req.signal.aborted) controller.abort();

  const fail = (err: unknown, phase: 'connect' | 'read') =>
    classifyTransportError(err, phase, {
      provider: req.provider,
      aborted: req.signal.aborted,
      timedOut,
      idleMs: req.timeouts.idleMs,
    });

  let finished = false;
  try {
    arm();
    const response = await fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: JSON.stringify(req.body),
      signal: controller.signal,
      dispatcher: req.dispatcher,
    }).catch((err: unknown) => {
      throw fail(err, 'connect');
    });
    disarm();

    if (!response.ok) {
      arm();
      const text = await readCapped(response.body, ERROR_BODY_MAX).catch(() => '');
      disarm();
      throw req.errorFor(response.status, text);
    }
    if (!response.body) {
      throw new LlmError('LLM_STREAM_ERROR', 'the server sent no response body', {
        provider: req.provider,
      });
    }

    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      arm();
      const chunk = await reader.read().catch((err: unknown) => {
        throw fail(err, 'read');
      });
      disarm();
      if (chunk.done) break;
      const text = decoder.decode(chunk.value, { stream: true });
      if (text) yield text;
    }
    const tail = decoder.decode();
    if (tail) yield tail;
    finished = true;
  } finally {
    disarm();
    req.signal.removeEventListener('abort', onAbort);
    if (!finished) controller.abort();
  }
}

/** GETs a JSON document with a deadline; used by health checks. */
export async function getJson(
  url: string,
  options: {
    provider: string;
    headers: Record<string, string>;
    dispatcher: Dispatcher;
    signal?: AbortSignal;
    timeoutMs: number;
  },
): Promise<{ status: number; body: unknown; text: string }> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  try {
    const response = await fetch(url, {
      headers: options.headers,
      signal,
      dispatcher: options.dispatcher,
    });
    const text = await readCapped(response.body, 4 * 1024 * 1024);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: response.status, body, text };
  } catch (err) {
    throw classifyTransportError(err, 'connect', {
      provider: options.provider,
      aborted: options.signal?.aborted ?? false,
      timedOut: deadline.aborted,
      idleMs: options.timeoutMs,
    });
  }
}

export interface RetryOptions {
  /** Further attempts after the first; only made while no delta has been yielded. */
  retries: number;
  baseDelayMs: number;
  signal: AbortSignal;
  log?: Logger;
}

/**
 * Runs a streaming attempt and starts a fresh one on a retryable failure, but only before the
 * first delta: once text reached the caller, a retry would repeat or contradict it.
 */
export async function* withRetries(
  attempt: () => AsyncIterable<string>,
  options: RetryOptions,
): AsyncGenerator<string> {
  for (let failures = 0; ; failures++) {
    let yielded = false;
    try {
      for await (const delta of attempt()) {
        yielded = true;
        yield delta;
      }
      return;
    } catch (err) {
      const retry =
        err instanceof LlmError &&
        err.retryable &&
        !yielded &&
        failures < options.retries &&
        !options.signal.aborted;
      if (!retry) throw err;

      const delayMs = options.baseDelayMs * 2 ** failures;
      options.log?.warn({ err, attempt: failures + 1, delayMs }, 'llm request failed, retrying');
      await sleep(delayMs, undefined, { signal: options.signal }).catch(() => {
        throw new LlmError('LLM_ABORTED', 'the request was aborted', { provider: err.provider });
      });
    }
  }
}

/**
 * The `chatStream` and `chat` of a provider, from its single streaming attempt: retries before
 * the first delta with the provider's settings, and `chat` as the collected stream.
 */
export function chatMethods<Message>(
  attempt: (messages: Message[], signal: AbortSignal) => AsyncIterable<string>,
  settings: { retries: number; retryDelayMs: number; log?: Logger },
) {
  const chatStream = (messages: Message[], opts: { signal: AbortSignal }) =>
    withRetries(() => attempt(messages, opts.signal), {
      retries: settings.retries,
      baseDelayMs: settings.retryDelayMs,
      signal: opts.signal,
      log: settings.log,
    });
  return {
    chatStream,
    chat: (messages: Message[], opts: { signal: AbortSignal }) =>
      collectStream(chatStream(messages, opts)),
  };
}

/** Collects a stream into one string. */
export async function collectStream(stream: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const delta of stream) text += delta;
  return text;
}

/** Joins a base URL (which may carry a path prefix) and an absolute API path. */
export function joinUrl(base: string, path: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

async function readCapped(body: Response['body'], maxBytes: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const chunk = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
    if (chunk.done) break;
    bytes += chunk.value.byteLength;
    text += decoder.decode(chunk.value, { stream: true });
    if (bytes >= maxBytes) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return text + decoder.decode();
}

/** Error codes of Node and undici that mean the server could not be reached at all. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

function classifyTransportError(
  err: unknown,
  phase: 'connect' | 'read',
  state: { provider: string; aborted: boolean; timedOut: boolean; idleMs: number },
): LlmError {
  const { provider } = state;
  if (err instanceof LlmError) return err;
  if (state.aborted) {
    return new LlmError('LLM_ABORTED', 'the request was aborted', { provider, cause: err });
  }
  if (state.timedOut) {
    const what = phase === 'connect' ? 'an answer' : 'the next chunk';
    return new LlmError(
      'LLM_TIMEOUT',
      `no data within ${state.idleMs} ms while waiting for ${what}`,
      {
        provider,
        cause: err,
      },
    );
  }

  const code = causeCode(err);
  if (phase === 'connect') {
    const reason = code && UNREACHABLE.has(code) ? code : clip(describe(err), 120);
    return new LlmError(
      'LLM_UNAVAILABLE',
      `the ${provider} server could not be reached (${reason})`,
      {
        provider,
        retryable: true,
        cause: err,
      },
    );
  }
  // The connection broke mid-body: retryable, which only matters before the first delta.
  return new LlmError(
    'LLM_STREAM_ERROR',
    `the connection closed mid-stream (${code ?? 'terminated'})`,
    {
      provider,
      retryable: true,
      cause: err,
    },
  );
}

function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

import type { AppConfig } from '../../config/config.js';
import { httpClientFor, isHttpError, type HttpResponse } from '../../http/client.js';
import { ToolError, type RunContext, type Target } from '../tool.js';
import { JsonRowSplitter } from './json-rows.js';
import type { CrtshOptions } from './options.js';
import { crtshFindingsFromJson } from './parse.js';

const SERVICE = 'crtsh';
/** crt.sh answers 502/503 and times out under load; a pause and another try often gets through. */
export const CRTSH_RETRIES = 2;

/** `{CRTSH_URL}/?q=%.domain&output=json`: every name below the domain in any logged certificate. */
export function crtshUrl(base: string, domain: string, options: CrtshOptions): URL {
  const url = new URL(base.endsWith('/') ? base : `${base}/`);
  url.searchParams.set('q', `%.${domain}`);
  url.searchParams.set('output', 'json');
  if (options.excludeExpired) url.searchParams.set('exclude', 'expired');
  return url;
}

/** The longest a run can take: every attempt timing out, plus the pauses between them. */
export function crtshRunSeconds(config: AppConfig): number {
  return config.CRTSH_TIMEOUT_SECONDS * (CRTSH_RETRIES + 1) + 30;
}

/**
 * Asks crt.sh for the certificates naming the domain and reports the names in them. The answer
 * is read row by row, within CRTSH_MAX_BYTES, and the findings come from the shared parser.
 */
export async function runCrtsh(target: Target, options: CrtshOptions, ctx: RunContext) {
  const url = crtshUrl(ctx.config.CRTSH_URL, target.value, options);
  const timeoutMs = ctx.config.CRTSH_TIMEOUT_SECONDS * 1000;
  const started = Date.now();

  let response: HttpResponse;
  try {
    response = await httpClientFor(ctx.config).request(url, {
      signal: ctx.signal,
      service: SERVICE,
      log: ctx.log,
      timeoutMs,
      retries: CRTSH_RETRIES,
      headers: { accept: 'application/json', 'accept-encoding': 'gzip' },
    });
  } catch (err) {
    throw explainFailure(err, ctx.signal);
  }

  let rows: unknown[];
  try {
    rows = await readRows(response.body, ctx.config.CRTSH_MAX_BYTES);
  } catch (err) {
    ctx.signal.throwIfAborted();
    if (err instanceof ToolError) throw err;
    if (err instanceof SyntaxError) {
      throw new ToolError(`crt.sh answered something that is not its JSON (${err.message})`, {
        cause: err,
        retryable: true,
      });
    }
    const timedOut = Date.now() - started >= timeoutMs;
    const why = timedOut ? `timed out after ${ctx.config.CRTSH_TIMEOUT_SECONDS} s` : 'cut off';
    throw new ToolError(`crt.sh answer ${why} while it was being read`, {
      cause: err,
      retryable: true,
    });
  }

  report(rows, ctx);
}

/**
 * Reads the body into row objects, refusing more than `limit` bytes. The text is dropped as
 * each row completes, but the rows themselves are kept until the end: the parser needs all of
 * them to date each name (first and last seen), so memory still grows with the answer.
 */
async function readRows(body: Readable, limit: number): Promise<unknown[]> {
  const splitter = new JsonRowSplitter();
  const decoder = new StringDecoder('utf8');
  const rows: unknown[] = [];
  let size = 0;

  for await (const chunk of body) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > limit) {
      body.destroy();
      throw new ToolError(
        `crt.sh answered more than CRTSH_MAX_BYTES (${limit} bytes): ` +
          'search a narrower domain, exclude expired certificates, or raise CRTSH_MAX_BYTES',
      );
    }
    for (const row of splitter.push(decoder.write(bytes))) rows.push(row);
  }

  for (const row of splitter.push(decoder.end())) rows.push(row);
  splitter.end();
  return rows;
}

function report(rows: unknown[], ctx: RunContext): void {
  const findings = crtshFindingsFromJson(rows);
  for (const finding of findings) {
    ctx.finding(finding);
    ctx.output(`${finding.kind} ${finding.value}`);
  }

  const names = findings.filter((f) => f.kind === 'HOST' || f.kind === 'EMAIL').length;
  ctx.output(`crt.sh: ${rows.length} certificate entries, ${names} names`);
  ctx.log.info({ rows: rows.length, findings: findings.length }, 'crt.sh answer read');
}

/** The client's failures, in words for the analyst; an abort stays the abort. */
function explainFailure(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted || !isHttpError(err)) return err;

  const transient = err.code !== 'HTTP_ERROR' || (err.status ?? 0) >= 500 || err.status === 429;
  const hint = transient ? ' (crt.sh is often overloaded: try again later)' : '';
  return new ToolError(`${err.message}${hint}`, { cause: err, retryable: transient });
}

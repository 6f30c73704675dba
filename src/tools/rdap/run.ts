import type { AppConfig } from '../../config/config.js';
import { httpClientFor, isHttpError, type HttpTextResponse } from '../../http/client.js';
import { isRecord } from '../../findings/text.js';
import { ToolError, type RunContext, type Target } from '../tool.js';
import { withRangeDetails } from './network.js';
import { rdapFindingsFromJson } from './parse.js';

const SERVICE = 'rdap';
const RETRIES = 2;
/** RDAP answers are a few kilobytes; a megabyte-sized one is not an answer to read. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** An RFC 9083 error answer, as far as a message needs it. */
interface RdapError {
  errorCode?: unknown;
  title?: unknown;
  description?: unknown;
}

/** `{RDAP_URL}/domain/{name}` or `/ip/{address}`; an e-mail address asks for its domain. */
export function rdapUrl(base: string, target: Target): URL {
  const root = base.endsWith('/') ? base : `${base}/`;
  switch (target.kind) {
    case 'DOMAIN':
      return new URL(`domain/${encodeURIComponent(target.value)}`, root);
    case 'EMAIL':
      return new URL(`domain/${encodeURIComponent(emailDomain(target.value))}`, root);
    case 'IP':
      // A canonical address has only hex digits, dots and colons: safe in a path as is.
      return new URL(`ip/${target.value}`, root);
    default:
      throw new ToolError(`rdap does not look up ${target.kind} targets`);
  }
}

export function rdapRunSeconds(config: AppConfig): number {
  return config.RDAP_TIMEOUT_SECONDS * (RETRIES + 1) + 15;
}

/**
 * Looks the target up in RDAP. A bootstrap service such as rdap.org redirects to the registry
 * that holds the object; the client follows. "Not found" is an outcome, not a failure.
 */
export async function runRdap(target: Target, _options: unknown, ctx: RunContext) {
  const url = rdapUrl(ctx.config.RDAP_URL, target);
  const object = target.kind === 'EMAIL' ? emailDomain(target.value) : target.value;

  let res: HttpTextResponse;
  try {
    res = await httpClientFor(ctx.config).fetchText(url, {
      signal: ctx.signal,
      service: SERVICE,
      log: ctx.log,
      timeoutMs: ctx.config.RDAP_TIMEOUT_SECONDS * 1000,
      retries: RETRIES,
      maxBodyBytes: MAX_BODY_BYTES,
      allowStatus: [404],
      headers: { accept: 'application/rdap+json, application/json;q=0.9' },
    });
  } catch (err) {
    throw explainFailure(err, ctx.signal);
  }

  if (res.status === 404) {
    const why = errorSummary(parseJson(res.text)) ?? (res.text.trim() === '' ? 'empty answer' : '');
    ctx.warn(`${object} not found in RDAP (HTTP 404${why ? `: ${why}` : ''})`);
    ctx.output(`${object}: not found (${where(res.url)})`);
    return;
  }

  const answer = parseJson(res.text);
  if (!isRecord(answer)) {
    throw new ToolError(`RDAP server ${origin(res.url)} answered something that is not RDAP JSON`);
  }
  // Some servers put an RFC 9083 error in a 200 answer.
  if (answer.errorCode !== undefined && answer.objectClassName === undefined) {
    throw new ToolError(
      `RDAP server ${origin(res.url)} answered an error: ${errorSummary(answer)}`,
    );
  }

  ctx.output(`${object}: answered by ${where(res.url)}`);
  for (const finding of withRangeDetails(rdapFindingsFromJson(answer), answer)) {
    ctx.finding(finding);
    ctx.output(`${finding.kind} ${finding.value}`);
  }
}

function explainFailure(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted || !isHttpError(err)) return err;

  const transient = err.code !== 'HTTP_ERROR' || (err.status ?? 0) >= 500 || err.status === 429;
  const detail = errorSummary(parseJson(err.bodyText ?? ''));
  const message = detail ? `${err.message}: ${detail}` : err.message;
  return new ToolError(message, { cause: err, retryable: transient });
}

/** `title: description` of an RFC 9083 error body, or undefined when it is none. */
function errorSummary(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { errorCode, title, description } = body as RdapError;
  if (errorCode === undefined && title === undefined) return undefined;

  const lines = Array.isArray(description) ? description : [description];
  const text = [title, ...lines].filter((s): s is string => typeof s === 'string' && s !== '');
  return text.length > 0 ? text.join(': ') : `error ${String(errorCode)}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

function origin(url: string): string {
  return new URL(url).origin;
}

/** Origin and path of the server that answered; a query string is never shown. */
function where(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

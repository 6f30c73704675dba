import { HttpError, httpClientFor, type HttpTextResponse } from '../../http/client.js';
import { ToolError, type RunContext, type Target } from '../tool.js';
import type { SearxngOptions } from './options.js';
import { searxngFindingsFromJson } from './parse.js';

const SERVICE = 'searxng';

/** The part of SearXNG's JSON answer the run itself reads; findings come from the parser. */
interface SearchAnswer {
  results?: unknown[];
  unresponsive_engines?: unknown[];
}

/** The `/search` URL for one page, under the instance's own path when it has one. */
export function searchUrl(base: string, target: Target, options: SearxngOptions, page: number) {
  const url = new URL('search', base.endsWith('/') ? base : `${base}/`);
  // Quoted: an exact phrase, and a target starting with `!` or `:` is never read as a bang or
  // language switch by SearXNG's query parser.
  url.searchParams.set('q', `"${target.value}"`);
  url.searchParams.set('format', 'json');
  url.searchParams.set('pageno', String(page));
  if (options.categories.length > 0)
    url.searchParams.set('categories', options.categories.join(','));
  if (options.engines.length > 0) url.searchParams.set('engines', options.engines.join(','));
  if (options.language) url.searchParams.set('language', options.language);
  if (options.timeRange) url.searchParams.set('time_range', options.timeRange);
  return url;
}

/** Searches the target on the configured SearXNG instance, page by page. */
export async function runSearxng(target: Target, options: SearxngOptions, ctx: RunContext) {
  const base = ctx.config.SEARXNG_URL;
  if (!base) throw new ToolError('SEARXNG_URL is not set');

  const client = httpClientFor(ctx.config);
  const seenUrls = new Set<string>();
  const reportedEngines = new Set<string>();

  for (let page = 1; page <= options.pages; page++) {
    const answer = await fetchPage(client, searchUrl(base, target, options, page), ctx);

    for (const [engine, reason] of unresponsiveEngines(answer)) {
      if (reportedEngines.has(engine)) continue;
      reportedEngines.add(engine);
      ctx.warn(`SearXNG engine ${engine} did not answer: ${reason}`);
    }

    let added = 0;
    for (const finding of searxngFindingsFromJson(answer)) {
      if (seenUrls.has(finding.value)) continue;
      seenUrls.add(finding.value);
      added += 1;
      ctx.finding(finding);
      const title = typeof finding.data?.title === 'string' ? `  ${finding.data.title}` : '';
      ctx.output(`${finding.value}${title}`);
    }

    const count = Array.isArray(answer.results) ? answer.results.length : 0;
    ctx.output(`page ${page}: ${count} results, ${added} new`);
    // SearXNG repeats or empties later pages when its engines run dry.
    if (added === 0) break;
  }
}

async function fetchPage(
  client: ReturnType<typeof httpClientFor>,
  url: URL,
  ctx: RunContext,
): Promise<SearchAnswer> {
  let res: HttpTextResponse;
  try {
    res = await client.fetchText(url, {
      signal: ctx.signal,
      service: SERVICE,
      log: ctx.log,
      // A bang answers with a redirect to another site; Loom never follows it there.
      followRedirects: false,
      headers: {
        accept: 'application/json, */*;q=0.5',
        // SearXNG's bot detection refuses requests without these when its limiter is on.
        'accept-language': 'en',
        'accept-encoding': 'gzip, deflate',
      },
    });
  } catch (err) {
    throw explainFailure(err);
  }

  if (res.status >= 300) {
    throw new ToolError(`SearXNG answered a redirect (HTTP ${res.status}) instead of results`);
  }
  return parseAnswer(res.text);
}

function parseAnswer(text: string): SearchAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new ToolError('SearXNG answered a body that is not JSON', { cause: err });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ToolError('SearXNG answered JSON that is not a search result object');
  }
  return body as SearchAnswer;
}

/** `[engine, reason]` pairs; anything of another shape is skipped rather than trusted. */
function unresponsiveEngines(answer: SearchAnswer): [string, string][] {
  const pairs: [string, string][] = [];
  for (const entry of answer.unresponsive_engines ?? []) {
    if (Array.isArray(entry) && typeof entry[0] === 'string') {
      pairs.push([entry[0], typeof entry[1] === 'string' ? entry[1] : 'no reason given']);
    }
  }
  return pairs;
}

/** Turns the instance's refusals into what the analyst must change. */
export function explainFailure(err: unknown): unknown {
  if (!(err instanceof HttpError)) return err;

  if (err.status === 403) {
    return new ToolError(
      'SearXNG refused format=json (HTTP 403): the JSON format is not enabled. ' +
        'Add json to search.formats in the settings.yml the instance really loads.',
      { cause: err },
    );
  }
  if (err.status === 429) {
    return new ToolError(
      'SearXNG is rate limiting Loom (HTTP 429). Its limiter allows only a few JSON searches ' +
        "per hour: add Loom's address to pass_ip in limiter.toml, or turn server.limiter off.",
      { cause: err, retryable: true },
    );
  }
  if (err.status === 400) {
    const detail = errorText(err.bodyText);
    return new ToolError(`SearXNG rejected the search: ${detail ?? err.message}`, { cause: err });
  }
  const transient = err.code !== 'HTTP_ERROR' || (err.status ?? 0) >= 500;
  return new ToolError(err.message, { cause: err, retryable: transient });
}

/** The `error` text of SearXNG's JSON error bodies (`{"error": "No query"}`). */
function errorText(body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

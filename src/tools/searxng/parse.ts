import type { ParsedFinding } from '../../findings/finding.js';
import { FindingCollector } from '../../findings/normalize.js';
import { ParseError } from '../../findings/parse-error.js';
import { isBlank, isRecord, listOf, parseJsonText, stringOf } from '../../findings/text.js';

/**
 * Findings of a SearXNG `/search?format=json` answer: one URL per result, with its title,
 * snippet and engines as detail. Hosts of result URLs are not findings of the target, and
 * answers, infoboxes and suggestions are not counted.
 */
export function searxngFindingsFromJson(answer: unknown): ParsedFinding[] {
  if (!isRecord(answer)) throw new ParseError('SearXNG answer is not a JSON object');
  const error = stringOf(answer.error);
  if (error) throw new ParseError(`SearXNG answered with an error: ${error}`);
  if (!Array.isArray(answer.results)) throw new ParseError('SearXNG answer has no results list');

  const collector = new FindingCollector();
  for (const result of answer.results) {
    if (!isRecord(result) || typeof result.url !== 'string') continue;
    collector.add('URL', result.url, resultData(result));
  }
  return collector.list();
}

/** A saved SearXNG JSON answer. */
export function parseSearxng(text: string): ParsedFinding[] {
  if (isBlank(text)) return [];
  if (/^\s*</.test(text)) {
    // Served when `json` is missing from `search.formats` (403) or by a limiter (429).
    throw new ParseError(
      'SearXNG answered with an HTML page, not JSON (is the json format enabled?)',
    );
  }
  return searxngFindingsFromJson(parseJsonText(text, 'SearXNG answer'));
}

function resultData(result: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const title = stringOf(result.title);
  const content = stringOf(result.content);
  const engines = listOf(result.engines).filter((e) => typeof e === 'string');
  if (title) data.title = title;
  if (content) data.content = content;
  if (engines.length > 0) data.engines = engines;
  else if (stringOf(result.engine)) data.engines = [stringOf(result.engine)];

  const published = stringOf(result.publishedDate);
  if (published && published !== 'None') data.publishedDate = published;
  const category = stringOf(result.category);
  if (category) data.category = category;
  if (typeof result.score === 'number') data.score = result.score;
  return data;
}

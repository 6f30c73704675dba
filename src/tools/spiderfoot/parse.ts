import type { ParsedFinding } from '../../findings/finding.js';
import { FindingCollector } from '../../findings/normalize.js';
import { parseJsonText, splitLines, stripBom } from '../../findings/text.js';
import { eventFinding, type SpiderfootEvent } from './event.js';
import { isSpiderfootCsvHeader, spiderfootCsvEvents } from './parse-csv.js';
import { spiderfootJsonEvents } from './parse-json.js';
import { spiderfootCliEvents } from './parse-cli.js';

export type { SpiderfootEvent } from './event.js';

/**
 * Findings of a SpiderFoot JSON answer already parsed: `/scaneventresults`,
 * `/scaneventresultsunique`, `/scanexportjsonmulti` or the command line's JSON output.
 */
export function spiderfootFindingsFromJson(value: unknown): ParsedFinding[] {
  return findingsOf(spiderfootJsonEvents(value));
}

/**
 * Any saved SpiderFoot result: the web UI's CSV export (one or several scans), its JSON
 * answers, or the command line's tab, csv or JSON output.
 */
export function parseSpiderfoot(text: string): ParsedFinding[] {
  const body = stripBom(text);
  const start = body.trimStart();
  if (start === '') return [];

  if (start.startsWith('[') || start.startsWith('{')) return parseJsonOutput(start);
  const first = splitLines(start)[0];
  if (isSpiderfootCsvHeader(first)) return findingsOf(spiderfootCsvEvents(body));
  return findingsOf(spiderfootCliEvents(body));
}

function findingsOf(events: SpiderfootEvent[]): ParsedFinding[] {
  const collector = new FindingCollector();
  for (const event of events) {
    const finding = eventFinding(event);
    if (finding) collector.addAll([finding]);
  }
  return collector.list();
}

/**
 * A JSON answer. The command line prints its JSON one event per line (`[{…},` … `{…}]`), so
 * output cut short still yields the events before the cut.
 */
function parseJsonOutput(text: string): ParsedFinding[] {
  try {
    return spiderfootFindingsFromJson(JSON.parse(text));
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    const events = splitLines(text).flatMap((line) => lineEvent(line));
    if (events.length === 0) parseJsonText(text, 'SpiderFoot JSON answer');
    return findingsOf(events);
  }
}

function lineEvent(line: string): SpiderfootEvent[] {
  const item = line
    .trim()
    .replace(/^\[/, '')
    .replace(/[,\]]+$/, '');
  if (!item.startsWith('{')) return [];
  try {
    return spiderfootJsonEvents([JSON.parse(item)]);
  } catch {
    return [];
  }
}

import type { ParsedFinding } from '../../findings/finding.js';
import { FindingCollector } from '../../findings/normalize.js';
import { ParseError } from '../../findings/parse-error.js';
import { isRecord, listOf, parseJsonText, stringOf } from '../../findings/text.js';
import { itemFindings, type ItemKind } from './sections.js';

/** Keys of the JSON report (4.x `-f`, the REST `/query` answer, 5.0) and what they list. */
const REPORT_KEYS: Record<string, ItemKind> = {
  hosts: 'HOST',
  vhosts: 'VHOST',
  ips: 'IP',
  emails: 'EMAIL',
  interesting_urls: 'URL',
  linkedin_links: 'URL',
  trello_urls: 'URL',
  urls: 'URL',
  asns: 'ASN',
  people: 'PERSON',
  linkedin_people: 'PERSON',
  twitter_people: 'PERSON',
};

/** Findings of theHarvester's JSON report object (`-f` file or REST `/query` answer). */
export function theharvesterFindingsFromJson(report: unknown): ParsedFinding[] {
  if (!isRecord(report)) throw new ParseError('theHarvester JSON report is not an object');
  const exception = stringOf(report.exception);
  if (exception) throw new ParseError(`theHarvester answered with an exception: ${exception}`);

  const collector = new FindingCollector();
  for (const [key, kind] of Object.entries(REPORT_KEYS)) {
    for (const item of listOf(report[key])) {
      const text = stringOf(item);
      if (text) collector.addAll(itemFindings(kind, text));
    }
  }
  return collector.list();
}

/**
 * Result kinds of the JSON-lines file (5.0, `X.jsonl`): a `summary` record, then one record per
 * result `{type, value, sources, actions}`. Kinds not listed here are OTHER.
 */
const JSONL_KINDS: Record<string, ParsedFinding['kind']> = {
  hostname: 'HOST',
  ip: 'IP',
  email: 'EMAIL',
  url: 'URL',
};

export function theharvesterFindingsFromRecords(records: unknown[]): ParsedFinding[] {
  const collector = new FindingCollector();
  for (const record of records) {
    if (!isRecord(record)) continue;
    const type = stringOf(record.type);
    const value = stringOf(record.value);
    if (!type || !value || type === 'summary') continue;

    const sources = listOf(record.sources).filter((s) => typeof s === 'string');
    const data: Record<string, unknown> = sources.length > 0 ? { sources } : {};
    const kind = JSONL_KINDS[type] ?? 'OTHER';
    if (kind === 'OTHER') data.type = type;
    collector.add(kind, value, data);
  }
  return collector.list();
}

/**
 * A JSON report (one object, on one line or pretty-printed) or a JSON-lines file. A JSON-lines
 * file cut short loses only its last record; a cut JSON report is unreadable.
 */
export function parseTheHarvesterJsonText(text: string): ParsedFinding[] {
  const whole = tryParse(text);
  if (isRecord(whole)) {
    if (typeof whole.type === 'string') return theharvesterFindingsFromRecords([whole]);
    return theharvesterFindingsFromJson(whole);
  }

  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const records = lines.map(tryParse);
  if (lines.length < 2 || !isRecord(records[0])) {
    parseJsonText(text, 'theHarvester JSON report');
    throw new ParseError('theHarvester JSON report is not an object');
  }
  return theharvesterFindingsFromRecords(records.filter((r) => r !== undefined));
}

function tryParse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

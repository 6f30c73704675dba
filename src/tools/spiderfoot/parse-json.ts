import { ParseError } from '../../findings/parse-error.js';
import { isRecord, stringOf } from '../../findings/text.js';
import type { SpiderfootEvent } from './event.js';

/**
 * Events of SpiderFoot's JSON answers:
 * - `/scaneventresults`: `[lastSeen, data, sourceData, module, confidence, visibility, risk,
 *   hash, fp, parentFp, eventType]` rows, data HTML-escaped;
 * - `/scaneventresultsunique`: `[data, eventType, count]` rows, data HTML-escaped;
 * - `/scanexportjsonmulti`: `{data, event_type, module, source_data, false_positive, …}`;
 * - the command line's `-o json`: `{type (readable name), data, module, source, generated}`.
 */
export function spiderfootJsonEvents(value: unknown): SpiderfootEvent[] {
  if (isRecord(value))
    throw new ParseError(`SpiderFoot answered with an error: ${errorText(value)}`);
  if (!Array.isArray(value)) throw new ParseError('SpiderFoot JSON answer is not a list of events');

  const events: SpiderfootEvent[] = [];
  for (const item of value) {
    const event = Array.isArray(item)
      ? rowEvent(item)
      : isRecord(item)
        ? objectEvent(item)
        : undefined;
    if (event) events.push(event);
  }
  return events;
}

function rowEvent(row: unknown[]): SpiderfootEvent | undefined {
  if (row.length === 3) {
    return { type: String(row[1] ?? ''), data: unescapeHtml(String(row[0] ?? '')) };
  }
  if (row.length < 11) return undefined;
  return {
    lastSeen: stringOf(row[0]),
    data: unescapeHtml(String(row[1] ?? '')),
    source: unescapeHtml(String(row[2] ?? '')),
    module: stringOf(row[3]),
    falsePositive: isTrue(row[8]),
    type: String(row[10] ?? ''),
  };
}

function objectEvent(item: Record<string, unknown>): SpiderfootEvent | undefined {
  const type = stringOf(item.event_type) ?? stringOf(item.type);
  const data = item.data;
  if (!type || (typeof data !== 'string' && typeof data !== 'number')) return undefined;
  return {
    type,
    data: String(data),
    module: stringOf(item.module),
    source: stringOf(item.source_data) ?? stringOf(item.source),
    falsePositive: isTrue(item.false_positive),
    scanName: stringOf(item.scan_name),
    lastSeen: stringOf(item.last_seen),
  };
}

function isTrue(flag: unknown): boolean {
  return flag === true || flag === 1 || flag === '1';
}

function errorText(answer: Record<string, unknown>): string {
  const error = answer.error;
  if (isRecord(error)) return stringOf(error.message) ?? 'unknown error';
  return stringOf(error) ?? stringOf(answer.message) ?? 'not a list of events';
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Undoes the HTML escaping SpiderFoot applies to event data in its JSON results. */
export function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] !== '#') return ENTITIES[name.toLowerCase()] ?? whole;
    const code =
      name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

import { XMLParser } from 'fast-xml-parser';

import type { ParsedFinding } from '../../findings/finding.js';
import { FindingCollector } from '../../findings/normalize.js';
import { ParseError } from '../../findings/parse-error.js';
import { isRecord, listOf, stringOf } from '../../findings/text.js';
import { itemFindings } from './sections.js';

const LISTS = new Set(['email', 'host', 'vhost', 'ip', 'hostname']);
const xml = new XMLParser({
  isArray: (name) => LISTS.has(name),
  parseTagValue: false,
  processEntities: true,
});

/**
 * The XML report: `<email>`, `<host>name</host>` or `<host><ip>…</ip><hostname>…</hostname>
 * </host>` (the `<ip>` can also hold a CNAME target), and `<vhost>`. A report cut short keeps
 * every element closed before the cut.
 */
export function parseTheHarvesterXml(text: string): ParsedFinding[] {
  const root = readRoot(text) ?? readRoot(closeTruncated(text));
  if (!root) throw new ParseError('malformed theHarvester XML report');

  const collector = new FindingCollector();
  for (const email of listOf(root.email)) {
    const value = stringOf(email);
    if (value) collector.addAll(itemFindings('EMAIL', value));
  }
  for (const host of listOf(root.host)) collector.addAll(hostElementFindings(host));
  for (const vhost of listOf(root.vhost)) {
    const value = stringOf(vhost);
    if (value) collector.addAll(itemFindings('VHOST', value));
  }
  return collector.list();
}

function hostElementFindings(host: unknown): ParsedFinding[] {
  const plain = stringOf(host);
  if (plain) return itemFindings('HOST', plain);
  if (!isRecord(host)) return [];

  // Rebuilt as the `name:value, value` entry the other formats use.
  const names = listOf(host.hostname)
    .map(stringOf)
    .filter((n) => n !== undefined);
  const values = listOf(host.ip)
    .map(stringOf)
    .filter((v) => v !== undefined);
  const suffix = values.length > 0 ? `:${values.join(',')}` : '';
  if (names.length === 0) return values.flatMap((v) => itemFindings('IP', v));
  return names.flatMap((name) => itemFindings('HOST', `${name}${suffix}`));
}

function readRoot(text: string): Record<string, unknown> | undefined {
  try {
    const doc: unknown = xml.parse(text);
    const root = isRecord(doc) ? doc.theHarvester : undefined;
    if (isRecord(root)) return root;
    return root === '' ? {} : undefined;
  } catch {
    return undefined;
  }
}

/** Cuts a truncated report after its last complete element and closes the root. */
function closeTruncated(text: string): string {
  const ends = ['</email>', '</host>', '</vhost>'].map((tag) => text.lastIndexOf(tag) + tag.length);
  const cut = Math.max(...ends.filter((end) => end > 10));
  if (!Number.isFinite(cut)) return '';
  return `${text.slice(0, cut)}</theHarvester>`;
}

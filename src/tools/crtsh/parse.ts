import type { ParsedFinding } from '../../findings/finding.js';
import { normalizeEmail, normalizeHost } from '../../findings/normalize.js';
import { ParseError } from '../../findings/parse-error.js';
import { isBlank, isRecord, parseJsonText, stringOf } from '../../findings/text.js';

interface NameSeen {
  kind: 'HOST' | 'EMAIL';
  value: string;
  firstSeen?: string;
  lastSeen?: string;
  notAfter?: string;
  issuers: Set<string>;
  certificates: Set<string>;
}

/**
 * Findings of crt.sh's JSON rows: every `name_value` line and every `common_name` that is a
 * host name (after normalisation) or an e-mail address; organisation names and other free text
 * are not findings. A name found in many certificates is one finding whose detail says when it
 * was first and last logged, until when it was certified, by which issuers, in how many
 * certificates.
 */
export function crtshFindingsFromJson(rows: unknown): ParsedFinding[] {
  if (!Array.isArray(rows)) throw new ParseError('crt.sh answer is not a list of certificates');

  const names = new Map<string, NameSeen>();
  for (const row of rows) {
    if (!isRecord(row)) continue;
    const values = (stringOf(row.name_value) ?? '').split('\n');
    const common = stringOf(row.common_name);
    if (common) values.push(common);
    for (const raw of new Set(values)) note(names, raw, row);
  }
  return [...names.values()].map(toFinding);
}

/**
 * A saved crt.sh answer: one JSON array, or, before 2019, objects written one after another
 * without the surrounding array.
 */
export function parseCrtsh(text: string): ParsedFinding[] {
  if (isBlank(text)) return [];
  const body = text.trim();
  if (body.startsWith('{'))
    return crtshFindingsFromJson(parseJsonText(`[${joinObjects(body)}]`, 'crt.sh answer'));
  return crtshFindingsFromJson(parseJsonText(body, 'crt.sh answer'));
}

function note(names: Map<string, NameSeen>, raw: string, row: Record<string, unknown>): void {
  const email = raw.includes('@') ? normalizeEmail(raw) : undefined;
  const host = email ? undefined : normalizeHost(raw);
  const value = email ?? host;
  if (!value) return;

  const kind = email ? 'EMAIL' : 'HOST';
  const key = `${kind} ${value}`;
  const seen = names.get(key) ?? { kind, value, issuers: new Set(), certificates: new Set() };
  names.set(key, seen);

  const logged = stringOf(row.entry_timestamp) ?? stringOf(row.min_entry_timestamp);
  const from = logged ?? stringOf(row.not_before);
  if (from && (!seen.firstSeen || from < seen.firstSeen)) seen.firstSeen = from;
  if (from && (!seen.lastSeen || from > seen.lastSeen)) seen.lastSeen = from;
  const until = stringOf(row.not_after);
  if (until && (!seen.notAfter || until > seen.notAfter)) seen.notAfter = until;

  const issuer = stringOf(row.issuer_name);
  if (issuer) seen.issuers.add(issuer);
  // A precertificate and its certificate share the serial; count them once.
  const certificate = stringOf(row.serial_number) ?? stringOf(row.id) ?? stringOf(row.min_cert_id);
  if (certificate) seen.certificates.add(certificate);
}

function toFinding(seen: NameSeen): ParsedFinding {
  const data: Record<string, unknown> = {};
  if (seen.firstSeen) data.firstSeen = seen.firstSeen;
  if (seen.lastSeen) data.lastSeen = seen.lastSeen;
  if (seen.notAfter) data.notAfter = seen.notAfter;
  if (seen.issuers.size > 0) data.issuers = [...seen.issuers];
  if (seen.certificates.size > 0) data.certificates = seen.certificates.size;
  return Object.keys(data).length > 0
    ? { kind: seen.kind, value: seen.value, data }
    : { kind: seen.kind, value: seen.value };
}

/** `{…}{…}` or `{…}\n{…}` as the elements of one array. */
function joinObjects(body: string): string {
  return body.replace(/}\s*{/g, '},{');
}

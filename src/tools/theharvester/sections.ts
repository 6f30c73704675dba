import type { ParsedFinding } from '../../findings/finding.js';
import {
  normalizeEmail,
  normalizeIp,
  normalizeText,
  normalizeUrl,
} from '../../findings/normalize.js';
import { hostEntryFindings, vhostEntryFindings } from './entries.js';

/** What the items of a result list (console section, JSON key, XML element) are. */
export type ItemKind = 'HOST' | 'VHOST' | 'IP' | 'EMAIL' | 'URL' | 'ASN' | 'PERSON';

/** Findings of one listed item. ASNs and people are OTHER findings, kept for the report. */
export function itemFindings(kind: ItemKind, item: string): ParsedFinding[] {
  switch (kind) {
    case 'HOST':
      return hostEntryFindings(item);
    case 'VHOST':
      return vhostEntryFindings(item);
    case 'IP':
      return single('IP', normalizeIp(item));
    case 'EMAIL':
      return single('EMAIL', normalizeEmail(item));
    case 'URL':
      // A listed URL is one token; a line with blanks inside is console noise.
      return /\s/.test(item.trim()) ? [] : single('URL', normalizeUrl(item));
    case 'ASN':
      return single('OTHER', normalizeText(item), { type: 'asn' });
    case 'PERSON':
      return single('OTHER', normalizeText(item), { type: 'person' });
  }
}

function single(
  kind: ParsedFinding['kind'],
  value: string | undefined,
  data?: Record<string, unknown>,
): ParsedFinding[] {
  if (value === undefined) return [];
  return [data ? { kind, value, data } : { kind, value }];
}

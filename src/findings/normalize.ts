import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

import type { FindingKind, ParsedFinding } from './finding.js';
import { canonicalIp } from './ip.js';

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
// Printable ASCII except specials; enough to tell an address from free text.
const EMAIL_LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;

/**
 * A host name as Loom stores it: lower case, no trailing dot, no leading `*.`, punycode for
 * international names. Undefined unless it is a syntactically valid name with at least one dot
 * (underscores allowed, as in `_dmarc.example.com`) that is not an IP address.
 */
export function normalizeHost(raw: string): string | undefined {
  let host = raw.trim().toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.startsWith('*.')) host = host.slice(2);
  if (/[^\x21-\x7e]/.test(host)) host = domainToASCII(host);

  if (host === '' || host.length > 253 || !host.includes('.')) return undefined;
  if (isIP(host) !== 0) return undefined;

  const labels = host.split('.');
  if (!labels.every((label) => LABEL.test(label))) return undefined;
  // An all-numeric last label is no top-level domain: it is a cut IP or a version number.
  if (/^\d+$/.test(labels[labels.length - 1])) return undefined;
  return host;
}

/** Lower-cased `local@host`, or undefined when `raw` is not an e-mail address. */
export function normalizeEmail(raw: string): string | undefined {
  const text = raw
    .trim()
    .replace(/^mailto:/i, '')
    .toLowerCase();
  const at = text.lastIndexOf('@');
  if (at <= 0) return undefined;

  const local = text.slice(0, at);
  if (!EMAIL_LOCAL.test(local) || local.startsWith('.') || local.endsWith('.')) return undefined;
  if (text.startsWith('*.', at + 1)) return undefined;
  const host = normalizeHost(text.slice(at + 1));
  return host ? `${local}@${host}` : undefined;
}

/** Canonical IPv4 or IPv6 text (IPv6 compressed), or undefined. */
export function normalizeIp(raw: string): string | undefined {
  return canonicalIp(raw);
}

/** URLs are kept as given, trimmed; empty or control-character text is no URL. */
export function normalizeUrl(raw: string): string | undefined {
  const url = raw.trim();
  if (url === '' || /[\x00-\x1f\x7f]/.test(url)) return undefined;
  return url;
}

/** Free text (accounts that are not URLs, OTHER findings): trimmed, never empty. */
export function normalizeText(raw: string): string | undefined {
  const text = raw.trim();
  return text === '' ? undefined : text;
}

/** The normaliser for a kind: the one place that decides what a finding's value looks like. */
export function normalizeValue(kind: FindingKind, raw: string): string | undefined {
  switch (kind) {
    case 'HOST':
      return normalizeHost(raw);
    case 'IP':
      return normalizeIp(raw);
    case 'EMAIL':
      return normalizeEmail(raw);
    case 'URL':
      return normalizeUrl(raw);
    case 'ACCOUNT':
    case 'OTHER':
      return normalizeText(raw);
  }
}

type Data = Record<string, unknown>;

/** A finding with its value normalised for its kind, or undefined when the value is invalid. */
export function toFinding(kind: FindingKind, raw: string, data?: Data): ParsedFinding | undefined {
  const value = normalizeValue(kind, raw);
  if (value === undefined) return undefined;
  return data && Object.keys(data).length > 0 ? { kind, value, data } : { kind, value };
}

/**
 * Gathers findings, normalising each value and merging duplicates by (kind, value). The first
 * finding of a value fixes its place in the list; later ones only add data it lacked.
 */
export class FindingCollector {
  private readonly byKey = new Map<string, ParsedFinding>();

  /**
   * Adds one finding. Returns it when the value is new, undefined when it was merged into an
   * earlier one or when `raw` is not a valid value of `kind`.
   */
  add(kind: FindingKind, raw: string, data?: Data): ParsedFinding | undefined {
    const value = normalizeValue(kind, raw);
    if (value === undefined) return undefined;

    const key = `${kind}\u0000${value}`;
    const known = this.byKey.get(key);
    if (known) {
      if (data) known.data = mergeData(known.data, data);
      return undefined;
    }

    const finding: ParsedFinding = { kind, value };
    if (data && Object.keys(data).length > 0) finding.data = { ...data };
    this.byKey.set(key, finding);
    return finding;
  }

  /** Adds findings that may already be normalised (a parser's output); see `add`. */
  addAll(findings: Iterable<ParsedFinding>): void {
    for (const f of findings) this.add(f.kind, f.value, f.data);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Unique findings in first-seen order. */
  list(): ParsedFinding[] {
    return [...this.byKey.values()];
  }
}

/**
 * Merges later detail into earlier detail: keys the first lacked are added, lists of plain
 * values are united, anything else keeps its first value.
 */
export function mergeData(first: Data | undefined, later: Data): Data | undefined {
  const merged: Data = { ...first };
  for (const [key, value] of Object.entries(later)) {
    const current = merged[key];
    if (current === undefined) merged[key] = value;
    else if (Array.isArray(current) && Array.isArray(value))
      merged[key] = uniteLists(current, value);
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}

function uniteLists(a: unknown[], b: unknown[]): unknown[] {
  const out = [...a];
  for (const item of b) {
    const plain = item === null || typeof item !== 'object';
    if (!plain || !out.includes(item)) out.push(item);
  }
  return out;
}

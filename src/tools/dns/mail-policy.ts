/**
 * Parsers for the mail-security policies published in TXT records: SPF (RFC 7208), DMARC
 * (RFC 7489) and the tag lists of MTA-STS (RFC 8461) and SMTP TLS reporting (RFC 8460).
 * They describe what a record says; they do not evaluate it against a message.
 */

export type SpfQualifier = '+' | '-' | '~' | '?';

export interface SpfMechanism {
  qualifier: SpfQualifier;
  /** all, include, a, mx, ptr, ip4, ip6, exists — or the unknown word as written. */
  type: string;
  value?: string;
}

// Type aliases, not interfaces: a saved answer is read back through an open-ended schema.
export type SpfPolicy = {
  record: string;
  mechanisms: SpfMechanism[];
  includes: string[];
  ip4: string[];
  ip6: string[];
  /** Qualifier of the `all` mechanism; absent when the record has none. */
  all?: SpfQualifier;
  redirect?: string;
  modifiers: Record<string, string>;
  /** Terms that are neither a known mechanism nor a modifier: a receiver would reject these. */
  invalidTerms: string[];
  /** include, a, mx, ptr, exists and redirect each cost a lookup; RFC 7208 allows 10. */
  dnsLookups: number;
};

const SPF_MECHANISMS = new Set(['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists']);
const SPF_LOOKUP_TERMS = new Set(['include', 'a', 'mx', 'ptr', 'exists']);

/** True for the TXT strings that are SPF records (`v=spf1` alone or followed by a space). */
export function isSpfRecord(txt: string): boolean {
  return /^v=spf1(\s|$)/i.test(txt.trim());
}

export function parseSpf(record: string): SpfPolicy {
  const policy: SpfPolicy = {
    record,
    mechanisms: [],
    includes: [],
    ip4: [],
    ip6: [],
    modifiers: {},
    invalidTerms: [],
    dnsLookups: 0,
  };
  const terms = record.trim().split(/\s+/).slice(1);

  for (const term of terms) {
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term);
    if (modifier) {
      const name = modifier[1].toLowerCase();
      policy.modifiers[name] = modifier[2];
      if (name === 'redirect') {
        policy.redirect = modifier[2];
        policy.dnsLookups += 1;
      }
      continue;
    }

    const directive = /^([+\-~?]?)([a-z0-9]+)([:/].*)?$/i.exec(term);
    const type = directive?.[2].toLowerCase();
    if (!directive || !type || !SPF_MECHANISMS.has(type)) {
      policy.invalidTerms.push(term);
      continue;
    }

    const qualifier = (directive[1] || '+') as SpfQualifier;
    // `ip4:192.0.2.0/24` keeps its address; `a/24` keeps its prefix length as written.
    const rest = directive[3];
    const value = rest === undefined ? undefined : rest.startsWith(':') ? rest.slice(1) : rest;
    policy.mechanisms.push(value === undefined ? { qualifier, type } : { qualifier, type, value });

    if (SPF_LOOKUP_TERMS.has(type)) policy.dnsLookups += 1;
    if (type === 'include' && value) policy.includes.push(value);
    if (type === 'ip4' && value) policy.ip4.push(value);
    if (type === 'ip6' && value) policy.ip6.push(value);
    if (type === 'all') policy.all = qualifier;
  }
  return policy;
}

/** `k=v; k=v` tag lists as DMARC, MTA-STS and TLS-RPT write them; keys lower-cased. */
export function parseTagList(record: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (key && !(key in tags)) tags[key] = part.slice(eq + 1).trim();
  }
  return tags;
}

export type DmarcPolicy = {
  record: string;
  p?: string;
  sp?: string;
  pct?: number;
  rua: string[];
  ruf: string[];
  adkim?: string;
  aspf?: string;
  fo?: string;
  rf?: string;
  ri?: number;
  tags: Record<string, string>;
};

export function isDmarcRecord(txt: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/i.test(txt.trim());
}

export function parseDmarc(record: string): DmarcPolicy {
  const tags = parseTagList(record);
  // Absent tags stay undefined and drop out when the policy is serialised.
  return {
    record,
    p: tags.p?.toLowerCase(),
    sp: tags.sp?.toLowerCase(),
    pct: wholeNumber(tags.pct),
    rua: splitUris(tags.rua),
    ruf: splitUris(tags.ruf),
    adkim: tags.adkim?.toLowerCase(),
    aspf: tags.aspf?.toLowerCase(),
    fo: tags.fo,
    rf: tags.rf,
    ri: wholeNumber(tags.ri),
    tags,
  };
}

function wholeNumber(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** `mailto:a@x.example!10m,mailto:b@y.example` → the URIs with their size limits removed. */
export function splitUris(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((uri) => uri.trim().replace(/![0-9]+[kmgt]?$/i, ''))
    .filter(Boolean);
}

/** The addresses of the `mailto:` URIs in a report list. */
export function mailtoAddresses(uris: readonly string[]): string[] {
  return uris
    .filter((uri) => /^mailto:/i.test(uri))
    .map((uri) => decodeURIComponentSafe(uri.slice('mailto:'.length).split('?')[0]));
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

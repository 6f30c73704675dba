import type { ParsedFinding } from '../../findings/finding.js';
import { isRecord, listOf, stringOf } from '../../findings/text.js';

type Json = Record<string, unknown>;

/**
 * What an IP network or autonomous-system answer says about the range: start and end, CIDRs
 * (the `cidr0` extension; handles differ per registry and are no range), name, type, country.
 */
export function rangeDetails(answer: Json): Json | undefined {
  const objectClass = stringOf(answer.objectClassName);
  if (objectClass !== 'ip network' && objectClass !== 'autnum') return undefined;

  const details: Json = {};
  const copy = (key: string) => {
    const value = stringOf(answer[key]);
    if (value) details[key] = value;
  };
  ['startAddress', 'endAddress', 'ipVersion', 'name', 'type', 'country', 'parentHandle'].forEach(
    copy,
  );
  if (typeof answer.startAutnum === 'number') details.startAutnum = answer.startAutnum;
  if (typeof answer.endAutnum === 'number') details.endAutnum = answer.endAutnum;

  const cidrs = listOf(answer.cidr0_cidrs).filter(isRecord).map(cidrOf).filter(Boolean);
  if (cidrs.length > 0) details.cidrs = cidrs;
  return Object.keys(details).length > 0 ? details : undefined;
}

function cidrOf(entry: Json): string | undefined {
  const prefix = stringOf(entry.v4prefix) ?? stringOf(entry.v6prefix);
  const length = typeof entry.length === 'number' ? entry.length : undefined;
  return prefix && length !== undefined ? `${prefix}/${length}` : undefined;
}

/**
 * Adds the range details to the OTHER finding of the queried object; what the parser already
 * put in its data wins.
 */
export function withRangeDetails(findings: ParsedFinding[], answer: Json): ParsedFinding[] {
  const details = rangeDetails(answer);
  if (!details) return findings;
  const objectClass = stringOf(answer.objectClassName);

  return findings.map((finding) => {
    const queried = finding.kind === 'OTHER' && finding.data?.objectClassName === objectClass;
    return queried ? { ...finding, data: { ...details, ...finding.data } } : finding;
  });
}

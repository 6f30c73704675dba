import type { ParsedFinding } from '../../findings/finding.js';
import { normalizeHost, normalizeIp } from '../../findings/normalize.js';

/**
 * Findings of one host entry as theHarvester writes it: `name`, `*.name`, `name:ip`,
 * `name:ip1, ip2`, `name:IPv6` or `name:cname-target`. The name is the text before the first
 * `:`; what follows is addresses or the CNAME target the name points to.
 */
export function hostEntryFindings(entry: string): ParsedFinding[] {
  // A bare IPv6 address would otherwise split into a bogus name and a bogus address.
  if (normalizeIp(entry)) return [];

  const colon = entry.indexOf(':');
  const name = normalizeHost(colon < 0 ? entry : entry.slice(0, colon));
  const rest = colon < 0 ? '' : entry.slice(colon + 1);

  const addresses: string[] = [];
  const targets: string[] = [];
  for (const part of rest.split(',')) {
    const ip = normalizeIp(part);
    if (ip) addresses.push(ip);
    const target = ip ? undefined : normalizeHost(part);
    if (target) targets.push(target);
  }

  const out: ParsedFinding[] = [];
  if (name) {
    const data: Record<string, unknown> = {};
    if (addresses.length > 0) data.addresses = addresses;
    if (targets.length > 0) data.cname = targets;
    out.push(withData({ kind: 'HOST', value: name }, data));
  }
  for (const ip of addresses) out.push(withData({ kind: 'IP', value: ip }, hostnamesOf(name)));
  for (const target of targets) out.push(withData({ kind: 'HOST', value: target }, cnameOf(name)));
  return out;
}

/**
 * Findings of one virtual-host entry: the host names in `ip:vhost`, `ip<TAB>vhost` or a bare
 * name. The address part is not a finding of its own.
 */
export function vhostEntryFindings(entry: string): ParsedFinding[] {
  const out: ParsedFinding[] = [];
  for (const token of entry.split(/[\s,]+/)) {
    const host = normalizeHost(token) ?? normalizeHost(token.slice(token.lastIndexOf(':') + 1));
    if (host) out.push({ kind: 'HOST', value: host, data: { vhost: true } });
  }
  return out;
}

function hostnamesOf(name: string | undefined): Record<string, unknown> {
  return name ? { hostnames: [name] } : {};
}

function cnameOf(name: string | undefined): Record<string, unknown> {
  return name ? { cnameOf: [name] } : {};
}

function withData(finding: ParsedFinding, data: Record<string, unknown>): ParsedFinding {
  return Object.keys(data).length > 0 ? { ...finding, data } : finding;
}

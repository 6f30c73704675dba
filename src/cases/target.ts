import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

import type { Target } from '../tools/tool.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const EMAIL_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;

/** A domain name in ASCII (IDN converted to punycode), or undefined when it is not one. */
export function toDomain(raw: string): string | undefined {
  const trimmed = raw.trim().replace(/\.$/, '');
  if (trimmed.length === 0 || trimmed.length > 253 || !trimmed.includes('.')) return undefined;
  if (/[\s/\\@:]/.test(trimmed)) return undefined;

  const ascii = domainToASCII(trimmed.toLowerCase());
  if (!ascii || ascii.length > 253) return undefined;

  const labels = ascii.split('.');
  if (!labels.every((label) => LABEL.test(label))) return undefined;
  return TLD.test(labels[labels.length - 1]) ? ascii : undefined;
}

export function toEmail(raw: string): string | undefined {
  const trimmed = raw.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || trimmed.indexOf('@') !== at) return undefined;

  const local = trimmed.slice(0, at);
  const domain = toDomain(trimmed.slice(at + 1));
  if (!domain || !EMAIL_LOCAL.test(local) || local.startsWith('.') || local.endsWith('.')) {
    return undefined;
  }
  return `${local.toLowerCase()}@${domain}`;
}

/** Canonical text of an IPv4 or IPv6 address (IPv6 compressed, lower-case). */
export function toIp(raw: string): string | undefined {
  const trimmed = raw.trim().replace(/^\[(.*)\]$/, '$1');
  const version = isIP(trimmed);
  if (version === 4)
    return trimmed
      .split('.')
      .map((part) => String(Number(part)))
      .join('.');
  // Zone ids (fe80::1%eth0) are local to one machine and no target; isIP accepts them.
  if (version === 6) {
    return trimmed.includes('%')
      ? undefined
      : new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
  }
  return undefined;
}

/**
 * Decides what a target is: an IP address, an email, a domain, or else a username.
 * Returns undefined for text that is none of them.
 */
export function detectTarget(raw: string): Target | undefined {
  const ip = toIp(raw);
  if (ip) return { kind: 'IP', value: ip };

  if (raw.includes('@')) {
    const email = toEmail(raw);
    return email ? { kind: 'EMAIL', value: email } : undefined;
  }

  const domain = toDomain(raw);
  if (domain) return { kind: 'DOMAIN', value: domain };

  const trimmed = raw.trim();
  return USERNAME.test(trimmed) && !trimmed.includes('..') && !/^[\d.]+$/.test(trimmed)
    ? { kind: 'USERNAME', value: trimmed }
    : undefined;
}

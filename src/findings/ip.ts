import { isIP } from 'node:net';

/**
 * Canonical text of an IP address, or undefined when `raw` is not one. IPv4 stays dotted quad;
 * IPv6 follows RFC 5952: lower case, no leading zeros, the longest run of two or more zero
 * groups compressed (the first on a tie), and IPv4-mapped addresses in mixed notation.
 * Addresses with a zone (`fe80::1%eth0`) are refused: they name a local interface, not a host.
 */
export function canonicalIp(raw: string): string | undefined {
  let text = raw.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes('%')) return undefined;

  const family = isIP(text);
  if (family === 4) return text;
  if (family === 6) return canonicalIpv6(text);
  return undefined;
}

function canonicalIpv6(text: string): string {
  const groups = expandIpv6(text.toLowerCase());

  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped)
    return `::ffff:${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;

  const [start, length] = longestZeroRun(groups);
  const hex = groups.map((g) => g.toString(16));
  if (length < 2) return hex.join(':');
  return `${hex.slice(0, start).join(':')}::${hex.slice(start + length).join(':')}`;
}

/** Eight 16-bit groups of a valid IPv6 address (validated by `isIP` before). */
function expandIpv6(text: string): number[] {
  let body = text;
  const tail: number[] = [];

  // A trailing dotted quad stands for the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(body);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    body = body.slice(0, quad.index);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }

  const [head, rest] = body.includes('::') ? body.split('::') : [body, undefined];
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = 8 - left.length - right.length - tail.length;
  return [...left, ...new Array<number>(Math.max(missing, 0)).fill(0), ...right, ...tail];
}

function longestZeroRun(groups: number[]): [number, number] {
  let best: [number, number] = [0, 0];
  let start = -1;
  for (let i = 0; i <= groups.length; i += 1) {
    if (i < groups.length && groups[i] === 0) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start > best[1]) best = [start, i - start];
    start = -1;
  }
  return best;
}

import type { IncomingMessage } from 'node:http';

/**
 * The caller's address. Behind `hops` trusted proxies it is the entry those proxies appended to
 * X-Forwarded-For (counted from the right); entries further left are the client's own claims.
 */
export function clientAddressOf(req: IncomingMessage, hops: number): string {
  const socketAddress = req.socket?.remoteAddress ?? 'unknown';
  if (hops === 0) return socketAddress;

  const header = req.headers['x-forwarded-for'];
  const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const claimed = entries[entries.length - hops];
  return claimed && /^[0-9A-Fa-f:.]{2,45}$/.test(claimed) ? claimed : socketAddress;
}

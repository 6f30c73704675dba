import type { IncomingHttpHeaders } from 'node:http';

import type { AppConfig } from '../config/config.js';

type OriginConfig = Pick<AppConfig, 'ALLOWED_ORIGINS'>;

export type OriginDecision =
  { allowed: true; headers: Record<string, string> } | { allowed: false; origin: string };

const EXPOSED = 'X-Request-ID, Retry-After';

/**
 * Whether a browser page at the request's Origin may call the API, and the CORS headers that
 * say so. Requests without Origin (other programs) and same-origin pages pass; others need an
 * ALLOWED_ORIGINS entry. `*` allows any origin but never with credentials.
 */
export function originDecision(config: OriginConfig, headers: IncomingHttpHeaders): OriginDecision {
  const origin = headers.origin;
  if (!origin) return { allowed: true, headers: {} };

  const normalized = origin.toLowerCase().replace(/\/+$/, '');
  const listed = config.ALLOWED_ORIGINS.map((o) => o.toLowerCase().replace(/\/+$/, ''));
  if (listed.includes(normalized)) {
    return {
      allowed: true,
      headers: {
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Expose-Headers': EXPOSED,
        Vary: 'Origin',
      },
    };
  }
  if (listed.includes('*')) {
    return {
      allowed: true,
      headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': EXPOSED },
    };
  }
  if (sameOrigin(normalized, headers.host)) return { allowed: true, headers: {} };
  return { allowed: false, origin };
}

/** Headers answering a CORS preflight from an allowed origin. */
export function preflightHeaders(decision: { headers: Record<string, string> }) {
  return {
    ...decision.headers,
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Accept, X-API-Key, X-Request-ID',
    'Access-Control-Max-Age': '600',
  };
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * In production with ALLOWED_HOSTS set, the Host header must name one of them. Entries are host
 * names, `host:port`, or `.example.com` for a domain and its subdomains.
 *
 * In development without a key the API is open to anyone who reaches it, so when it listens on
 * loopback only loopback names are served: a page on a name rebound to 127.0.0.1 (DNS rebinding)
 * is same-origin for the browser, and only its Host header gives it away.
 */
export function hostAllowed(
  config: Pick<AppConfig, 'ENVIRONMENT' | 'ALLOWED_HOSTS' | 'HOST' | 'OSINT_API_KEY'>,
  hostHeader: string | undefined,
): boolean {
  const production = config.ENVIRONMENT === 'production';
  const openLoopback =
    !production && !config.OSINT_API_KEY && ['127.0.0.1', '::1', 'localhost'].includes(config.HOST);
  const allowed = production ? config.ALLOWED_HOSTS : openLoopback ? LOOPBACK_NAMES : [];
  if (allowed.length === 0) return true;
  if (!hostHeader) return false;

  const host = hostHeader.trim().toLowerCase();
  const hostname = host.startsWith('[')
    ? host.slice(0, host.indexOf(']') + 1)
    : host.replace(/:\d+$/, '');
  return allowed.some((entry) => {
    const name = entry.toLowerCase();
    if (name === '*') return true;
    if (name.startsWith('.')) return hostname === name.slice(1) || hostname.endsWith(name);
    return hostname === name || host === name;
  });
}

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

/**
 * In production with ALLOWED_HOSTS set, the Host header must name one of them (DNS rebinding
 * defence). Entries are host names, `host:port`, or `.example.com` for a domain and its
 * subdomains.
 */
export function hostAllowed(
  config: Pick<AppConfig, 'ENVIRONMENT' | 'ALLOWED_HOSTS'>,
  hostHeader: string | undefined,
): boolean {
  if (config.ENVIRONMENT !== 'production' || config.ALLOWED_HOSTS.length === 0) return true;
  if (!hostHeader) return false;

  const host = hostHeader.trim().toLowerCase();
  const hostname = host.startsWith('[')
    ? host.slice(0, host.indexOf(']') + 1)
    : host.replace(/:\d+$/, '');
  return config.ALLOWED_HOSTS.some((entry) => {
    const allowed = entry.toLowerCase();
    if (allowed === '*') return true;
    if (allowed.startsWith('.')) return hostname === allowed.slice(1) || hostname.endsWith(allowed);
    return hostname === allowed || host === allowed;
  });
}

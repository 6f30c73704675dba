import { redactText } from './redact.js';

import type { HttpErrorCode } from './errors.js';

/** How a request that got no usable answer failed, and whether trying again can help. */
export interface Failure {
  code: HttpErrorCode;
  /** Short, secret-free text for the message: "connection refused (ECONNREFUSED)". */
  detail: string;
  /** Safe to repeat whatever the method: the request never reached the server. */
  retryAlways: boolean;
  /** Safe to repeat for idempotent requests (the server may have seen it). */
  retryIdempotent: boolean;
}

const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN', 'EHOSTUNREACH']);
const DROPPED = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'Z_BUF_ERROR',
]);

const DESCRIPTIONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  ERR_STREAM_PREMATURE_CLOSE: 'answer cut off',
};

/** Certificate problems: retrying cannot help, and the fix is a setting, so say which. */
const TLS_CODES = /^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_TLS_CERT|ERR_SSL_)/;

/** Classifies a thrown network error (undici wraps some in `cause`). */
export function classifyFailure(err: unknown): Failure {
  const code = errorCode(err);

  if (code && TLS_CODES.test(code)) {
    return {
      code: 'HTTP_UNREACHABLE',
      detail: `TLS certificate not trusted (${code}); set TLS_CA_FILE to the CA that issued it`,
      retryAlways: false,
      retryIdempotent: false,
    };
  }

  const described = code ? DESCRIPTIONS[code] : undefined;
  const detail = described
    ? `${described} (${code})`
    : redactText(err instanceof Error ? err.message : String(err)) || 'request failed';

  return {
    code: 'HTTP_UNREACHABLE',
    detail,
    retryAlways: code !== undefined && NOT_SENT.has(code),
    retryIdempotent: code !== undefined && (NOT_SENT.has(code) || DROPPED.has(code)),
  };
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

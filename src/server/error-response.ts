import type { ServerResponse } from 'node:http';

import type { ErrorCode } from '../errors/app-error.js';

/**
 * Refuses a request before GraphQL sees it, in the GraphQL response shape so clients read the
 * code where they always do. The connection is closed when the body was not read.
 */
export function sendError(
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  options: { headers?: Record<string, string>; close?: boolean } = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(options.close ? { connection: 'close' } : {}),
    ...options.headers,
  });
  res.end(body);
}

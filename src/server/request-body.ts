import type { IncomingMessage } from 'node:http';

import type { ErrorCode } from '../errors/app-error.js';

/** A request refused while reading its body. `unread` means the rest of it was never read. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly unread = false,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

const JSON_TYPES = ['application/json', 'application/graphql+json'];

/**
 * Reads a GraphQL POST body, refusing before it is parsed: a body type other than JSON (which
 * also keeps cross-site HTML forms out), a declared or actual size over `limit`, and bytes that
 * are not UTF-8 (decoding would otherwise replace them silently).
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const [type, ...params] = (req.headers['content-type'] ?? '').split(';').map((p) => p.trim());
  const charset = params.find((p) => p.toLowerCase().startsWith('charset='));
  if (!JSON_TYPES.includes(type.toLowerCase()) || (charset && !/=\s*"?utf-8"?$/i.test(charset))) {
    throw new BodyError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', true);
  }

  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    if (!/^\d+$/.test(declared)) {
      throw new BodyError(400, 'BAD_REQUEST', 'Content-Length is not a number', true);
    }
    if (Number(declared) > limit) throw tooLarge(limit);
  }

  const body = await collect(req, limit);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new BodyError(400, 'BAD_REQUEST', 'the request body is not valid UTF-8');
  }
  return body;
}

/**
 * The body, stopping (without destroying the socket, so the refusal can still be sent) as soon
 * as it passes the limit.
 */
function collect(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(new BodyError(400, 'BAD_REQUEST', 'the request body ended early', true));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function tooLarge(limit: number): BodyError {
  return new BodyError(413, 'PAYLOAD_TOO_LARGE', `the request body is over ${limit} bytes`, true);
}

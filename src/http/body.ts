import { pipeline, type Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** Undoes a `Content-Encoding` the client asked for; other encodings pass through untouched. */
export function decodeBody(body: Readable, encoding: string | undefined): Readable {
  const decoder = decoderFor(encoding?.trim().toLowerCase());
  if (!decoder) return body;

  // pipeline() forwards an error on either side to the other and destroys both.
  return pipeline(body, decoder, () => {});
}

function decoderFor(encoding: string | undefined) {
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'br') return createBrotliDecompress();
  return undefined;
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a whole body as UTF-8, refusing more than `limit` bytes so one answer cannot fill memory. */
export async function readBodyText(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;

  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      body.destroy();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The start of an error answer's body (for messages a service puts there); never throws. */
export async function readBodySnippet(body: Readable, limit = 4096): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;

  try {
    for await (const chunk of body) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      chunks.push(buf);
      size += buf.length;
      if (size >= limit) break;
    }
  } catch {
    // A body that breaks off is still worth its first bytes.
  } finally {
    body.destroy();
  }
  return size === 0 ? undefined : Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

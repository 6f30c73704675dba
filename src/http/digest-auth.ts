import { createHash, randomBytes } from 'node:crypto';

/** HTTP Digest authentication (RFC 7616, qop=auth), as SpiderFoot's CherryPy server asks for. */

export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop: string[];
  algorithm: string;
  opaque?: string;
  /** The server knew the credentials but the nonce expired: answer the new nonce, same secret. */
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

/** Reads a `WWW-Authenticate: Digest …` header; undefined for other schemes or bad headers. */
export function parseDigestChallenge(header: string | undefined): DigestChallenge | undefined {
  const match = header?.match(/^\s*Digest\s+(.*)$/is);
  if (!match) return undefined;

  const params = new Map<string, string>();
  const pair = /([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/gi;
  for (const m of match[1].matchAll(pair)) {
    params.set(m[1].toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]);
  }

  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || !nonce) return undefined;

  return {
    realm,
    nonce,
    qop: (params.get('qop') ?? '')
      .split(',')
      .map((q) => q.trim())
      .filter(Boolean),
    algorithm: params.get('algorithm') ?? 'MD5',
    opaque: params.get('opaque'),
    stale: params.get('stale')?.toLowerCase() === 'true',
  };
}

export interface DigestInput {
  challenge: DigestChallenge;
  credentials: DigestCredentials;
  method: string;
  /** The request target as sent: path and query. */
  uri: string;
  /** Requests made with this nonce so far, this one included. */
  nc: number;
  cnonce?: string;
}

/** The `Authorization` header value answering a challenge. */
export function digestAuthorization(input: DigestInput): string {
  const { challenge, credentials, method, uri } = input;
  const algorithm = challenge.algorithm.toUpperCase();
  const hash = hasher(algorithm);
  const cnonce = input.cnonce ?? randomBytes(8).toString('hex');
  const nc = input.nc.toString(16).padStart(8, '0');

  let ha1 = hash(`${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (algorithm.endsWith('-SESS')) ha1 = hash(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = hash(`${method}:${uri}`);

  const useQop = challenge.qop.includes('auth');
  const response = useQop
    ? hash(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : hash(`${ha1}:${challenge.nonce}:${ha2}`);

  const parts = [
    `username="${quote(credentials.username)}"`,
    `realm="${quote(challenge.realm)}"`,
    `nonce="${quote(challenge.nonce)}"`,
    `uri="${quote(uri)}"`,
    `algorithm=${challenge.algorithm}`,
    `response="${response}"`,
  ];
  if (useQop) parts.push('qop=auth', `nc=${nc}`, `cnonce="${cnonce}"`);
  if (challenge.opaque !== undefined) parts.push(`opaque="${quote(challenge.opaque)}"`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * Keeps the last challenge of one server so later requests authenticate up front instead of
 * paying a 401 round trip each; `nc` counts the uses of the nonce as the scheme requires.
 */
export class DigestSession {
  private challenge?: DigestChallenge;
  private nc = 0;

  constructor(private readonly credentials: DigestCredentials) {}

  /** The header for a request, or undefined before any challenge was seen. */
  authorize(method: string, uri: string): string | undefined {
    if (!this.challenge) return undefined;
    this.nc += 1;
    return digestAuthorization({
      challenge: this.challenge,
      credentials: this.credentials,
      method,
      uri,
      nc: this.nc,
    });
  }

  /** Takes a new challenge from a 401; false when the header offers no Digest challenge. */
  accept(header: string | undefined): boolean {
    const challenge = parseDigestChallenge(header);
    if (!challenge) return false;
    this.challenge = challenge;
    this.nc = 0;
    return true;
  }
}

function hasher(algorithm: string): (text: string) => string {
  const name = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  return (text) => createHash(name).update(text, 'utf8').digest('hex');
}

function quote(value: string): string {
  return value.replace(/(["\\])/g, '\\$1');
}

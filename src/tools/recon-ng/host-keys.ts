import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { Logger } from 'pino';

/**
 * Host key checking against an OpenSSH known_hosts file: plain names, `[host]:port`, patterns
 * with `*`/`?`/`!`, and hashed `|1|salt|hash` names (HMAC-SHA1 of the name keyed by the salt).
 */

export type HostKeyErrorCode =
  'HOST_KEY_UNKNOWN' | 'HOST_KEY_CHANGED' | 'HOST_KEY_REVOKED' | 'KNOWN_HOSTS_UNSET';

export class HostKeyError extends Error {
  constructor(
    readonly code: HostKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HostKeyError';
  }
}

interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  patterns: string[];
  keyType: string;
  key: Buffer;
}

/** Parses known_hosts text; malformed lines are skipped as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;

    const fields = line.split(/\s+/);
    const marker =
      fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields[0] : undefined;
    if (marker) fields.shift();
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64) continue;

    entries.push({
      marker,
      patterns: hosts.split(','),
      keyType,
      key: Buffer.from(keyBase64, 'base64'),
    });
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function matchesHashed(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function matchesWildcard(pattern: string, name: string): boolean {
  const regex = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${regex}$`).test(name.toLowerCase());
}

/** A host line applies when one pattern matches and no negated (`!`) pattern does. */
function entryMatches(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('|')) {
      if (matchesHashed(pattern, name)) matched = true;
    } else if (pattern.startsWith('!')) {
      if (matchesWildcard(pattern.slice(1), name)) return false;
    } else if (matchesWildcard(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The algorithm name at the start of an SSH public key blob (`ssh-ed25519`, `ecdsa-…`). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -l` prints it: unpadded base64 of the blob's SHA-256. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

export type HostKeyStatus = 'known' | 'unknown' | 'changed' | 'revoked';

/**
 * Compares a presented key with the entries for one host name. A host that has entries but
 * none with this exact key counts as changed, whatever the key types: a server that suddenly
 * presents another algorithm is treated like one that presents another key.
 */
export function checkHostKey(entries: KnownHostEntry[], name: string, key: Buffer): HostKeyStatus {
  const forHost = entries.filter((e) => e.marker !== '@cert-authority' && entryMatches(e, name));
  if (forHost.some((e) => e.marker === '@revoked' && e.key.equals(key))) return 'revoked';

  const matching = forHost.filter((e) => !e.marker);
  if (matching.some((e) => e.key.equals(key))) return 'known';
  return matching.length > 0 ? 'changed' : 'unknown';
}

export interface HostKeyPolicy {
  knownHostsPath: string | undefined;
  host: string;
  port: number;
  /** Production never trusts a new key; development pins it on first sight. */
  pinUnknown: boolean;
}

// One writer per file inside this process, so two first connections do not both append.
const fileLocks = new Map<string, Promise<unknown>>();

function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const previous = fileLocks.get(path) ?? Promise.resolve();
  const next = previous.then(work, work);
  fileLocks.set(
    path,
    next.catch(() => undefined),
  );
  return next;
}

async function readKnownHosts(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/**
 * Resolves when `key` may be trusted for the host, pinning it first when the policy allows;
 * throws a HostKeyError otherwise. A changed or revoked key fails under every policy.
 */
export async function verifyHostKey(
  policy: HostKeyPolicy,
  key: Buffer,
  log: Logger,
): Promise<void> {
  const path = policy.knownHostsPath;
  if (!path) {
    throw new HostKeyError('KNOWN_HOSTS_UNSET', 'RECONNG_SSH_KNOWN_HOSTS is not set');
  }
  const name = knownHostsName(policy.host, policy.port);
  const keyType = keyTypeOf(key);
  const fields = { host: name, keyType, fingerprint: fingerprint(key), knownHosts: path };

  await withFileLock(path, async () => {
    const status = checkHostKey(parseKnownHosts(await readKnownHosts(path)), name, key);
    if (status === 'known') return;

    if (status === 'changed' || status === 'revoked') {
      log.error(fields, 'ssh host key does not match known_hosts');
      throw new HostKeyError(
        status === 'changed' ? 'HOST_KEY_CHANGED' : 'HOST_KEY_REVOKED',
        `host key for ${name} ${status === 'changed' ? 'has CHANGED' : 'is revoked'} ` +
          `(${fields.fingerprint}); refusing to connect`,
      );
    }

    if (!policy.pinUnknown) {
      throw new HostKeyError(
        'HOST_KEY_UNKNOWN',
        `host key for ${name} (${keyType} ${fields.fingerprint}) is not in ${path}; ` +
          'add it to known_hosts before connecting',
      );
    }

    await pinHostKey(path, name, key);
    log.warn(fields, 'ssh host key was unknown and is now pinned in known_hosts');
  });
}

async function pinHostKey(path: string, name: string, key: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const current = await readKnownHosts(path);
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  const line = `${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
  await appendFile(path, separator + line, { mode: 0o600 });
}

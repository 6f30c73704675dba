import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  checkHostKey,
  fingerprint,
  HostKeyError,
  keyTypeOf,
  knownHostsName,
  parseKnownHosts,
  verifyHostKey,
} from '../../../src/tools/recon-ng/host-keys.js';
import { generateKey } from '../../support/sshd.js';

const run = promisify(execFile);
const log = pino({ level: 'silent' });

let dir: string;
let keyA: { line: string; blob: Buffer };
let keyB: { line: string; blob: Buffer };

async function key(name: string) {
  const line = (await generateKey(join(dir, name))).split(' ').slice(0, 2).join(' ');
  return { line, blob: Buffer.from(line.split(' ')[1]!, 'base64') };
}

/** known_hosts text hashed by OpenSSH itself. */
async function hashed(text: string): Promise<string> {
  const path = join(dir, `known_hosts_${Math.random().toString(36).slice(2)}`);
  await writeFile(path, text);
  await run('ssh-keygen', ['-q', '-H', '-f', path]);
  return readFile(path, 'utf8');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loom-known-hosts-'));
  keyA = await key('a');
  keyB = await key('b');
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('known_hosts matching', () => {
  it('names non-standard ports in brackets', () => {
    expect(knownHostsName('127.0.0.1', 22)).toBe('127.0.0.1');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('reads the key type and fingerprints like ssh-keygen -l', async () => {
    expect(keyTypeOf(keyA.blob)).toBe('ssh-ed25519');
    const { stdout } = await run('ssh-keygen', ['-l', '-f', join(dir, 'a.pub')]);
    expect(stdout.split(' ')[1]).toBe(fingerprint(keyA.blob));
  });

  it('finds plain, bracketed and pattern entries', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `other.example,[127.0.0.1]:2222 ${keyA.line}`,
        `*.lab.example,!bad.lab.example ${keyB.line}`,
        'garbage',
      ].join('\n'),
    );
    expect(checkHostKey(entries, '[127.0.0.1]:2222', keyA.blob)).toBe('known');
    expect(checkHostKey(entries, '[127.0.0.1]:2223', keyA.blob)).toBe('unknown');
    expect(checkHostKey(entries, '127.0.0.1', keyA.blob)).toBe('unknown');
    expect(checkHostKey(entries, '[127.0.0.1]:2222', keyB.blob)).toBe('changed');
    expect(checkHostKey(entries, 'x.lab.example', keyB.blob)).toBe('known');
    expect(checkHostKey(entries, 'bad.lab.example', keyB.blob)).toBe('unknown');
  });

  it('matches entries hashed by ssh-keygen -H, port form included', async () => {
    const text = await hashed(`[127.0.0.1]:2222 ${keyA.line}\nhost.example ${keyB.line}\n`);
    expect(text).toMatch(/^\|1\|/);
    expect(text).not.toContain('127.0.0.1');

    const entries = parseKnownHosts(text);
    expect(checkHostKey(entries, '[127.0.0.1]:2222', keyA.blob)).toBe('known');
    expect(checkHostKey(entries, 'host.example', keyB.blob)).toBe('known');
    expect(checkHostKey(entries, '[127.0.0.1]:2222', keyB.blob)).toBe('changed');
    expect(checkHostKey(entries, '[127.0.0.1]:2223', keyA.blob)).toBe('unknown');
  });

  it('treats a revoked key as revoked even when also listed', () => {
    const entries = parseKnownHosts(
      `host.example ${keyA.line}\n@revoked host.example ${keyA.line}\n`,
    );
    expect(checkHostKey(entries, 'host.example', keyA.blob)).toBe('revoked');
  });
});

describe('verifyHostKey', () => {
  const policy = (path: string, pinUnknown: boolean) => ({
    knownHostsPath: path,
    host: '127.0.0.1',
    port: 2222,
    pinUnknown,
  });

  async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
    try {
      await promise;
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(HostKeyError);
      return (err as HostKeyError).code;
    }
  }

  it('refuses an unknown key without pinning when pinning is off', async () => {
    const path = join(dir, 'strict');
    await writeFile(path, `host.example ${keyB.line}\n`);
    expect(await codeOf(verifyHostKey(policy(path, false), keyA.blob, log))).toBe(
      'HOST_KEY_UNKNOWN',
    );
    expect(await readFile(path, 'utf8')).toBe(`host.example ${keyB.line}\n`);
  });

  it('pins an unknown key once, in a file ssh-keygen can find it in', async () => {
    const path = join(dir, 'sub', 'pinned');
    await Promise.all([
      verifyHostKey(policy(path, true), keyA.blob, log),
      verifyHostKey(policy(path, true), keyA.blob, log),
    ]);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(`[127.0.0.1]:2222 ${keyA.line}\n`);

    const { stdout } = await run('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', path]);
    expect(stdout).toContain(keyA.line);
    await verifyHostKey(policy(path, false), keyA.blob, log);
  });

  it('refuses a changed key even when pinning is on, and leaves the file alone', async () => {
    const path = join(dir, 'changed');
    const text = await hashed(`[127.0.0.1]:2222 ${keyA.line}\n`);
    await writeFile(path, text);
    expect(await codeOf(verifyHostKey(policy(path, true), keyB.blob, log))).toBe(
      'HOST_KEY_CHANGED',
    );
    expect(await codeOf(verifyHostKey(policy(path, false), keyB.blob, log))).toBe(
      'HOST_KEY_CHANGED',
    );
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('needs a known_hosts path', async () => {
    const unset = { ...policy('', true), knownHostsPath: undefined };
    expect(await codeOf(verifyHostKey(unset, keyA.blob, log))).toBe('KNOWN_HOSTS_UNSET');
  });
});

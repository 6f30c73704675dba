import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { testConfig } from '../../src/config/config.js';
import {
  closeHttpClients,
  HttpError,
  httpClientFor,
  trustedCertificates,
} from '../../src/http/client.js';
import { startReplayServer, type ReplayServer } from '../support/replay-server.js';

const run = promisify(execFile);

let dir: string;
let server: ReplayServer;

/** A private CA and a server certificate for 127.0.0.1 signed by it, made fresh for this run. */
async function makeCertificates(folder: string) {
  const file = (name: string) => join(folder, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Loom Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '2',
    '-extfile',
    file('ext.cnf'),
  ]);

  return {
    caFile: file('ca.pem'),
    key: await readFile(file('server.key')),
    cert: await readFile(file('server.pem')),
  };
}

let caFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loom-tls-'));
  const certs = await makeCertificates(dir);
  caFile = certs.caFile;
  server = await startReplayServer([{ path: '/ping', reply: { json: ['SUCCESS', '4.0.0'] } }], {
    tls: { key: certs.key, cert: certs.cert },
  });
});

afterAll(async () => {
  await server?.close();
  await closeHttpClients();
  await rm(dir, { recursive: true, force: true });
});

describe('TLS verification', () => {
  it('rejects a server whose CA is not trusted, saying which setting fixes it', async () => {
    const client = httpClientFor(testConfig());

    const err = await client
      .getJson(`${server.url}/ping`, {
        signal: new AbortController().signal,
        service: 'spiderfoot',
      })
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('HTTP_UNREACHABLE');
    expect((err as HttpError).message).toMatch(
      /^spiderfoot: GET https:\/\/127\.0\.0\.1:\d+\/ping failed: TLS certificate not trusted \(\w+\); set TLS_CA_FILE/,
    );
    // A certificate problem is not transient: one attempt only.
    expect((err as HttpError).attempts).toBe(1);
  });

  it('accepts the server once TLS_CA_FILE names its CA', async () => {
    const client = httpClientFor(testConfig({ TLS_CA_FILE: caFile }));

    const data = await client.getJson(`${server.url}/ping`, {
      signal: new AbortController().signal,
      service: 'spiderfoot',
    });

    expect(data).toEqual(['SUCCESS', '4.0.0']);
  });

  it('trusts the public roots alongside the private CA', async () => {
    const pem = await readFile(caFile, 'utf8');
    const trusted = trustedCertificates(caFile) ?? [];

    expect(trusted).toEqual([...rootCertificates, pem]);
    expect(trustedCertificates(undefined)).toBeUndefined();
  });

  it('keeps one client per CA file', () => {
    const plain = httpClientFor(testConfig());
    const withCa = httpClientFor(testConfig({ TLS_CA_FILE: caFile }));

    expect(httpClientFor(testConfig())).toBe(plain);
    expect(httpClientFor(testConfig({ TLS_CA_FILE: caFile }))).toBe(withCa);
    expect(withCa).not.toBe(plain);
  });

  it('fails clearly when TLS_CA_FILE cannot be read', () => {
    expect(() => httpClientFor(testConfig({ TLS_CA_FILE: join(dir, 'missing.pem') }))).toThrow(
      /TLS_CA_FILE .*missing\.pem cannot be read \(ENOENT\)/,
    );
  });
});

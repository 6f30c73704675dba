import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  type ArchivedCase,
  ArchiveError,
  type CaseArchive,
  createCaseArchive,
} from '../../src/archive/couch-archive.js';
import { testConfig } from '../../src/config/config.js';
import { type PouchdbServer, startPouchdb } from '../support/pouchdb.js';

const log = pino({ level: 'silent' });

function archivedCase(id: string, title = 'Example Corp perimeter'): ArchivedCase {
  return {
    _id: id,
    archivedAt: new Date().toISOString(),
    case: {
      id,
      title,
      description: null,
      target: 'example.com',
      targetKind: 'DOMAIN',
      status: 'COMPLETED',
      createdAt: '2026-03-01T10:00:00.000Z',
      startedAt: '2026-03-01T10:00:01.000Z',
      finishedAt: '2026-03-01T10:05:00.000Z',
    },
    runs: [
      {
        id: 'run-1',
        tool: 'dns',
        status: 'SUCCEEDED',
        startedAt: '2026-03-01T10:00:01.000Z',
        finishedAt: '2026-03-01T10:00:02.000Z',
        error: null,
        findingCount: 1,
      },
    ],
    findings: [{ kind: 'IP', value: '93.184.216.34', tools: ['dns'], data: { record: 'A' } }],
    reports: [
      { generator: 'loom', markdown: '# Example Corp', createdAt: '2026-03-01T10:05:00.000Z' },
    ],
  };
}

let couch: PouchdbServer;

beforeAll(async () => {
  couch = await startPouchdb();
});

afterAll(async () => {
  await couch?.stop();
});

function archiveFor(database: string, url = couch.url): CaseArchive {
  const archive = createCaseArchive(testConfig({ COUCHDB_URL: url, COUCHDB_DB: database }), log, {
    attempts: 3,
    baseDelayMs: 20,
    requestTimeoutMs: 2000,
  });
  if (!archive) throw new Error('no archive');
  return archive;
}

async function getDoc(database: string, id: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${couch.url}/${database}/${encodeURIComponent(id)}`, {
    headers: { accept: 'application/json' },
  });
  return { status: response.status, body: await response.json() };
}

describe('createCaseArchive', () => {
  it('is undefined without COUCHDB_URL', () => {
    expect(createCaseArchive(testConfig({}), log)).toBeUndefined();
  });

  it('refuses a database name CouchDB would reject', () => {
    expect(() =>
      createCaseArchive(testConfig({ COUCHDB_URL: couch.url, COUCHDB_DB: 'Bad Name' }), log),
    ).toThrow(ArchiveError);
  });
});

describe('CouchDB case archive (pouchdb-server)', () => {
  it('creates the database when missing and stores the case under its id', async () => {
    const before = await fetch(`${couch.url}/archive_create`, {
      headers: { accept: 'application/json' },
    });
    expect(before.status).toBe(404);

    const result = await archiveFor('archive_create').store(archivedCase('case-1'));

    expect(result).toMatchObject({ ok: true, rev: expect.stringMatching(/^1-/) });
    const stored = await getDoc('archive_create', 'case-1');
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({
      _id: 'case-1',
      case: { title: 'Example Corp perimeter', target: 'example.com' },
      findings: [{ kind: 'IP', value: '93.184.216.34', tools: ['dns'], data: { record: 'A' } }],
    });
  });

  it('replaces an archived case with a new revision', async () => {
    const archive = archiveFor('archive_update');
    const first = await archive.store(archivedCase('case-2', 'first title'));
    const second = await archive.store(archivedCase('case-2', 'second title'));

    expect(first.ok && second.ok).toBe(true);
    const rev = (r: typeof first) => (r.ok ? r.rev : '');
    expect(rev(second)).toMatch(/^2-/);
    expect(rev(second)).not.toBe(rev(first));

    const loaded = await archive.load('case-2');
    expect(loaded?._rev).toBe(rev(second));
    expect(loaded?.case.title).toBe('second title');
  });

  it('ignores a stale _rev passed in by the caller', async () => {
    const archive = archiveFor('archive_stale');
    await archive.store(archivedCase('case-3'));
    await archive.store(archivedCase('case-3'));
    const stale = {
      ...archivedCase('case-3', 'third'),
      _rev: '1-00000000000000000000000000000000',
    };

    const result = await archive.store(stale);
    expect(result).toMatchObject({ ok: true, rev: expect.stringMatching(/^3-/) });
  });

  it('lets concurrent writers of one case all succeed', async () => {
    const archive = archiveFor('archive_race');
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => archive.store(archivedCase('case-4', `writer ${i}`))),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const loaded = await archive.load('case-4');
    expect(loaded?._rev).toMatch(/^4-/);
  });

  it('returns a rejection for an id CouchDB refuses, without retrying or throwing', async () => {
    const result = await archiveFor('archive_bad_id').store(archivedCase('_reserved'));
    expect(result).toMatchObject({ ok: false, error: { code: 'ARCHIVE_REJECTED', status: 400 } });
  });

  it('returns undefined when loading a case that was never archived', async () => {
    const archive = archiveFor('archive_load');
    await archive.store(archivedCase('present'));
    await expect(archive.load('absent')).resolves.toBeUndefined();
  });

  it('reports health, including a database not created yet', async () => {
    await expect(archiveFor('archive_health_new').health()).resolves.toMatchObject({ ok: true });
  });

  // pouchdb-server closes every connection once an admin is configured, so CouchDB's 401 answer
  // comes from a loopback stand-in here.
  it('sends COUCHDB_USER and COUCHDB_PASS as basic auth and never reports them', async () => {
    const seen: string[] = [];
    const logLines: string[] = [];
    const capturing = pino(
      { level: 'debug' },
      { write: (line: string) => void logLines.push(line) },
    );
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unauthorized', reason: 'Name or password is incorrect.' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const archive = createCaseArchive(
        testConfig({
          COUCHDB_URL: `http://urluser:urlsecret@127.0.0.1:${port}`,
          COUCHDB_USER: 'loom',
          COUCHDB_PASS: 's3cret-pass',
          COUCHDB_DB: 'archive_auth',
        }),
        capturing,
        { attempts: 3, baseDelayMs: 10 },
      )!;
      const result = await archive.store(archivedCase('case-5'));

      expect(result).toMatchObject({ ok: false, error: { code: 'ARCHIVE_REJECTED', status: 401 } });
      expect(seen).toHaveLength(1);
      const expected = `Basic ${Buffer.from('loom:s3cret-pass').toString('base64')}`;
      expect(seen[0]).toBe(`/archive_auth/case-5 ${expected}`);
      const text = JSON.stringify(result) + JSON.stringify(await archive.health());
      expect(text).not.toMatch(/s3cret-pass|urlsecret/);
      expect(logLines.join('')).toContain('case archive failed');
      expect(logLines.join('')).not.toMatch(/s3cret-pass|urlsecret|urluser/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('CouchDB outage', () => {
  it('returns an error while CouchDB is down, and stores again once it is back', async () => {
    const server = await startPouchdb();
    const archive = archiveFor('archive_outage', server.url);
    expect((await archive.store(archivedCase('before'))).ok).toBe(true);

    await server.stop();
    const began = Date.now();
    const down = await archive.store(archivedCase('during'));
    expect(down).toMatchObject({ ok: false, error: { code: 'ARCHIVE_UNAVAILABLE' } });
    expect(Date.now() - began).toBeLessThan(5000);
    expect((await archive.health()).ok).toBe(false);
    await expect(archive.store(archivedCase('during'), { throwOnError: true })).rejects.toThrow(
      ArchiveError,
    );

    const back = await startPouchdb({ port: server.port });
    try {
      // In-memory: the restarted server is empty, so this also recreates the database.
      const result = await archive.store(archivedCase('during'));
      expect(result).toMatchObject({ ok: true, rev: expect.stringMatching(/^1-/) });
      expect((await archive.load('during'))?._id).toBe('during');
    } finally {
      await back.stop();
    }
  });

  it('keeps retrying through a short outage within one store', async () => {
    const server = await startPouchdb();
    await server.stop();
    const archive = createCaseArchive(
      testConfig({ COUCHDB_URL: server.url, COUCHDB_DB: 'archive_retry' }),
      log,
      { attempts: 12, baseDelayMs: 250, maxDelayMs: 1000, requestTimeoutMs: 2000 },
    )!;

    const pending = archive.store(archivedCase('retried'));
    const back = await startPouchdb({ port: server.port });
    try {
      await expect(pending).resolves.toMatchObject({ ok: true });
    } finally {
      await back.stop();
    }
  });

  it('stops retrying when its signal aborts', async () => {
    const server = await startPouchdb();
    await server.stop();
    const archive = createCaseArchive(
      testConfig({ COUCHDB_URL: server.url, COUCHDB_DB: 'archive_abort' }),
      log,
      { attempts: 50, baseDelayMs: 200 },
    )!;

    const result = await archive.store(archivedCase('aborted'), {
      signal: AbortSignal.timeout(300),
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'ARCHIVE_ABORTED' } });
  });
});

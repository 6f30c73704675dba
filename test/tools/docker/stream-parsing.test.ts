import { gzipSync } from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { dockerEndpoint } from '../../../src/tools/docker/docker-client.js';
import { FrameDemuxer, type OutputStream } from '../../../src/tools/docker/frame-demuxer.js';
import { LineSplitter } from '../../../src/tools/docker/line-splitter.js';
import { readFirstTarFile, readTarEntries } from '../../../src/tools/docker/tar-reader.js';
import { writeTar } from '../../support/tar-writer.js';

function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Cuts a buffer at pseudo-random points (a fixed seed keeps failures reproducible). */
function chop(buffer: Buffer, seed: number): Buffer[] {
  const chunks: Buffer[] = [];
  let state = seed;
  let offset = 0;
  while (offset < buffer.length) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (state % 13);
    chunks.push(buffer.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function demuxLines(chunks: Buffer[], maxLineBytes?: number) {
  const lines: Array<[OutputStream, string]> = [];
  const splitters = {
    stdout: new LineSplitter((line) => lines.push(['stdout', line]), maxLineBytes),
    stderr: new LineSplitter((line) => lines.push(['stderr', line]), maxLineBytes),
  };
  const demuxer = new FrameDemuxer((stream, payload) => splitters[stream].push(payload));
  for (const chunk of chunks) demuxer.push(chunk);
  splitters.stdout.end();
  splitters.stderr.end();
  return { lines, demuxer, splitters };
}

describe('FrameDemuxer and LineSplitter', () => {
  const stream = Buffer.concat([
    frame(1, 'first\nsec'),
    frame(2, 'warn: partial '),
    frame(1, 'ond line\r\n'),
    frame(2, 'stderr line\n'),
    frame(1, Buffer.from('naïve — ünïcode ✓\n', 'utf8')),
    frame(1, ''),
    frame(1, '\nlast without newline'),
  ]);
  const expected: Array<[OutputStream, string]> = [
    ['stdout', 'first'],
    ['stderr', 'warn: partial stderr line'],
    ['stdout', 'second line'],
    ['stdout', 'naïve — ünïcode ✓'],
    ['stdout', ''],
    ['stdout', 'last without newline'],
  ];

  it('gives the same lines however the transport cuts the frames', () => {
    const sorted = (lines: Array<[OutputStream, string]>) =>
      ['stdout', 'stderr'].map((name) => lines.filter(([s]) => s === name).map(([, l]) => l));
    expect(sorted(demuxLines([stream]).lines)).toEqual(sorted(expected));
    for (let seed = 1; seed <= 200; seed += 1) {
      expect(sorted(demuxLines(chop(stream, seed)).lines)).toEqual(sorted(expected));
    }
    // One byte at a time: every header and every UTF-8 sequence is split.
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    expect(sorted(demuxLines(bytes).lines)).toEqual(sorted(expected));
  });

  it('passes unframed output through as stdout instead of losing it', () => {
    const { lines, demuxer } = demuxLines([Buffer.from('plain tty text\nmore\n')]);
    expect(demuxer.unframed).toBe(true);
    expect(lines).toEqual([
      ['stdout', 'plain tty text'],
      ['stdout', 'more'],
    ]);
  });

  it('cuts an overlong line and resumes at the next one', () => {
    const long = 'x'.repeat(5000);
    const { lines, splitters } = demuxLines(chop(frame(1, `${long}\nshort\n${long}`), 7), 100);
    expect(lines).toEqual([
      ['stdout', 'x'.repeat(100)],
      ['stdout', 'short'],
      ['stdout', 'x'.repeat(100)],
    ]);
    expect(splitters.stdout.truncatedLines).toBe(2);
  });
});

describe('readTarEntries', () => {
  const report = Buffer.from('{"hosts":["a.example.com"]}');

  it('returns the first regular file of an archive', () => {
    const tar = writeTar([
      { type: 'directory', name: 'out' },
      { type: 'symlink', name: 'out/link', target: 'result.json' },
      { type: 'file', name: 'out/result.json', data: report },
    ]);
    expect(readTarEntries(tar).map((entry) => [entry.name, entry.type])).toEqual([
      ['out/', '5'],
      ['out/link', '2'],
      ['out/result.json', '0'],
    ]);
    expect(readFirstTarFile(tar)).toEqual(report);
    expect(readFirstTarFile(gzipSync(tar))).toEqual(report);
  });

  it('finds nothing in an archive of a directory and rejects a corrupt header', () => {
    expect(readFirstTarFile(writeTar([{ type: 'directory', name: 'out' }]))).toBeUndefined();
    const tar = writeTar([{ type: 'file', name: 'a', data: report }]);
    tar[10] ^= 0xff;
    expect(() => readTarEntries(tar)).toThrow(/corrupt/);
  });
});

describe('dockerEndpoint', () => {
  it('reads unix sockets, tcp and https endpoints without leaking credentials', () => {
    expect(dockerEndpoint(undefined).label).toBe('unix:///var/run/docker.sock');
    expect(dockerEndpoint('unix:///run/podman/podman.sock').options).toMatchObject({
      socketPath: '/run/podman/podman.sock',
      host: undefined,
    });
    expect(dockerEndpoint('tcp://127.0.0.1:2375')).toMatchObject({
      options: { host: '127.0.0.1', port: '2375', protocol: 'http', socketPath: undefined },
      label: 'tcp://127.0.0.1:2375',
    });
    expect(dockerEndpoint('https://user:secret@127.0.0.1').label).toBe('https://127.0.0.1:2376');
    expect(() => dockerEndpoint('ssh://127.0.0.1')).toThrow(/not supported/);
  });
});

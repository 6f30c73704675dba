import { gunzipSync, inflateSync } from 'node:zlib';

const BLOCK = 512;

export interface TarEntry {
  name: string;
  /** '0' regular file, '2' symlink, '5' directory, … (ustar type flags). */
  type: string;
  data: Buffer;
}

/**
 * Reads the entries of a tar archive held in memory, as the Docker archive endpoint sends
 * it: ustar with its name prefix, GNU long names (`L`) and pax path records (`x`). The
 * daemon may compress the body when the client allows it, so gzip and zlib bodies are
 * inflated first.
 */
export function readTarEntries(archive: Buffer): TarEntry[] {
  const tar = decompress(archive);
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;

  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    if (!checksumMatches(header)) throw new Error(`tar header at byte ${offset} is corrupt`);

    const type = String.fromCharCode(header[156] || 0x30);
    const size = readSize(header.subarray(124, 136));
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new Error('tar archive ends inside an entry');
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      longName = cString(data);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    if (type === 'g') continue;

    entries.push({ name: longName ?? headerName(header), type, data });
    longName = undefined;
  }
  return entries;
}

/** The content of the first regular file in the archive, or undefined when it holds none. */
export function readFirstTarFile(archive: Buffer): Buffer | undefined {
  const file = readTarEntries(archive).find((entry) => entry.type === '0' || entry.type === '7');
  return file?.data;
}

function decompress(body: Buffer): Buffer {
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) return gunzipSync(body);
  // zlib streams start with 0x78 (deflate, 32 KiB window); a tar header starts with a name.
  if (body.length >= 2 && body[0] === 0x78 && (body[0] * 256 + body[1]) % 31 === 0) {
    return inflateSync(body);
  }
  return body;
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const isUstar = header.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = isUstar ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function readSize(field: Buffer): number {
  // Sizes of 8 GiB and more are stored base-256, marked by the high bit of the first byte.
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i += 1) value = value * 256 + field[i];
    return value;
  }
  const text = cString(field).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumMatches(header: Buffer): boolean {
  const stored = parseInt(cString(header.subarray(148, 156)).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === stored;
}

function paxPath(data: Buffer): string | undefined {
  // Records are "LENGTH key=value\n"; only the path matters here.
  let offset = 0;
  let path: string | undefined;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = parseInt(data.toString('latin1', offset, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.toString('utf8', space + 1, offset + length - 1);
    if (record.startsWith('path=')) path = record.slice('path='.length);
    offset += length;
  }
  return path;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end === -1 ? field.length : end);
}

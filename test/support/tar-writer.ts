const BLOCK = 512;

export type TarInput =
  | { type: 'file'; name: string; data: Buffer; mode?: number }
  | { type: 'directory'; name: string; mode?: number }
  | { type: 'symlink'; name: string; target: string };

/** Writes a ustar archive in memory (short names only), enough to build a test image. */
export function writeTar(entries: TarInput[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? entry.data : Buffer.alloc(0);
    blocks.push(header(entry, data.length));
    if (data.length > 0) {
      blocks.push(data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
    }
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

function header(entry: TarInput, size: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  const name = entry.type === 'directory' ? `${entry.name.replace(/\/$/, '')}/` : entry.name;
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name too long: ${name}`);

  const defaultMode = entry.type === 'file' ? 0o644 : 0o755;
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? defaultMode);
  block.write(name, 0, 100, 'utf8');
  octal(block, 100, 8, mode);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, Math.floor(Date.now() / 1000));
  block.write({ file: '0', directory: '5', symlink: '2' }[entry.type], 156, 1, 'latin1');
  if (entry.type === 'symlink') block.write(entry.target, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');

  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'latin1');
}

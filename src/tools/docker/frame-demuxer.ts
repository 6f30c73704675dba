export type OutputStream = 'stdout' | 'stderr';

const HEADER_BYTES = 8;

/**
 * Splits the attach (or log) stream of a container created with `Tty: false` into stdout and
 * stderr payloads. Every frame is an 8-byte header — stream (1 stdout, 2 stderr), three zero
 * bytes, payload size as uint32 big-endian — followed by the payload; the transport may cut
 * headers and payloads anywhere, so the state carries over between chunks.
 *
 * Payloads are handed on as views into the incoming chunk, without copying.
 */
export class FrameDemuxer {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private remaining = 0;
  private stream: OutputStream = 'stdout';
  private raw = false;

  constructor(private readonly onPayload: (stream: OutputStream, payload: Buffer) => void) {}

  /** True once a header was not a valid frame header and the rest is passed on unframed. */
  get unframed(): boolean {
    return this.raw;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.raw) {
        this.onPayload('stdout', chunk.subarray(offset));
        return;
      }

      if (this.remaining === 0) {
        const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - offset);
        chunk.copy(this.header, this.headerFill, offset, offset + take);
        this.headerFill += take;
        offset += take;
        if (this.headerFill === HEADER_BYTES) this.readHeader();
        continue;
      }

      const take = Math.min(this.remaining, chunk.length - offset);
      this.onPayload(this.stream, chunk.subarray(offset, offset + take));
      this.remaining -= take;
      offset += take;
    }
  }

  private readHeader(): void {
    this.headerFill = 0;
    const kind = this.header[0];
    const padded = this.header[1] === 0 && this.header[2] === 0 && this.header[3] === 0;
    if (kind > 2 || !padded) {
      // Not multiplexed after all (a TTY container, or a proxy that already demultiplexed):
      // keep the bytes rather than lose the output.
      this.raw = true;
      this.onPayload('stdout', Buffer.from(this.header));
      return;
    }

    // Stream 0 (stdin echo) is never written for a container without stdin; count it as stdout.
    this.stream = kind === 2 ? 'stderr' : 'stdout';
    this.remaining = this.header.readUInt32BE(4);
  }
}

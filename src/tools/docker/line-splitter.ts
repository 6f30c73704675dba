const NEWLINE = 0x0a;
const CARRIAGE_RETURN = '\r';

/**
 * Turns a byte stream into complete lines, however the chunks cut them (UTF-8 sequences
 * included: bytes are joined before decoding). A line longer than `maxLineBytes` is cut at
 * that length and the rest of it, up to the next newline, is dropped, so one endless line
 * cannot grow memory. A trailing `\r` (CRLF output) is removed.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private length = 0;
  private dropping = false;
  /** Lines that were cut at `maxLineBytes`. */
  truncatedLines = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = 64 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) {
        this.append(chunk.subarray(start));
        return;
      }
      if (this.length === 0 && !this.dropping && end - start <= this.maxLineBytes) {
        // The common case: the whole line lies in this chunk, decode it in place.
        this.emit(chunk.toString('utf8', start, end));
      } else {
        this.append(chunk.subarray(start, end));
        this.flush();
      }
      start = end + 1;
    }
  }

  /** Emits the last line when the stream ended without a newline. */
  end(): void {
    if (this.length > 0 || this.dropping) this.flush();
  }

  private append(piece: Buffer): void {
    if (this.dropping || piece.length === 0) return;

    const room = this.maxLineBytes - this.length;
    if (piece.length > room) {
      this.dropping = true;
      this.truncatedLines += 1;
      piece = piece.subarray(0, room);
    }
    // Copied: a view would keep the whole incoming chunk alive while the line waits.
    this.parts.push(Buffer.from(piece));
    this.length += piece.length;
  }

  private flush(): void {
    const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    this.dropping = false;
    this.emit(bytes.toString('utf8'));
  }

  private emit(line: string): void {
    this.onLine(line.endsWith(CARRIAGE_RETURN) ? line.slice(0, -1) : line);
  }
}

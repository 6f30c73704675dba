import { StringDecoder } from 'node:string_decoder';

/** Longest line kept whole; recon-ng tables are a few hundred characters wide. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Cuts a stream of chunks into lines without their `\n` or `\r\n`. A UTF-8 character split
 * across chunks is decoded whole; a line past MAX_LINE_CHARS is emitted in pieces so one
 * endless line cannot grow memory.
 */
export function createLineReader(onLine: (line: string) => void) {
  const decoder = new StringDecoder('utf8');
  let pending = '';

  const emit = (line: string) => onLine(line.endsWith('\r') ? line.slice(0, -1) : line);

  const take = (text: string) => {
    pending += text;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      emit(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    while (pending.length > MAX_LINE_CHARS) {
      emit(pending.slice(0, MAX_LINE_CHARS));
      pending = pending.slice(MAX_LINE_CHARS);
    }
  };

  return {
    push(chunk: Buffer): void {
      take(decoder.write(chunk));
    },
    /** Flushes a last line that had no newline. */
    end(): void {
      take(decoder.end());
      if (pending !== '') emit(pending);
      pending = '';
    },
  };
}

/**
 * Incremental decoders for the two streaming framings LLM servers use: newline-delimited JSON
 * (Ollama) and server-sent events (OpenAI-compatible servers). Both take text in arbitrary
 * pieces, because a network chunk can end anywhere, even between `\r` and `\n`.
 */

/** Splits text into lines ended by `\n`, `\r\n` or a lone `\r`, across any chunk boundaries. */
export class LineSplitter {
  private buffer = '';
  /** The previous piece ended in `\r`: a `\n` opening the next piece belongs to that break. */
  private pendingCr = false;

  push(text: string): string[] {
    if (text === '') return [];
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;

    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;

      lines.push(this.buffer + text.slice(start, i));
      this.buffer = '';
      if (ch === 13) {
        if (i + 1 === text.length) this.pendingCr = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer += text.slice(start);
    return lines;
  }

  /** The last line when the stream ended without a line break. */
  end(): string[] {
    const rest = this.buffer;
    this.buffer = '';
    this.pendingCr = false;
    return rest === '' ? [] : [rest];
  }
}

export interface SseEvent {
  /** The `event:` field; `message` when absent, `error` for a bare `error:` line. */
  event: string;
  data: string;
}

/**
 * Server-sent events as the HTML standard parses them (comments, multi-line `data:`, one
 * optional space after the colon), with two deliberate departures: a pending event is flushed
 * at end of stream, since some servers omit the blank line after `data: [DONE]`, and a bare
 * `error: {...}` line, which older llama.cpp builds wrote mid-stream, becomes an `error` event
 * instead of being dropped.
 */
export class SseDecoder {
  private readonly lines = new LineSplitter();
  private data: string[] = [];
  private event = '';
  private started = false;

  push(text: string): SseEvent[] {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return this.take(this.lines.push(text));
  }

  end(): SseEvent[] {
    const events = this.take(this.lines.end());
    const last = this.dispatch();
    if (last) events.push(last);
    return events;
  }

  private take(lines: string[]): SseEvent[] {
    const events: SseEvent[] = [];
    for (const line of lines) {
      if (line === '') {
        const event = this.dispatch();
        if (event) events.push(event);
        continue;
      }
      if (line.startsWith(':')) continue;

      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);

      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'error') events.push({ event: 'error', data: value });
    }
    return events;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const event = this.event || 'message';
    this.data = [];
    this.event = '';
    return data.length === 0 ? undefined : { event, data: data.join('\n') };
  }
}

import { ContainerError } from './container-error.js';
import { FrameDemuxer, type OutputStream } from './frame-demuxer.js';
import { LineSplitter } from './line-splitter.js';

const DEFAULT_DRAIN_IDLE_MS = 5_000;

export interface OutputReaderOptions {
  onLine(line: string, stream: OutputStream): void;
  maxLineBytes?: number;
}

/** Demultiplexes the output stream into per-stream line splitters and tracks its progress. */
export class OutputReader {
  bytes = 0;
  private lastDataAt = 0;
  private stream: NodeJS.ReadableStream | undefined;
  private closed = false;
  private readonly reading = new AbortController();
  private readonly splitters: Record<OutputStream, LineSplitter>;
  private readonly demuxer: FrameDemuxer;

  constructor(
    options: OutputReaderOptions,
    private readonly stop: AbortController,
  ) {
    const max = options.maxLineBytes;
    this.splitters = {
      stdout: new LineSplitter((line) => options.onLine(line, 'stdout'), max),
      stderr: new LineSplitter((line) => options.onLine(line, 'stderr'), max),
    };
    this.demuxer = new FrameDemuxer((stream, payload) => {
      this.bytes += payload.length;
      this.splitters[stream].push(payload);
    });
  }

  /** Aborts the attach request when the run stops or reading is closed. */
  get signal(): AbortSignal {
    return AbortSignal.any([this.stop.signal, this.reading.signal]);
  }

  get truncatedLines(): number {
    return this.splitters.stdout.truncatedLines + this.splitters.stderr.truncatedLines;
  }

  /**
   * Reads the output stream once the request answers; resolves when the stream ends. A failure
   * (even one thrown by `onLine`) stops the whole run.
   */
  follow(request: Promise<NodeJS.ReadableStream>): Promise<void> {
    return new Promise((resolve) => {
      const fail = (cause: unknown) => {
        if (!this.stop.signal.aborted) {
          const message = 'reading the container output failed';
          this.stop.abort(new ContainerError('CONTAINER_FAILED', message, { cause }));
        }
        resolve();
      };

      request.then((stream) => {
        this.stream = stream;
        if (this.closed) this.close();
        stream.on('data', (chunk: Buffer) => {
          this.lastDataAt = Date.now();
          try {
            this.demuxer.push(chunk);
          } catch (err) {
            fail(err);
          }
        });
        stream.once('end', resolve);
        stream.once('close', resolve);
        stream.once('error', fail);
      }, fail);
    });
  }

  /**
   * After the exit the daemon may still be sending buffered output: wait for the end of the
   * stream while data keeps coming, and give up after `idleMs` of silence.
   */
  async settle(drained: Promise<void>, idleMs = DEFAULT_DRAIN_IDLE_MS): Promise<boolean> {
    const done = drained.then(() => true);
    const since = Date.now();
    for (;;) {
      const left = idleMs - (Date.now() - Math.max(since, this.lastDataAt));
      if (left <= 0) return false;
      if (await Promise.race([done, sleep(left)])) return true;
    }
  }

  /** Stops reading (now, or as soon as the request answers). */
  close(): void {
    this.closed = true;
    this.reading.abort();
    (this.stream as { destroy?: () => void } | undefined)?.destroy?.();
  }

  /** Emits the last unterminated lines. */
  end(): void {
    this.splitters.stdout.end();
    this.splitters.stderr.end();
  }
}

function sleep(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(resolve, ms, false).unref());
}

import type { CaseEvent, ReconnectInfo } from '../../../clients/typescript/src/case-events.js';
import { formatDuration, plural, type Output } from './output.js';
import {
  CaseProgress,
  clip,
  type ToolProgress,
} from '../../../clients/typescript/src/case-progress.js';

/** How `loom watch` shows a case: JSON lines, plain lines, or a block redrawn in place. */
export interface WatchView {
  event(event: CaseEvent): void;
  reconnecting(info: ReconnectInfo): void;
  end(): void;
}

export function createWatchView(out: Output, progress: CaseProgress, verbose: boolean): WatchView {
  if (out.json) return new JsonView(out, progress);
  return out.tty ? new TtyView(out, progress, verbose) : new PlainView(out, progress, verbose);
}

const reconnectNote = (info: ReconnectInfo) =>
  `${info.reason}; resuming after seq ${info.afterSeq} in ${formatDuration(info.delayMs)} ` +
  `(attempt ${info.attempt})`;

class JsonView implements WatchView {
  constructor(
    private readonly out: Output,
    private readonly progress: CaseProgress,
  ) {}

  event(event: CaseEvent): void {
    this.progress.apply(event);
    this.out.jsonLine(event);
  }

  reconnecting(info: ReconnectInfo): void {
    this.out.note(reconnectNote(info));
  }

  end(): void {}
}

/** For pipes and logs: one line per change, nothing rewritten, no escape codes. */
class PlainView implements WatchView {
  private readonly width: number;

  constructor(
    private readonly out: Output,
    private readonly progress: CaseProgress,
    private readonly verbose: boolean,
  ) {
    this.width = Math.max(...[...progress.tools.keys()].map((t) => t.length), 8);
  }

  event(event: CaseEvent): void {
    const changed = this.progress.apply(event);
    const now = Date.parse(event.at);
    if (event.type === 'CASE_STATUS') {
      const note = event.message ? ` (${event.message})` : '';
      this.out.line(`case ${event.status}${note}`);
    } else if (event.type === 'TOOL_STATUS' && changed) {
      this.out.line(this.toolLine(changed, now));
    } else if (event.type === 'REPORT') {
      this.out.line(`report written by ${event.status ?? 'loom'}`);
    } else if (this.verbose && event.type === 'TOOL_OUTPUT') {
      for (const line of (event.message ?? '').split('\n'))
        this.out.line(`  [${event.tool}] ${line}`);
    } else if (this.verbose && event.type === 'FINDING' && event.finding) {
      this.out.line(`  [${event.tool}] found ${event.finding.kind} ${event.finding.value}`);
    }
  }

  reconnecting(info: ReconnectInfo): void {
    this.out.note(reconnectNote(info));
  }

  end(): void {
    const now = Date.now();
    this.out.line('');
    for (const tool of this.progress.tools.values()) this.out.line(this.toolLine(tool, now));
    this.out.line(summary(this.progress, now));
  }

  private toolLine(tool: ToolProgress, now: number): string {
    const [name, status, elapsed, findings, message] = this.progress.cells(tool, now);
    const line = `${name.padEnd(this.width)}  ${status.padEnd(9)}  ${elapsed.padStart(7)}  ${findings}`;
    return message ? `${line}  ${message}` : line;
  }
}

const SYMBOLS: Record<string, [string, 'dim' | 'cyan' | 'green' | 'red' | 'yellow']> = {
  QUEUED: ['·', 'dim'],
  RUNNING: ['●', 'cyan'],
  SUCCEEDED: ['✓', 'green'],
  FAILED: ['✗', 'red'],
  TIMED_OUT: ['⧗', 'red'],
  CANCELLED: ['–', 'yellow'],
};

/** For a terminal: the progress block stays at the bottom and is redrawn in place. */
class TtyView implements WatchView {
  private drawn = 0;
  private pending?: ReturnType<typeof setTimeout>;
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(
    private readonly out: Output,
    private readonly progress: CaseProgress,
    private readonly verbose: boolean,
  ) {
    // Elapsed times move even when no event arrives.
    this.ticker = setInterval(() => this.draw(), 1000);
    this.ticker.unref();
    this.draw();
  }

  event(event: CaseEvent): void {
    this.progress.apply(event);
    if (this.verbose && event.type === 'TOOL_OUTPUT') {
      this.above((event.message ?? '').split('\n').map((l) => `${this.tag(event.tool)} ${l}`));
    } else if (this.verbose && event.type === 'FINDING' && event.finding) {
      const { kind, value } = event.finding;
      this.above([`${this.tag(event.tool)} ${this.out.paint('green', '+')} ${kind} ${value}`]);
    } else if (event.type === 'CASE_STATUS' && event.message) {
      this.above([this.out.paint('dim', `case ${event.status}: ${event.message}`)]);
    }
    // Replays deliver hundreds of events at once; draw at most ten times a second.
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.draw();
    }, 100);
  }

  reconnecting(info: ReconnectInfo): void {
    this.above([this.out.paint('yellow', `connection lost: ${reconnectNote(info)}`)]);
  }

  end(): void {
    clearInterval(this.ticker);
    clearTimeout(this.pending);
    this.draw();
    this.out.line(summary(this.progress, Date.now()));
  }

  /** Prints lines above the block, which is then drawn again below them. */
  private above(lines: string[]): void {
    this.clear();
    for (const line of lines) this.out.line(this.fit(line));
    this.draw();
  }

  private clear(): void {
    if (this.drawn > 0) this.out.stdout.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    const now = Date.now();
    const { header } = this.progress;
    const status = this.out.paint('bold', header.status);
    const lines = [
      `${this.out.paint('bold', header.title)} (${header.target})  ${status}  ${this.progress.elapsed(now)}`,
    ];
    const width = Math.max(...[...this.progress.tools.keys()].map((t) => t.length), 8);
    for (const tool of this.progress.tools.values()) {
      const [name, runStatus, elapsed, findings, message] = this.progress.cells(tool, now);
      const [symbol, colour] = SYMBOLS[tool.status] ?? ['?', 'dim'];
      const text = `  ${this.out.paint(colour, symbol)} ${name.padEnd(width)}  ${runStatus.padEnd(9)}  ${elapsed.padStart(7)}  ${findings}`;
      lines.push(message ? `${text}  ${this.out.paint('dim', message)}` : text);
    }
    this.clear();
    for (const line of lines) this.out.line(this.fit(line));
    this.drawn = lines.length;
  }

  private tag(tool: string | null): string {
    return this.out.paint('dim', `[${tool ?? 'case'}]`);
  }

  /** A wrapped line would throw the cursor arithmetic off: cut at the terminal width. */
  private fit(line: string): string {
    const columns = this.out.stdout.columns || 100;
    const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
    return plain.length < columns ? line : clip(plain, columns - 1);
  }
}

function summary(progress: CaseProgress, now: number): string {
  const { header } = progress;
  const report = progress.report ? `; report: loom report ${header.id}` : '';
  return (
    `case ${header.id} ended ${header.status} after ${progress.elapsed(now) || '0.0s'}, ` +
    `${plural(progress.findings.size, 'finding')}${report}`
  );
}

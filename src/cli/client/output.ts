import { LoomError } from '../../../clients/typescript/src/errors.js';
import { UsageError } from './options.js';

export { formatDuration, plural } from '../../../clients/typescript/src/format.js';

/** Where a client command writes: plain lines, JSON, and colour only on a terminal. */
export class Output {
  readonly tty: boolean;
  readonly color: boolean;

  constructor(
    readonly json: boolean,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
    env: Record<string, string | undefined> = process.env,
  ) {
    this.tty = Boolean(stdout.isTTY) && !json;
    this.color = this.tty && !env.NO_COLOR && env.TERM !== 'dumb';
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** One JSON document per line. */
  jsonLine(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  note(text: string): void {
    this.stderr.write(`loom: ${text}\n`);
  }

  paint(style: keyof typeof STYLES, text: string): string {
    return this.color ? `\x1b[${STYLES[style]}m${text}\x1b[0m` : text;
  }

  /** Reports a failure the way the mode asks for and returns the exit code. */
  fail(err: unknown): number {
    const { code, message, errors } = describeFailure(err);
    if (this.json) {
      this.stderr.write(`${JSON.stringify({ error: { code, message, errors } })}\n`);
    } else {
      this.stderr.write(`loom: ${code}: ${message}\n`);
      for (const extra of errors.slice(1)) this.stderr.write(`loom:   also: ${extra.message}\n`);
    }
    return code === 'USAGE' ? 2 : 1;
  }
}

const STYLES = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' };

function describeFailure(err: unknown): {
  code: string;
  message: string;
  errors: { message: string }[];
} {
  if (err instanceof LoomError) return { code: err.code, message: err.message, errors: err.errors };
  if (err instanceof UsageError) return { code: 'USAGE', message: err.message, errors: [] };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'ERROR', message, errors: [] };
}

/** Pads cells into aligned columns; the last column is left ragged. */
export function table(rows: string[][]): string[] {
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((r) => visibleLength(r[i] ?? '')))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd(),
  );
}

function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

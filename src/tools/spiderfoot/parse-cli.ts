import { splitLines, stripAnsi } from '../../findings/text.js';
import type { SpiderfootEvent } from './event.js';

// `Source<pad>\tType<pad>\tData` (tab, padded) or `Source,Type,Data` (csv, any delimiter).
const HEADER = /^Source\s*(\t|[^\sA-Za-z])\s*Type\s*\1/;
const MODULE = /^(sfp_[A-Za-z0-9_]+)\s*$/;
// Log records, when stderr was captured together with stdout.
const LOG = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \[[A-Z]+\]/;

/**
 * The command line's tab or csv output (`sf.py -s TARGET [-o csv] [-r] [-D d]`). Each event is
 * `module, readable type, [source data,] data`, joined by the delimiter without any quoting,
 * and data with line breaks runs on over the next lines. The data is what follows the last
 * delimiter of the event; the types that are findings never contain one.
 */
export function spiderfootCliEvents(text: string): SpiderfootEvent[] {
  const lines = splitLines(stripAnsi(text));
  const header = lines.map((line) => HEADER.exec(line)).find((match) => match);
  const delimiter = header?.[1] ?? guessDelimiter(lines);

  const events: SpiderfootEvent[] = [];
  let current: { module: string; type: string; rest: string[] } | undefined;
  const finish = () => {
    if (!current) return;
    const rest = current.rest.join('\n');
    const cut = rest.lastIndexOf(delimiter);
    events.push({ module: current.module, type: current.type, data: rest.slice(cut + 1) });
    current = undefined;
  };

  for (const line of lines) {
    const fields = line.split(delimiter);
    const module = MODULE.exec(fields[0] ?? '');
    if (module && fields.length >= 3) {
      finish();
      current = {
        module: module[1],
        type: fields[1].trim(),
        rest: [fields.slice(2).join(delimiter)],
      };
    } else if (current && !HEADER.test(line) && !LOG.test(line)) {
      current.rest.push(line);
    }
  }
  finish();
  return events;
}

function guessDelimiter(lines: string[]): string {
  return lines.some((line) => /^sfp_[A-Za-z0-9_]+\s*\t/.test(line)) ? '\t' : ',';
}

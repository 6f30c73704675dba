import type { ParsedFinding } from '../../findings/finding.js';
import { eachPhysicalLine, parseWithLines, type LineParser } from '../../findings/line-parser.js';
import { toFinding } from '../../findings/normalize.js';
import { cleanLine } from '../../findings/text.js';
import { rowFindings, TableReader } from './parse-table.js';

// `[*] Field: value` lines of a record block (v5 module runs), ended by `[*] -----…`.
const RECORD = /^\[\*\]\s+([A-Za-z][A-Za-z_]*):\s?(.*)$/;
const BLOCK_END = /^\[\*\]\s+-{5,}$/;
// v4 prints one line per contact: `[*] [contact] First Last (address) - title`.
const CONTACT = /^\[\*\]\s+\[contact\]\s+(.*?)\s*\(([^()\s]*@[^()\s]*)\)(?:\s+-\s+(.*))?$/;

/**
 * Console output of recon-ng 4.x and 5.x (`recon-cli`, `recon-ng -r`): tables from `show` and
 * `db query`, and the record blocks modules print while they run. Banner, prompts, heading
 * blocks (the module's input), the module's `[*] URL:` queries and summaries are not findings.
 * A record block is reported when it ends, so its host and address can name each other.
 */
export function createReconNgLineParser(): LineParser {
  const table = new TableReader();
  let block: Record<string, string> | undefined;

  const flush = (): ParsedFinding[] => {
    const done = block;
    block = undefined;
    return done ? rowFindings(done) : [];
  };

  const handle = (raw: string): ParsedFinding[] => {
    const line = cleanLine(raw);
    const rows: ParsedFinding[] = [];
    if (table.accept(line, (row) => rows.push(...rowFindings(row)))) return [...flush(), ...rows];

    const record = RECORD.exec(line);
    if (!record) return [...flush(), ...(BLOCK_END.test(line) ? [] : contactFindings(line))];

    const field = record[1].toLowerCase();
    // A field seen twice means a new record began without a separator.
    const out = block && field in block ? flush() : [];
    block ??= {};
    block[field] = record[2].trim();
    return out;
  };

  return {
    push: (line) => eachPhysicalLine(line, handle),
    end: () => {
      table.reset();
      return flush();
    },
  };
}

/** Every finding in a saved recon-ng session. */
export function parseReconNg(text: string): ParsedFinding[] {
  return parseWithLines(text, createReconNgLineParser());
}

function contactFindings(line: string): ParsedFinding[] {
  const contact = CONTACT.exec(line);
  if (!contact) return [];

  const data: Record<string, unknown> = {};
  if (contact[1] && contact[1] !== '<blank>') data.name = contact[1];
  if (contact[3] && contact[3] !== '<blank>') data.title = contact[3];
  const finding = toFinding('EMAIL', contact[2], data);
  return finding ? [finding] : [];
}

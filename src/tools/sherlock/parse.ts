import type { ParsedFinding } from '../../findings/finding.js';
import { parseWithLines } from '../../findings/line-parser.js';
import { FindingCollector } from '../../findings/normalize.js';
import { cleanLine, splitLines, stripBom } from '../../findings/text.js';
import { parseSherlockCsv } from './parse-csv.js';
import { createSherlockLineParser, parseSherlockTextFile } from './parse-text.js';

export { createSherlockLineParser } from './parse-text.js';

const CSV_HEADER = /^username,name,url_main,url_user,exists\b/;
const CONSOLE_MARKER = /^\[[*+\-!]\]/;

/**
 * Any saved output of Sherlock: console text, the `USERNAME.txt` file or the `--csv` file.
 * Console text is told by its `[*]`/`[+]`/`[-]` markers; the text file has none.
 */
export function parseSherlock(text: string): ParsedFinding[] {
  const body = stripBom(text);
  const lines = splitLines(body);
  const first = lines.map(cleanLine).find((line) => line !== '') ?? '';

  if (CSV_HEADER.test(first)) return unique(parseSherlockCsv(body));
  if (lines.some((line) => CONSOLE_MARKER.test(cleanLine(line)))) {
    return parseWithLines(body, createSherlockLineParser());
  }
  return unique(parseSherlockTextFile(lines));
}

function unique(findings: ParsedFinding[]): ParsedFinding[] {
  const collector = new FindingCollector();
  collector.addAll(findings);
  return collector.list();
}

import type { ParsedFinding } from '../../findings/finding.js';
import { eachPhysicalLine, type LineParser } from '../../findings/line-parser.js';
import { normalizeUrl } from '../../findings/normalize.js';
import { cleanLine } from '../../findings/text.js';

// `[+] Site Name: URL`, with `[123ms] ` before the name when run with --verbose.
const FOUND = /^\[\+\]\s*(?:\[\d+\s*ms\]\s*)?(.*)$/;
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\/\S+$/i;

/**
 * Console output of Sherlock. Only `[+]` lines are found accounts; not-found, illegal, WAF and
 * error lines (`[-]`), the update notice, the summary and sponsor lines are not, even when they
 * carry a URL.
 */
export function createSherlockLineParser(): LineParser {
  const handle = (raw: string): ParsedFinding[] => {
    const found = FOUND.exec(cleanLine(raw));
    if (!found) return [];

    // Site names hold spaces, dots, `!` and parentheses but never `": "`.
    const text = found[1];
    const split = text.indexOf(': ');
    if (split < 0) return [];
    const site = text.slice(0, split).trim();
    const url = normalizeUrl(text.slice(split + 2));
    if (!url || !URL_LIKE.test(url)) return [];
    return [{ kind: 'ACCOUNT', value: url, data: { site } }];
  };

  return {
    push: (line) => eachPhysicalLine(line, handle),
    end: () => [],
  };
}

/**
 * The text file Sherlock writes per username: one profile URL per line, then
 * `Total Websites Username Detected On : N`.
 */
export function parseSherlockTextFile(lines: string[]): ParsedFinding[] {
  const out: ParsedFinding[] = [];
  for (const raw of lines) {
    const url = normalizeUrl(cleanLine(raw));
    if (url && URL_LIKE.test(url)) out.push({ kind: 'ACCOUNT', value: url });
  }
  return out;
}

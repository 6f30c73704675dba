import type { ParsedFinding } from '../../findings/finding.js';
import { FindingCollector } from '../../findings/normalize.js';
import { ParseError } from '../../findings/parse-error.js';
import { answerFindings, readLine } from './records.js';

/**
 * Findings from a saved output of the dns tool: one JSON answer per line, as the tool writes
 * them. Lines without records (NXDOMAIN, NODATA, failures) and blank lines add nothing.
 */
export function parseDns(text: string): ParsedFinding[] {
  const collector = new FindingCollector();
  let recognised = 0;
  let foreign = 0;

  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const entry = readLine(line);
    if (entry === undefined) {
      foreign += 1;
      continue;
    }
    recognised += 1;
    if (entry !== 'status') collector.addAll(answerFindings(entry));
  }

  if (recognised === 0 && foreign > 0) {
    throw new ParseError('not an output of the dns tool: expected one JSON answer per line');
  }
  return collector.list();
}

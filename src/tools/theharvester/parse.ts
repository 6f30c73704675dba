import type { ParsedFinding } from '../../findings/finding.js';
import { parseWithLines } from '../../findings/line-parser.js';
import { ParseError } from '../../findings/parse-error.js';
import { stripBom } from '../../findings/text.js';
import { createTheHarvesterLineParser } from './parse-text.js';
import { parseTheHarvesterJsonText } from './parse-json.js';
import { parseTheHarvesterXml } from './parse-xml.js';

export { createTheHarvesterLineParser } from './parse-text.js';
export { theharvesterFindingsFromJson, theharvesterFindingsFromRecords } from './parse-json.js';

/**
 * Any saved output of theHarvester: console text, the JSON report, the XML report or the
 * JSON-lines file of 5.0. The format is told from the first character.
 */
export function parseTheHarvester(text: string): ParsedFinding[] {
  const body = stripBom(text).trim();
  if (body === '') return [];

  if (body.startsWith('{')) return parseTheHarvesterJsonText(body);
  if (body.startsWith('<')) {
    if (!/<theHarvester[\s>/]/.test(body)) {
      throw new ParseError('not a theHarvester XML report (HTML reports are not read)');
    }
    return parseTheHarvesterXml(body);
  }
  return parseWithLines(text, createTheHarvesterLineParser());
}

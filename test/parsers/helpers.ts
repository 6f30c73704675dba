import type { ParsedFinding } from '../../src/findings/finding.js';
import type { LineParser } from '../../src/findings/line-parser.js';

/** `KIND value` keys, sorted: what a set comparison of findings needs. */
export function keysOf(findings: ParsedFinding[]): string[] {
  return [...new Set(findings.map((f) => `${f.kind} ${f.value}`))].sort();
}

export function valuesOf(findings: ParsedFinding[], kind: ParsedFinding['kind']): string[] {
  return findings.filter((f) => f.kind === kind).map((f) => f.value);
}

/** Pushes `text` line by line, as a running tool's output arrives. */
export function streamLines(text: string, parser: LineParser): ParsedFinding[] {
  const out: ParsedFinding[] = [];
  for (const line of text.split('\n')) out.push(...parser.push(line));
  out.push(...parser.end());
  return out;
}

/** Colours `[*]`-style markers the way the tools' terminals do. */
export function colour(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.startsWith('[') ? `\x1b[94m${line}\x1b[0m` : line))
    .join('\n');
}

export function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

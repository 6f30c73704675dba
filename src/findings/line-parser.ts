import type { ParsedFinding } from './finding.js';
import { FindingCollector } from './normalize.js';
import { splitLines } from './text.js';

/**
 * Turns console output into findings line by line while a tool runs. `push` takes one line
 * (without its newline; embedded `\r` are treated as breaks) and returns the findings it
 * completes; `end` returns what only the end of output completes. A finding can come back more
 * than once; callers merge by (kind, value).
 */
export interface LineParser {
  push(line: string): ParsedFinding[];
  end(): ParsedFinding[];
}

/** Runs a whole text through a line parser and returns its unique findings, data merged. */
export function parseWithLines(text: string, parser: LineParser): ParsedFinding[] {
  const collector = new FindingCollector();
  for (const line of splitLines(text)) collector.addAll(parser.push(line));
  collector.addAll(parser.end());
  return collector.list();
}

/**
 * Lets a per-line function accept lines that still hold carriage returns: a line end (`\r`,
 * `\r\n`) is dropped, and a `\r` inside starts a new line, as on a terminal.
 */
export function eachPhysicalLine<T>(line: string, handle: (part: string) => T[]): T[] {
  const parts = splitLines(line.replace(/\r?\n?$/, ''));
  if (parts.length === 1) return handle(parts[0]);
  return parts.flatMap((part) => handle(part));
}

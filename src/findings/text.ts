import { ParseError } from './parse-error.js';

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and stray escapes.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]?/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Lines of console output. A lone carriage return counts as a line break too: progress
 * displays rewrite a line with `\r`, and what follows it is a line of its own.
 */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/** One console line without colours, surrounding blanks or a stray carriage return. */
export function cleanLine(line: string): string {
  return stripAnsi(line).trim();
}

export function isBlank(text: string): boolean {
  return stripBom(text).trim() === '';
}

/** `JSON.parse` with a one-line error naming `what` the text should have been. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(stripBom(text));
  } catch (err) {
    throw new ParseError(`malformed JSON in ${what}: ${(err as Error).message}`, { cause: err });
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is a non-empty string after trimming, else undefined. */
export function stringOf(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' ? undefined : text;
}

/** The value when it is an array, else an empty one: optional lists in tool answers. */
export function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

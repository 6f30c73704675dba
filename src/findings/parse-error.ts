/**
 * A tool output a parser cannot read at all (malformed JSON, a different format). The message
 * is one line and names the reason; `loom parse` prints it as is.
 */
export class ParseError extends Error {
  readonly code = 'UNPARSEABLE_OUTPUT';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message.replace(/\s*\n\s*/g, ' '), options);
    this.name = 'ParseError';
  }
}

type State = 'start' | 'between' | 'row' | 'done';

/**
 * Splits a crt.sh JSON answer into its row objects as the text arrives, so a large answer is
 * never held as one string next to its parsed form. Reads the array crt.sh serves today and the
 * concatenated objects it served before 2019. Anything else is a `SyntaxError`.
 */
export class JsonRowSplitter {
  private state: State = 'start';
  private array = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Text of the row being read, from earlier pieces. */
  private parts: string[] = [];

  /** Feeds the next piece of text; returns the rows completed inside it, parsed. */
  push(text: string): unknown[] {
    const rows: unknown[] = [];
    let rowStart = this.state === 'row' ? 0 : -1;

    for (let i = 0; i < text.length; i += 1) {
      const c = text[i];
      if (this.state === 'row') {
        if (!this.stepInRow(c)) continue;
        this.parts.push(text.slice(rowStart, i + 1));
        rows.push(JSON.parse(this.parts.join('')));
        this.parts = [];
        rowStart = -1;
        this.state = 'between';
        continue;
      }

      if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue;
      if (c === '{' && this.state !== 'done') {
        this.state = 'row';
        this.depth = 1;
        rowStart = i;
      } else if (c === '[' && this.state === 'start') {
        this.array = true;
        this.state = 'between';
      } else if (this.array && this.state === 'between' && (c === ',' || c === ']')) {
        if (c === ']') this.state = 'done';
      } else {
        throw new SyntaxError(`unexpected "${c}" outside a row`);
      }
    }

    if (this.state === 'row') this.parts.push(text.slice(rowStart));
    return rows;
  }

  /** Call once the text has ended: throws when it stopped inside a row or an open array. */
  end(): void {
    if (this.state === 'start') throw new SyntaxError('the answer is empty');
    const complete = this.array ? this.state === 'done' : this.state === 'between';
    if (!complete) throw new SyntaxError('the answer ends in the middle of the JSON');
  }

  /** Advances through one character of a row; true when it closed the row. */
  private stepInRow(c: string): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === '\\') this.escaped = true;
      else if (c === '"') this.inString = false;
      return false;
    }
    if (c === '"') this.inString = true;
    else if (c === '{' || c === '[') this.depth += 1;
    else if (c === '}' || c === ']') this.depth -= 1;
    return this.depth === 0;
  }
}

/**
 * A small Markdown reader for Loom reports: headings, paragraphs, lists, tables, code, rules,
 * and inline code, strong, emphasis and links. It yields a tree of plain data; drawing it
 * (markdown-dom.ts) creates elements and text nodes, so nothing in a report becomes markup.
 */
export type Inline =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'link'; href: string; children: Inline[] };

export type Block =
  | { type: 'heading'; level: number; children: Inline[] }
  | { type: 'paragraph'; children: Inline[] }
  | { type: 'list'; ordered: boolean; items: Inline[][] }
  | { type: 'code'; text: string }
  | { type: 'table'; header: Inline[][]; rows: Inline[][][] }
  | { type: 'rule' };

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const TABLE_DIVIDER = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const PUNCTUATION = /[!-/:-@[-`{-~]/;
const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;

  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i += 1;
      continue;
    }
    if (line.trimStart().startsWith('```')) {
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !lines[i].trimStart().startsWith('```')) body.push(lines[i++]);
      i += 1;
      blocks.push({ type: 'code', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ type: 'heading', level: heading[1].length, children: parseInline(heading[2]) });
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ type: 'rule' });
      i += 1;
      continue;
    }
    if (line.trimStart().startsWith('|') && TABLE_DIVIDER.test(lines[i + 1] ?? '')) {
      const header = splitRow(line).map(parseInline);
      const rows: Inline[][][] = [];
      i += 2;
      while (i < lines.length && lines[i].trimStart().startsWith('|')) {
        rows.push(splitRow(lines[i++]).map(parseInline));
      }
      blocks.push({ type: 'table', header, rows });
      continue;
    }
    const listPattern = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : undefined;
    if (listPattern) {
      const items: Inline[][] = [];
      let match: RegExpExecArray | null;
      while (i < lines.length && (match = listPattern.exec(lines[i]))) {
        items.push(parseInline(match[1]));
        i += 1;
      }
      blocks.push({ type: 'list', ordered: listPattern === NUMBERED, items });
      continue;
    }
    const text: string[] = [];
    while (i < lines.length && lines[i].trim() !== '' && !startsBlock(lines, i)) {
      text.push(lines[i++].trim());
    }
    blocks.push({ type: 'paragraph', children: parseInline(text.join(' ')) });
  }
  return blocks;
}

function startsBlock(lines: string[], i: number): boolean {
  const line = lines[i];
  return (
    HEADING.test(line) ||
    RULE.test(line) ||
    BULLET.test(line) ||
    NUMBERED.test(line) ||
    line.trimStart().startsWith('```') ||
    (line.trimStart().startsWith('|') && TABLE_DIVIDER.test(lines[i + 1] ?? ''))
  );
}

/** Cells of a table row; `\|` stays inside its cell. */
function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === '\\' && i + 1 < row.length) {
      cell += row[i] + row[i + 1];
      i += 1;
    } else if (row[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += row[i];
    }
  }
  cells.push(cell.trim());
  return cells;
}

export function parseInline(source: string): Inline[] {
  const out: Inline[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ type: 'text', text });
    text = '';
  };

  for (let i = 0; i < source.length;) {
    const ch = source[i];
    if (ch === '\\' && PUNCTUATION.test(source[i + 1] ?? '')) {
      text += source[i + 1];
      i += 2;
      continue;
    }
    if (ch === '`') {
      const run = /^`+/.exec(source.slice(i))![0];
      const end = source.indexOf(run, i + run.length);
      if (end > 0) {
        flush();
        out.push({ type: 'code', text: source.slice(i + run.length, end).trim() });
        i = end + run.length;
        continue;
      }
    }
    if (source.startsWith('**', i)) {
      const end = findClosing(source, '**', i + 2);
      if (end > i + 2) {
        flush();
        out.push({ type: 'strong', children: parseInline(source.slice(i + 2, end)) });
        i = end + 2;
        continue;
      }
    }
    if (ch === '*' && source[i + 1] !== ' ') {
      const end = findClosing(source, '*', i + 1);
      if (end > i + 1) {
        flush();
        out.push({ type: 'em', children: parseInline(source.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (ch === '[') {
      const link = /^\[([^\]]*)\]\(([^)\s]+)\)/.exec(source.slice(i));
      if (link && SAFE_LINK.test(link[2])) {
        flush();
        out.push({ type: 'link', href: link[2], children: parseInline(link[1]) });
        i += link[0].length;
        continue;
      }
    }
    text += ch;
    i += 1;
  }
  flush();
  return out;
}

/** Index of the closing marker, skipping escaped characters and code spans. */
function findClosing(source: string, marker: string, from: number): number {
  for (let i = from; i < source.length; i += 1) {
    if (source[i] === '\\') {
      i += 1;
      continue;
    }
    if (source[i] === '`') {
      const close = source.indexOf('`', i + 1);
      if (close < 0) return -1;
      i = close;
      continue;
    }
    if (source.startsWith(marker, i) && (marker !== '*' || source[i + 1] !== '*')) return i;
    if (marker === '*' && source.startsWith('**', i)) i += 1;
  }
  return -1;
}

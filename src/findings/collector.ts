import type { FindingKind, ParsedFinding } from './finding.js';
import { normalizeValue } from './normalize.js';

type Data = Record<string, unknown>;

/**
 * Gathers findings, normalising each value and merging duplicates by (kind, value). The first
 * finding of a value fixes its place in the list; later ones only add data it lacked.
 */
export class FindingCollector {
  private readonly byKey = new Map<string, ParsedFinding>();

  /**
   * Adds one finding. Returns it when the value is new, undefined when it was merged into an
   * earlier one or when `raw` is not a valid value of `kind`.
   */
  add(kind: FindingKind, raw: string, data?: Data): ParsedFinding | undefined {
    const value = normalizeValue(kind, raw);
    if (value === undefined) return undefined;

    const key = `${kind}\u0000${value}`;
    const known = this.byKey.get(key);
    if (known) {
      if (data) known.data = mergeData(known.data, data);
      return undefined;
    }

    const finding: ParsedFinding = { kind, value };
    if (data && Object.keys(data).length > 0) finding.data = { ...data };
    this.byKey.set(key, finding);
    return finding;
  }

  /** Adds findings that may already be normalised (a parser's output); see `add`. */
  addAll(findings: Iterable<ParsedFinding>): void {
    for (const f of findings) this.add(f.kind, f.value, f.data);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Unique findings in first-seen order. */
  list(): ParsedFinding[] {
    return [...this.byKey.values()];
  }
}

/**
 * Merges later detail into earlier detail: keys the first lacked are added, lists of plain
 * values are united, anything else keeps its first value.
 */
export function mergeData(first: Data | undefined, later: Data): Data | undefined {
  const merged: Data = { ...first };
  for (const [key, value] of Object.entries(later)) {
    const current = merged[key];
    if (current === undefined) merged[key] = value;
    else if (Array.isArray(current) && Array.isArray(value)) merged[key] = uniteLists(current, value);
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}

function uniteLists(a: unknown[], b: unknown[]): unknown[] {
  const out = [...a];
  for (const item of b) {
    const plain = item === null || typeof item !== 'object';
    if (!plain || !out.includes(item)) out.push(item);
  }
  return out;
}

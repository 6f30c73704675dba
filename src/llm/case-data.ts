/** What the prompts know of a case: stored data only, as the archive also keeps it. */
export interface CaseSnapshot {
  case: {
    id: string;
    title: string;
    description: string | null;
    target: string;
    targetKind: string;
    status: string;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
  };
  runs: {
    id: string;
    tool: string;
    status: string;
    startedAt: string | null;
    finishedAt: string | null;
    error: string | null;
    findingCount: number;
  }[];
  findings: { kind: string; value: string; tools: string[]; data: unknown }[];
}

/** The markers around the case data; tool output can never contain them. */
export const BEGIN = '<<<BEGIN CASE DATA>>>';
export const END = '<<<END CASE DATA>>>';

const LIMITS = {
  title: 300,
  description: 2000,
  runError: 400,
  value: 500,
  dataString: 200,
  dataItems: 5,
  dataKeys: 12,
  dataDepth: 2,
  dataJson: 600,
};

/**
 * The case as one delimited JSON document of at most `budget` characters (the case and its runs
 * always appear). Findings are ordered most corroborated first, grouped by kind, and cut from
 * the least corroborated end when the budget runs out, with a note saying how many were cut.
 */
export function renderCaseData(snapshot: CaseSnapshot, budget: number): string {
  const { case: c } = snapshot;
  const header = {
    case: {
      title: clipText(c.title, LIMITS.title),
      description: c.description === null ? null : clipText(c.description, LIMITS.description),
      target: c.target,
      targetKind: c.targetKind,
      status: c.status,
      createdAt: c.createdAt,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
    },
    runs: snapshot.runs.map((r) => ({
      tool: r.tool,
      status: r.status,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      error: r.error === null ? null : clipText(r.error, LIMITS.runError),
      findingCount: r.findingCount,
    })),
  };

  const sorted = [...snapshot.findings].sort(
    (a, b) =>
      b.tools.length - a.tools.length ||
      a.kind.localeCompare(b.kind) ||
      a.value.localeCompare(b.value),
  );
  const entries = sorted.map((f) => ({ kind: f.kind, line: json(findingEntry(f)) }));
  const counts: Record<string, number> = {};
  for (const f of sorted) counts[f.kind] = (counts[f.kind] ?? 0) + 1;

  let included = entries.length;
  let text = render(header, counts, entries, included);
  if (text.length > budget) {
    // Start from an estimate, then step back until the whole text fits.
    const fixed = render(header, counts, entries, 0).length;
    let room = budget - fixed;
    included = 0;
    while (included < entries.length && room - entries[included]!.line.length - 24 >= 0) {
      room -= entries[included]!.line.length + 24;
      included++;
    }
    text = render(header, counts, entries, included);
    while (text.length > budget && included > 0) {
      included--;
      text = render(header, counts, entries, included);
    }
  }
  return text;
}

function render(
  header: object,
  counts: Record<string, number>,
  entries: { kind: string; line: string }[],
  included: number,
): string {
  const groups = new Map<string, string[]>();
  for (const entry of entries.slice(0, included)) {
    const group = groups.get(entry.kind) ?? [];
    group.push(entry.line);
    groups.set(entry.kind, group);
  }

  const omitted = entries.length - included;
  const headerJson = json(header);
  const kinds = [...groups].map(([kind, lines]) => `${json(kind)}:[\n${lines.join(',\n')}]`);
  const document =
    `${headerJson.slice(0, -1)},\n"findingCounts":${json(counts)},` +
    `\n"findingsOmitted":${omitted},\n"findings":{${kinds.length ? '\n' : ''}${kinds.join(',\n')}}}`;

  const lines = [BEGIN, '```json', document, '```', END];
  if (omitted > 0) {
    lines.push(
      `Note: ${omitted} of ${entries.length} findings were left out to fit the prompt; the ones ` +
        'left out were reported by the fewest tools. findingCounts covers them all.',
    );
  }
  return lines.join('\n');
}

function findingEntry(f: CaseSnapshot['findings'][number]): Record<string, unknown> {
  const entry: Record<string, unknown> = { value: clipText(f.value, LIMITS.value), tools: f.tools };
  const data = summarise(f.data, 0);
  const empty =
    data === undefined ||
    data === null ||
    (typeof data === 'object' && Object.keys(data as object).length === 0);
  if (!empty) {
    const compact = json(data);
    entry.data = compact.length > LIMITS.dataJson ? clipText(compact, LIMITS.dataJson) : data;
  }
  return entry;
}

/** A bounded copy of a finding's detail: short strings, few items, shallow nesting. */
function summarise(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return clipText(value, LIMITS.dataString);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (depth >= LIMITS.dataDepth) return '[…]';

  if (Array.isArray(value)) {
    const items = value.slice(0, LIMITS.dataItems).map((v) => summarise(v, depth + 1));
    if (value.length > LIMITS.dataItems) items.push(`… ${value.length - LIMITS.dataItems} more`);
    return items;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    const out: Record<string, unknown> = {};
    for (const key of keys.slice(0, LIMITS.dataKeys)) {
      out[neutralise(clipText(key, 60))] = summarise(
        (value as Record<string, unknown>)[key],
        depth + 1,
      );
    }
    if (keys.length > LIMITS.dataKeys) out['…'] = `${keys.length - LIMITS.dataKeys} more keys`;
    return out;
  }
  return String(value);
}

/**
 * JSON with every string neutralised: a run of backticks cannot close the fence and the
 * markers cannot be forged, whatever a tool's output contains.
 */
function json(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? neutralise(v) : v));
}

export function neutralise(text: string): string {
  return text
    .replace(/`{3,}/g, (run) => "'".repeat(run.length))
    .replace(/<{3,}|>{3,}/g, (run) => run.split('').join(' '));
}

export function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters]` : text;
}

import type { CaseRow } from '../cases/case-repository.js';
import type { FindingRecord } from '../findings/finding-repository.js';
import type { RunRow } from '../runs/run-repository.js';

const KIND_TITLES: Record<string, string> = {
  HOST: 'Hosts',
  IP: 'IP addresses',
  EMAIL: 'Email addresses',
  URL: 'URLs',
  ACCOUNT: 'Accounts',
  OTHER: 'Other records',
};
/** Rows per kind in the report; the full list stays queryable through `Case.findings`. */
const ROWS_PER_KIND = 500;

/** The report Loom always writes itself, from stored data alone. */
export function buildStructuredReport(
  caseRow: CaseRow,
  runs: RunRow[],
  findings: FindingRecord[],
  counts: Map<string, number>,
  finalStatus: string,
): string {
  const lines: string[] = [
    `# ${escapeMd(caseRow.title)}`,
    '',
    `- **Target:** \`${caseRow.target}\` (${caseRow.targetKind.toLowerCase()})`,
    `- **Status:** ${finalStatus}`,
    `- **Created:** ${caseRow.createdAt.toISOString()}`,
  ];
  if (caseRow.description) lines.push(`- **Description:** ${escapeMd(caseRow.description)}`);
  lines.push(`- **Findings:** ${findings.length}`, '', '## Tool runs', '');
  lines.push('| Tool | Status | Duration | Findings |', '| --- | --- | --- | --- |');
  for (const run of runs) {
    lines.push(`| ${run.tool} | ${run.status} | ${duration(run)} | ${counts.get(run.id) ?? 0} |`);
  }

  const problems = runs.filter((r) => r.error || r.warnings.length > 0);
  if (problems.length > 0) {
    lines.push('', '## What failed or warned', '');
    for (const run of problems) {
      if (run.error) lines.push(`- **${run.tool}** (${run.status}): ${escapeMd(run.error)}`);
      for (const warning of run.warnings)
        lines.push(`- **${run.tool}** warning: ${escapeMd(warning)}`);
    }
  }

  lines.push('', '## Findings by kind');
  const byKind = groupByKind(findings);
  if (byKind.size === 0) lines.push('', 'No findings.');
  for (const [kind, items] of byKind) {
    lines.push('', `### ${KIND_TITLES[kind] ?? kind} (${items.length})`, '');
    lines.push('| Value | Found by |', '| --- | --- |');
    for (const finding of items.slice(0, ROWS_PER_KIND)) {
      lines.push(`| ${escapeMd(finding.value)} | ${finding.tools.join(', ')} |`);
    }
    if (items.length > ROWS_PER_KIND) {
      lines.push('', `…and ${items.length - ROWS_PER_KIND} more.`);
    }
  }

  const corroborated = findings.filter((f) => f.tools.length > 1);
  if (corroborated.length > 0) {
    lines.push('', '## Found by more than one tool', '');
    for (const f of corroborated.slice(0, 100)) {
      lines.push(`- ${f.kind} \`${f.value}\` — ${f.tools.join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function groupByKind(findings: FindingRecord[]): Map<string, FindingRecord[]> {
  const groups = new Map<string, FindingRecord[]>();
  for (const kind of Object.keys(KIND_TITLES)) {
    const items = findings
      .filter((f) => f.kind === kind)
      .sort((a, b) => b.tools.length - a.tools.length || a.value.localeCompare(b.value));
    if (items.length > 0) groups.set(kind, items);
  }
  return groups;
}

function duration(run: RunRow): string {
  if (!run.startedAt || !run.finishedAt) return '—';
  const seconds = (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000;
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${(seconds / 60).toFixed(1)} min`;
}

/** Tool output is data: keep it from breaking the table or injecting markup. */
function escapeMd(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/([|\\`*_[\]<>])/g, '\\$1');
}

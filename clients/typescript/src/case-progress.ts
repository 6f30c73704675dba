import type { CaseEvent } from './case-events.js';
import { formatDuration, plural } from './format.js';

export interface ToolProgress {
  tool: string;
  status: string;
  /** The run's id, once an event has named it (needed to retry it). */
  runId?: string;
  startedAt?: number;
  finishedAt?: number;
  findings: number;
  /** Why it failed, timed out or was cancelled. */
  message?: string;
}

export interface CaseHeader {
  id: string;
  title: string;
  target: string;
  status: string;
}

export interface FindingProgress {
  id: string;
  kind: string;
  value: string;
  /** Every tool that found it, as the server last reported. */
  tools: string[];
}

const RUN_ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);
const CASE_ENDED = new Set(['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED']);

/**
 * What happened to a case so far, rebuilt from its events: each tool's status, times and
 * findings, and the distinct findings. Pure (no I/O, no clock), so a terminal and a browser
 * draw it alike.
 */
export class CaseProgress {
  readonly tools = new Map<string, ToolProgress>();
  /** One value found by two tools is one finding. */
  readonly findings = new Map<string, FindingProgress>();
  /** Which tools' events reported each finding: a retried run's findings are dropped. */
  private readonly reporters = new Map<string, Set<string>>();
  caseStartedAt?: number;
  caseFinishedAt?: number;
  /** Who wrote the newest report, once a REPORT event said so. */
  report?: string;

  constructor(
    readonly header: CaseHeader,
    tools: ToolProgress[],
  ) {
    for (const tool of tools) this.tools.set(tool.tool, { ...tool });
  }

  /** Applies one event; returns the tool whose line changed, if any. */
  apply(event: CaseEvent): ToolProgress | undefined {
    const at = Date.parse(event.at);
    switch (event.type) {
      case 'CASE_STATUS':
        this.header.status = event.status ?? this.header.status;
        if (event.status === 'RUNNING') this.caseStartedAt ??= at;
        if (event.status === 'QUEUED') this.caseFinishedAt = undefined;
        if (CASE_ENDED.has(event.status ?? '')) this.caseFinishedAt = at;
        return undefined;
      case 'TOOL_STATUS':
        return this.toolStatus(event, at);
      case 'FINDING':
        return this.finding(event);
      case 'REPORT':
        this.report = event.status ?? 'loom';
        return undefined;
      default:
        return undefined;
    }
  }

  get ended(): boolean {
    return CASE_ENDED.has(this.header.status);
  }

  private toolStatus(event: CaseEvent, at: number): ToolProgress | undefined {
    if (!event.tool || !event.status) return undefined;
    const tool = this.tool(event.tool);
    tool.status = event.status;
    tool.runId = event.runId ?? tool.runId;
    if (event.status === 'QUEUED') {
      // A retry starts the run again, and the server drops what its last attempt found.
      tool.startedAt = undefined;
      tool.finishedAt = undefined;
      tool.message = undefined;
      if (event.message === 'retry') this.forgetFindingsOf(tool);
    }
    if (event.status === 'RUNNING') tool.startedAt = at;
    if (RUN_ENDED.has(event.status)) {
      tool.finishedAt = at;
      tool.message = event.status === 'SUCCEEDED' ? undefined : (event.message ?? undefined);
    }
    return tool;
  }

  private finding(event: CaseEvent): ToolProgress | undefined {
    // A replayed event whose finding has since been removed carries none.
    if (!event.finding || !event.tool) return undefined;
    const { id, kind, value, tools } = event.finding;
    this.findings.set(id, { id, kind, value, tools: [...tools] });
    const reporters = this.reporters.get(id) ?? new Set<string>();
    this.reporters.set(id, reporters);
    const tool = this.tool(event.tool);
    tool.runId = event.runId ?? tool.runId;
    if (!reporters.has(tool.tool)) {
      reporters.add(tool.tool);
      tool.findings += 1;
    }
    return tool;
  }

  private forgetFindingsOf(tool: ToolProgress): void {
    tool.findings = 0;
    for (const [id, reporters] of this.reporters) {
      if (!reporters.delete(tool.tool)) continue;
      const finding = this.findings.get(id);
      if (finding) finding.tools = finding.tools.filter((t) => t !== tool.tool);
      if (reporters.size === 0) {
        this.reporters.delete(id);
        this.findings.delete(id);
      }
    }
  }

  private tool(name: string): ToolProgress {
    let tool = this.tools.get(name);
    if (!tool) {
      tool = { tool: name, status: 'QUEUED', findings: 0 };
      this.tools.set(name, tool);
    }
    return tool;
  }

  /** Cells of one progress line: tool, status, elapsed time, findings so far, why it ended. */
  cells(tool: ToolProgress, now: number): string[] {
    return [
      tool.tool,
      tool.status,
      this.toolElapsed(tool, now),
      plural(tool.findings, 'finding'),
      tool.message ? clip(tool.message, 120) : '',
    ];
  }

  toolElapsed(tool: ToolProgress, now: number): string {
    if (tool.startedAt === undefined) return '-';
    return formatDuration((tool.finishedAt ?? now) - tool.startedAt);
  }

  elapsed(now: number): string {
    if (this.caseStartedAt === undefined) return '';
    return formatDuration((this.caseFinishedAt ?? now) - this.caseStartedAt);
  }
}

export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

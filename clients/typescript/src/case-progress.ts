import type { CaseEvent } from '../../../clients/typescript/src/case-events.js';
import { formatDuration, plural } from './output.js';

export interface ToolProgress {
  tool: string;
  status: string;
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

const RUN_ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

/** What happened to a case so far, rebuilt from its events. Pure: no I/O, no clock. */
export class CaseProgress {
  readonly tools = new Map<string, ToolProgress>();
  /** Distinct findings of the case: one value found by two tools is one finding. */
  private readonly findingIds = new Set<string>();
  caseStartedAt?: number;
  caseFinishedAt?: number;
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
        if (['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED'].includes(event.status ?? '')) {
          this.caseFinishedAt = at;
        }
        return undefined;
      case 'TOOL_STATUS':
        return this.toolStatus(event, at);
      case 'FINDING': {
        if (event.finding) this.findingIds.add(event.finding.id);
        const tool = event.tool ? this.tool(event.tool) : undefined;
        if (tool) tool.findings += 1;
        return tool;
      }
      case 'REPORT':
        this.report = event.status ?? 'loom';
        return undefined;
      default:
        return undefined;
    }
  }

  private toolStatus(event: CaseEvent, at: number): ToolProgress | undefined {
    if (!event.tool || !event.status) return undefined;
    const tool = this.tool(event.tool);
    tool.status = event.status;
    if (event.status === 'QUEUED') {
      // A retry starts the clock again.
      tool.startedAt = undefined;
      tool.finishedAt = undefined;
      tool.message = undefined;
    }
    if (event.status === 'RUNNING') tool.startedAt = at;
    if (RUN_ENDED.has(event.status)) {
      tool.finishedAt = at;
      tool.message = event.status === 'SUCCEEDED' ? undefined : (event.message ?? undefined);
    }
    return tool;
  }

  private tool(name: string): ToolProgress {
    let tool = this.tools.get(name);
    if (!tool) {
      tool = { tool: name, status: 'QUEUED', findings: 0 };
      this.tools.set(name, tool);
    }
    return tool;
  }

  get findings(): number {
    return this.findingIds.size;
  }

  /** Cells of one progress line: tool, status, elapsed time, findings so far, why it ended. */
  cells(tool: ToolProgress, now: number): string[] {
    const elapsed =
      tool.startedAt === undefined
        ? '-'
        : formatDuration((tool.finishedAt ?? now) - tool.startedAt);
    return [
      tool.tool,
      tool.status,
      elapsed,
      plural(tool.findings, 'finding'),
      tool.message ? clip(tool.message, 120) : '',
    ];
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

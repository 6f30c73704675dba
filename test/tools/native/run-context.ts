import { randomUUID } from 'node:crypto';

import pino from 'pino';

import type { AppConfig } from '../../../src/config/config.js';
import type { ParsedFinding } from '../../../src/findings/finding.js';
import type { RunContext } from '../../../src/tools/tool.js';

/** A RunContext that records what a tool reports, for assertions. */
export interface RecordingContext extends RunContext {
  lines: string[];
  findings: ParsedFinding[];
  warnings: string[];
  controller: AbortController;
  /** Findings of one kind, values only, sorted. */
  values(kind: ParsedFinding['kind']): string[];
}

export function recordingContext(config: AppConfig): RecordingContext {
  const controller = new AbortController();
  const lines: string[] = [];
  const findings: ParsedFinding[] = [];
  const warnings: string[] = [];
  return {
    runId: randomUUID(),
    signal: controller.signal,
    controller,
    log: pino({ level: 'silent' }),
    config,
    lines,
    findings,
    warnings,
    output: (line) => lines.push(line),
    finding: (finding) => findings.push(finding),
    warn: (message) => warnings.push(message),
    values: (kind) =>
      [...new Set(findings.filter((f) => f.kind === kind).map((f) => f.value))].sort(),
  };
}

import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pino } from 'pino';

import type { AppConfig } from '../../../src/config/config.js';
import { normalizeValue } from '../../../src/findings/normalize.js';
import type { FindingKind, ParsedFinding } from '../../../src/findings/finding.js';
import type { RunContext } from '../../../src/tools/tool.js';
import { fixturePath } from '../../support/fixtures.js';

/** POSIX quoting for the test's own scripts, written independently of the code under test. */
function q(text: string): string {
  return `'${text.split("'").join(`'"'"'`)}'`;
}

export interface StandInOptions {
  /** Recorded recon-ng output printed for `show hosts` (path under the fixtures dir). */
  fixture?: string;
  /** Printed, then slept, when a module runs (`-x`): a unique duration marks the process. */
  sleep?: string;
  /** Exit status of a module run. */
  runExit?: number;
  /** Lines printed by a module run. */
  runOutput?: string[];
}

export interface StandIn {
  dir: string;
  program: string;
  /** Every invocation's argv, in order. */
  invocations(): Promise<string[][]>;
  remove(): Promise<void>;
}

/**
 * A `recon-cli` replacement on the SSH host: it records its argv, prints a recorded real
 * `show hosts` table when asked for one, and can sleep or fail during a module run.
 */
export async function writeStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const dir = await mkdtemp(join(tmpdir(), 'loom-recon-cli-'));
  const program = join(dir, 'recon-cli');
  const argvLog = join(dir, 'argv.log');
  await writeFile(argvLog, '');

  let table = ':';
  if (options.fixture) {
    const copy = join(dir, 'show-hosts.txt');
    await copyFile(fixturePath(options.fixture), copy);
    table = `cat ${q(copy)}`;
  }
  const run = [
    ...(options.runOutput ?? []).map((line) => `printf '%s\\n' ${q(line)}`),
    ...(options.sleep ? [`echo 'module sleeping'`, `sleep ${options.sleep}`] : []),
    `exit ${options.runExit ?? 0}`,
  ].join('; ');

  const script = [
    '#!/bin/sh',
    // Arguments end with NUL, invocations with SOH: any argument text survives the log.
    `{ printf '%s\\0' "$@"; printf '\\001'; } >> ${q(argvLog)}`,
    'for arg in "$@"; do',
    '  case "$arg" in',
    `    'show hosts') echo 'GLOBAL COMMAND => show hosts'; ${table} ;;`,
    `    -x) ${run} ;;`,
    '  esac',
    'done',
    'exit 0',
    '',
  ].join('\n');
  await writeFile(program, script, { mode: 0o755 });

  return {
    dir,
    program,
    invocations: async () =>
      (await readFile(argvLog, 'latin1'))
        .split('\u0001')
        .filter((entry) => entry !== '')
        .map((entry) => entry.split('\0').slice(0, -1)),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface Captured {
  ctx: RunContext;
  lines: string[];
  findings: ParsedFinding[];
  warnings: string[];
}

export function captureContext(config: AppConfig, signal: AbortSignal, runId: string): Captured {
  const lines: string[] = [];
  const findings: ParsedFinding[] = [];
  const warnings: string[] = [];
  const log = pino({ level: 'silent' }).child({ runId, tool: 'recon-ng' });
  return {
    lines,
    findings,
    warnings,
    ctx: {
      runId,
      signal,
      log,
      config,
      output: (line) => lines.push(line),
      finding: (finding) => findings.push(finding),
      warn: (message) => warnings.push(message),
    },
  };
}

/** Distinct normalised findings per kind, as the fixtures' expected.json counts them. */
export function countByKind(findings: ParsedFinding[]): Partial<Record<FindingKind, number>> {
  const seen = new Set<string>();
  const counts: Partial<Record<FindingKind, number>> = {};
  for (const finding of findings) {
    const value = normalizeValue(finding.kind, finding.value);
    if (value === undefined || seen.has(`${finding.kind} ${value}`)) continue;
    seen.add(`${finding.kind} ${value}`);
    counts[finding.kind] = (counts[finding.kind] ?? 0) + 1;
  }
  return counts;
}

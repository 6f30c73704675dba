import { setTimeout as sleep } from 'node:timers/promises';

import { z } from 'zod';

import type { ParsedFinding } from '../../src/findings/finding.js';
import { ToolError, type TargetKind, type ToolAdapter } from '../../src/tools/tool.js';

export interface Script {
  lines?: string[];
  findings?: ParsedFinding[];
  /** Pause between steps, ms. */
  stepMs?: number;
  /** Keep running (honouring abort) after the script, until aborted. */
  hang?: boolean;
  /** Ignore the abort signal entirely (a badly behaved tool). */
  ignoreAbort?: boolean;
  fail?: string;
}

/**
 * A tool for runner and case tests whose behaviour is a script: it exercises the runner's
 * contract (streaming, abort, failure) without any outside service.
 */
export function scriptedTool(
  name: string,
  script: Script | (() => Script),
  kinds: TargetKind[] = ['DOMAIN', 'IP', 'EMAIL', 'USERNAME'],
): ToolAdapter<{ depth: number }> & { started: number } {
  const tool = {
    name,
    description: `scripted ${name}`,
    transport: 'NATIVE' as const,
    targetKinds: kinds,
    options: z.object({ depth: z.number().int().min(1).max(5).default(1) }).strict(),
    started: 0,
    checkAvailability: async () => ({ available: true }),
    parse: () => [],
    run: async (_target: unknown, _options: unknown, ctx: Parameters<ToolAdapter['run']>[2]) => {
      tool.started += 1;
      const s = typeof script === 'function' ? script() : script;
      const wait = async () => {
        if (s.stepMs) await sleep(s.stepMs, undefined, s.ignoreAbort ? {} : { signal: ctx.signal });
      };
      for (const line of s.lines ?? []) {
        ctx.output(line);
        await wait();
      }
      for (const finding of s.findings ?? []) {
        ctx.finding(finding);
        await wait();
      }
      if (s.fail) throw new ToolError(s.fail);
      if (s.hang) {
        if (s.ignoreAbort) await sleep(3_600_000);
        else await sleep(3_600_000, undefined, { signal: ctx.signal });
      }
    },
  };
  return tool;
}

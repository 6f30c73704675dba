import { z } from 'zod';

import { badInput } from '../errors/app-error.js';
import type { Target } from '../tools/tool.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { detectTarget } from './target.js';

// C0 and C1 controls and DEL; descriptions may keep line breaks and tabs.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface CreateCaseInput {
  title: string;
  description?: string | null;
  target: string;
  tools: string[];
  toolOptions?: unknown;
}

export interface ValidCase {
  title: string;
  description: string | null;
  target: Target;
  runs: { tool: string; options: Record<string, unknown> }[];
}

/**
 * Checks everything about a new case before anything is stored. Each failure names the
 * field in its message and in `extensions.field`.
 */
export function validateCreateCase(input: CreateCaseInput, registry: ToolRegistry): ValidCase {
  const title = checkText('title', input.title, 200, CONTROL, true);
  const description =
    input.description == null
      ? null
      : checkText('description', input.description, 1000, CONTROL_BUT_LINES, false) || null;

  if (input.target.length > 320 || CONTROL.test(input.target)) {
    throw badInput('target', 'is not a valid domain, IP address, email or username');
  }
  const target = detectTarget(input.target);
  if (!target) throw badInput('target', 'is not a valid domain, IP address, email or username');

  const tools = input.tools;
  if (tools.length < 1 || tools.length > 10) throw badInput('tools', 'give 1 to 10 tools');
  if (new Set(tools).size !== tools.length) throw badInput('tools', 'lists a tool twice');
  tools.forEach((name, index) => {
    const tool = registry.get(name);
    if (!tool) throw badInput(`tools[${index}]`, `unknown tool "${clip(name)}"`);
    if (!tool.targetKinds.includes(target.kind)) {
      throw badInput(
        `tools[${index}]`,
        `${name} does not accept a ${target.kind.toLowerCase()} target`,
      );
    }
  });

  const options = checkOptionsShape(input.toolOptions);
  for (const name of Object.keys(options)) {
    if (!tools.includes(name))
      throw badInput('toolOptions', `has options for unselected tool "${clip(name)}"`);
  }
  const runs = tools.map((name) => {
    const parsed = registry.get(name)!.options.safeParse(options[name] ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = [name, ...issue.path.map(String)].join('.');
      throw badInput(`toolOptions.${path}`, issue.message);
    }
    return { tool: name, options: parsed.data as Record<string, unknown> };
  });

  return { title, description, target, runs };
}

function checkText(
  field: string,
  value: string,
  max: number,
  forbidden: RegExp,
  required: boolean,
): string {
  const trimmed = value.trim();
  if (required && trimmed.length === 0) throw badInput(field, 'must not be empty');
  if (trimmed.length > max) throw badInput(field, `must be at most ${max} characters`);
  if (forbidden.test(trimmed)) throw badInput(field, 'must not contain control characters');
  if (UNPAIRED_SURROGATE.test(trimmed)) throw badInput(field, 'is not valid UTF-8 text');
  return trimmed;
}

const optionsShape = z.record(z.string(), z.record(z.string(), z.unknown()));

function checkOptionsShape(value: unknown): Record<string, Record<string, unknown>> {
  if (value == null) return {};
  const parsed = optionsShape.safeParse(value);
  if (!parsed.success) {
    throw badInput('toolOptions', 'must be an object of option objects keyed by tool name');
  }
  return parsed.data;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

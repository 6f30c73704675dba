import { readFile } from 'node:fs/promises';

import type { ParsedFinding } from '../findings/finding.js';
import { FindingCollector } from '../findings/normalize.js';
import { parsers } from '../tools/parsers.js';

/**
 * `loom parse TOOL FILE`: prints the unique findings of a saved tool output, one JSON object per
 * line (`{"kind","value","data"}`, `data` left out when empty). Returns the exit code: 0, or 2
 * with one `loom parse: <reason>` line on stderr for an unknown tool, an unreadable file or
 * input the parser cannot read.
 */
export async function runParse(tool: string, file: string): Promise<number> {
  const parse = Object.hasOwn(parsers, tool) ? parsers[tool] : undefined;
  if (!parse) {
    return fail(`unknown tool '${tool}' (known: ${Object.keys(parsers).sort().join(', ')})`);
  }

  let text: string;
  try {
    // TextDecoder drops a leading byte-order mark and replaces invalid bytes.
    text = new TextDecoder('utf-8').decode(await readFile(file));
  } catch (err) {
    return fail(`cannot read ${file}: ${reasonOf(err)}`);
  }

  let findings: ParsedFinding[];
  try {
    findings = parse(text);
  } catch (err) {
    return fail(`${tool}: ${reasonOf(err)}`);
  }

  await write(findings.length > 0 ? formatFindings(findings) : '');
  return 0;
}

/** The output lines; parsers already return unique findings, this keeps it so for any. */
export function formatFindings(findings: ParsedFinding[]): string {
  const collector = new FindingCollector();
  collector.addAll(findings);
  return collector
    .list()
    .map(({ kind, value, data }) =>
      JSON.stringify(
        data && Object.keys(data).length > 0 ? { kind, value, data } : { kind, value },
      ),
    )
    .map((line) => `${line}\n`)
    .join('');
}

function fail(reason: string): number {
  process.stderr.write(`loom parse: ${reason.replace(/\s*\n\s*/g, ' ')}\n`);
  return 2;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function write(text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

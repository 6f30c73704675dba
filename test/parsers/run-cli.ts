import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const loom = resolve(root, 'bin/loom.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `loom parse TOOL FILE` as a child process, no shell involved. */
export function runLoomParse(tool: string, file: string): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [loom, 'parse', tool, file],
      { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs jobs with at most `limit` at a time; results in input order. */
export async function mapLimited<T, R>(items: T[], limit: number, job: (item: T) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const loom = resolve(root, 'bin/loom.mjs');

export interface LoomRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `loom` command as a child process (no shell) with piped output, so it sees
 * no terminal. `onStdout` sees the output as it arrives.
 */
export function runLoom(
  args: string[],
  options: {
    env?: Record<string, string | undefined>;
    onStdout?: (all: string) => void;
    timeoutMs?: number;
  } = {},
): Promise<LoomRun> {
  return new Promise((done, fail) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, [loom, ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`loom ${args.join(' ')} did not exit in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

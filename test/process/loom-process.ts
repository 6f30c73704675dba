import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = resolve(root, 'bin/loom.mjs');

/** One JSON log line of a Loom process. */
export type LogEntry = Record<string, unknown> & { msg?: string; level?: number };

export interface LoomProcess {
  child: ChildProcess;
  /** Every JSON log line so far, in order. */
  logs: LogEntry[];
  /** The HTTP port of `serve`, from its `loom listening` line. */
  port?: number;
  url?: string;
  /** The worker id of `worker`, from its `worker started` line. */
  workerId?: string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (entry: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>;
  /** Sends the signal and waits for the process to be gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL when it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * These tests drive far more operations a minute than a person would, and several test files
 * share one Redis where the budgets are counted; the security tests check the limits.
 */
const UNLIMITED_RATES = {
  RATE_LIMIT_READS_PER_MINUTE: '0',
  RATE_LIMIT_TOOLS_PER_MINUTE: '0',
  RATE_LIMIT_CREATE_CASE_PER_MINUTE: '0',
  RATE_LIMIT_CHAT_PER_MINUTE: '0',
  RATE_LIMIT_WRITES_PER_MINUTE: '0',
};

/** Variables of the test runner that must not change how the child behaves. */
const DROPPED = /^(NODE_ENV|VITEST.*|LOOM_TEST_.*|DATABASE_URL|REDIS_URL|PORT|WORKERS)$/;

/**
 * Starts `node bin/loom.mjs COMMAND` with the given environment on top of a cleaned copy of
 * this one, and resolves once it is ready: `serve` when it listens, `worker` when its worker
 * started. Output that is not JSON (a crash trace) is kept on the entries as `raw`.
 */
export async function startLoom(
  command: 'serve' | 'worker',
  env: Record<string, string>,
  readyTimeoutMs = 30_000,
): Promise<LoomProcess> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !DROPPED.test(k)));
  const child = spawn(process.execPath, [BIN, command], {
    cwd: root,
    env: { ...base, ...UNLIMITED_RATES, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const logs: LogEntry[] = [];
  const waiters = new Set<{ match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }>();
  const take = (entry: LogEntry) => {
    logs.push(entry);
    for (const waiter of waiters) {
      if (!waiter.match(entry)) continue;
      waiters.delete(waiter);
      waiter.resolve(entry);
    }
  };
  readLines(child.stdout!, (line) => take(parseLine(line)));
  readLines(child.stderr!, (line) => take({ raw: line, stream: 'stderr' }));

  const waitForLog = (match: (e: LogEntry) => boolean, timeoutMs = 20_000) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogEntry>((resolveWait, reject) => {
      const waiter = {
        match,
        resolve: (entry: LogEntry) => {
          clearTimeout(timer);
          resolveWait(entry);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`loom ${command}: no matching log line; last lines:\n${tail(logs)}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  const proc: LoomProcess = {
    child,
    logs,
    waitForLog,
    kill,
    stop: async (graceMs = 15_000) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await kill('SIGTERM');
      clearTimeout(timer);
    },
  };

  const readyMessage = command === 'serve' ? 'loom listening' : 'worker started';
  const failed = exited.then(() => {
    throw new Error(`loom ${command} exited before it was ready:\n${tail(logs)}`);
  });
  const ready = await Promise.race([
    waitForLog((e) => e.msg === readyMessage, readyTimeoutMs),
    failed,
  ]).catch(async (err: unknown) => {
    await kill('SIGKILL');
    throw err;
  });
  failed.catch(() => {});

  if (command === 'serve') {
    proc.port = Number(ready.port);
    proc.url = `http://127.0.0.1:${proc.port}`;
  } else {
    proc.workerId = String(ready.worker);
  }
  return proc;
}

function parseLine(line: string): LogEntry {
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed && typeof parsed === 'object') return parsed as LogEntry;
  } catch {
    // Not a log line.
  }
  return { raw: line };
}

function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let index: number;
    while ((index = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      if (line.trim()) onLine(line);
    }
  });
}

function tail(logs: LogEntry[]): string {
  return logs
    .slice(-15)
    .map((e) => JSON.stringify(e))
    .join('\n');
}

/**
 * Settings for a Loom process under test: the shared PostgreSQL and Redis, crt.sh and RDAP
 * from a loopback replay server, and every other tool kept from reaching off the machine.
 */
export function loopbackProcessEnv(databaseUrl: string, replayUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: 'redis://127.0.0.1:6379',
    CRTSH_URL: `${replayUrl}/crtsh/`,
    RDAP_URL: `${replayUrl}/rdap`,
    DNS_SERVERS: '127.0.0.1:9',
    DOCKER_HOST: 'unix:///nonexistent/loom-test-docker.sock',
  };
}

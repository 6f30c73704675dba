import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SSHD_PATH = '/usr/sbin/sshd';

/** OpenSSH's server is a Debian package; suites skip with a notice when it is missing. */
export const haveSshd = existsSync(SSHD_PATH);

if (!haveSshd) {
  process.stderr.write(`${SSHD_PATH} not found (apt-get install openssh-server): SSH tests skip\n`);
}

export interface SshdOptions {
  /** OpenSSH's per-connection session limit; its own default is 10. */
  maxSessions?: number;
}

export interface RunningSshd {
  port: number;
  /** The login user: the user running the tests. */
  user: string;
  dir: string;
  clientKeyPath: string;
  /** `TYPE BASE64` of the server's host key, as known_hosts and `.pub` files carry it. */
  hostPublicKey: string;
  /** The listening sshd process; per-connection processes are its children. */
  pid: number;
  /** Process ids of every process below the listener (connections and their commands). */
  descendants(): Promise<number[]>;
  stop(): Promise<void>;
}

/** Generates an ed25519 key pair without passphrase; returns the `.pub` line. */
export async function generateKey(path: string, comment = 'loom-test'): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return (await readFile(`${path}.pub`, 'utf8')).trim();
}

/**
 * Starts a real OpenSSH server on 127.0.0.1 and a random high port, authenticating one fresh
 * client key for the current user. Everything lives in a temporary directory removed by stop().
 */
export async function startSshd(options: SshdOptions = {}): Promise<RunningSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'loom-sshd-'));
  const hostKeyPath = join(dir, 'host_ed25519');
  const clientKeyPath = join(dir, 'client_ed25519');
  const hostPub = await generateKey(hostKeyPath, 'loom-test-host');
  const clientPub = await generateKey(clientKeyPath);
  await writeFile(join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o600 });

  // Privilege separation needs this directory when sshd starts as root.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const configPath = join(dir, 'sshd_config');
    await writeFile(configPath, sshdConfig(dir, hostKeyPath, port, options));

    const child = spawn(SSHD_PATH, ['-D', '-e', '-f', configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-8000);
    });

    try {
      await waitForBanner(port, child, () => log);
    } catch (err) {
      lastError = err;
      child.kill('SIGKILL');
      continue;
    }

    return {
      port,
      user: (await run('id', ['-un'])).stdout.trim(),
      dir,
      clientKeyPath,
      hostPublicKey: hostPub.split(' ').slice(0, 2).join(' '),
      pid: child.pid!,
      descendants: () => descendantsOf(child.pid!),
      stop: () => stopSshd(child, dir),
    };
  }

  await rm(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start: ${String(lastError)}`);
}

function sshdConfig(dir: string, hostKeyPath: string, port: number, options: SshdOptions): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyPath}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    `PidFile ${join(dir, 'sshd.pid')}`,
    `MaxSessions ${options.maxSessions ?? 10}`,
    'LogLevel ERROR',
    '',
  ].join('\n');
}

/** Resolves once the port answers with an SSH identification line. */
async function waitForBanner(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${log()}`);
    if (await readsBanner(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not answer on port ${port}: ${log()}`);
}

function readsBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (chunk) => done(chunk.toString().startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

async function descendantsOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const parent of frontier) {
      const { stdout } = await run('pgrep', ['-P', String(parent)]).catch(() => ({ stdout: '' }));
      next.push(...stdout.split('\n').filter(Boolean).map(Number));
    }
    found.push(...next);
    frontier = next;
  }
  return found;
}

async function stopSshd(child: ChildProcess, dir: string): Promise<void> {
  // Connections are children of the listener and outlive it; end them too, by pid.
  const pids = await descendantsOf(child.pid!);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
}

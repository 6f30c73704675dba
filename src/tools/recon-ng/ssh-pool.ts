import { readFile } from 'node:fs/promises';

import type { Logger } from 'pino';
import { Client, type ClientChannel } from 'ssh2';

import { verifyHostKey, type HostKeyPolicy } from './host-keys.js';

/**
 * A small pool of SSH connections to one host. Each connection carries at most
 * `maxChannelsPerConnection` sessions (OpenSSH refuses more than its MaxSessions, 10 by
 * default); further commands wait in a queue. Idle connections close after `idleMs`, and
 * keepalives make a silent peer fail the commands running on it instead of hanging them.
 */

export type SshErrorCode =
  'SSH_CONNECT_FAILED' | 'SSH_CONNECTION_LOST' | 'SSH_CHANNEL_FAILED' | 'SSH_POOL_CLOSED';

export class SshError extends Error {
  constructor(
    readonly code: SshErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SshError';
  }
}

export interface SshPoolOptions {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  hostKeys: Omit<HostKeyPolicy, 'host' | 'port'>;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  readyTimeoutMs: number;
  maxChannelsPerConnection: number;
  maxConnections: number;
  idleMs: number;
  /** After an abort: how long the remote command has to end before its channel is closed. */
  closeGraceMs: number;
  /** Connection lifecycle events; per-command events go to the command's own logger. */
  log: Logger;
}

export interface ExecOptions {
  signal: AbortSignal;
  log: Logger;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

export interface ExecResult {
  /** Exit status, or null when the command ended by a signal. */
  code: number | null;
  signal?: string;
}

export interface SshPoolStats {
  connections: number;
  /** Sessions open on the server right now. */
  channels: number;
  queued: number;
}

interface PooledConnection {
  id: number;
  client: Client;
  ready: Promise<void>;
  /** Commands holding a slot: opening a channel or running in one. */
  active: number;
  capacity: number;
  channels: Set<ClientChannel>;
  /** Why the connection can no longer be used, once it cannot. */
  failure?: Error;
  /** Whether ssh2 was asked to connect; before that there is no socket to end. */
  started: boolean;
  closed: boolean;
  idleTimer?: NodeJS.Timeout;
}

interface Waiter {
  log: Logger;
  signal: AbortSignal;
  resolve(conn: PooledConnection): void;
  reject(err: unknown): void;
  onAbort(): void;
}

// SSH_MSG_CHANNEL_OPEN_FAILURE reasons that can mean "not now": OpenSSH answers a session
// beyond MaxSessions with 2 ("open failed"); others use 1 (prohibited) or 4 (no resources).
const OPEN_REFUSED_REASONS = new Set([1, 2, 4]);

/** How long a disconnect may take before the socket is destroyed. */
const END_TIMEOUT_MS = 2000;

export class SshPool {
  private readonly connections: PooledConnection[] = [];
  private readonly queue: Waiter[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: SshPoolOptions) {}

  stats(): SshPoolStats {
    return {
      connections: this.connections.length,
      channels: this.connections.reduce((sum, conn) => sum + conn.channels.size, 0),
      queued: this.queue.length,
    };
  }

  /**
   * Runs one command and resolves with its exit status once its channel has closed. On abort
   * the command gets SIGTERM and end of input, its channel is closed once it ends (or after
   * `closeGraceMs`), and the promise rejects with the signal's reason.
   */
  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    options.signal.throwIfAborted();
    const conn = await this.acquire(options.signal, options.log);

    let channel: ClientChannel;
    try {
      await untilAborted(conn.ready, options.signal);
      channel = await openExec(conn, command);
    } catch (err) {
      this.release(conn);
      if (isOpenRefused(err) && conn.active > 0) {
        // The server holds fewer sessions than our cap: remember its limit and wait for a slot.
        conn.capacity = Math.max(1, conn.active);
        options.log.warn({ capacity: conn.capacity }, 'ssh server refused a session; queueing');
        return this.exec(command, options);
      }
      throw err;
    }

    conn.channels.add(channel);
    return this.watch(conn, channel, options);
  }

  /** Opens (or reuses) an authenticated connection, proving host key and credentials. */
  async probe(signal: AbortSignal, log: Logger = this.options.log): Promise<void> {
    const conn = await this.acquire(signal, log);
    try {
      await untilAborted(conn.ready, signal);
    } finally {
      this.release(conn);
    }
  }

  /** Ends every connection and fails queued commands; running commands fail as connections go. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new SshError('SSH_POOL_CLOSED', 'ssh connection pool closed'));
    }
    await Promise.all(this.connections.map((conn) => this.endConnection(conn)));
  }

  private watch(conn: PooledConnection, channel: ClientChannel, options: ExecOptions) {
    return new Promise<ExecResult>((resolve, reject) => {
      let exit: ExecResult | undefined;
      let closeTimer: NodeJS.Timeout | undefined;

      const onAbort = () => {
        options.log.info({ connection: conn.id }, 'aborting remote command');
        // A session signal reaches the command's process group where sshd honours it; the
        // EOF that follows is for commands that end themselves on end of input.
        channel.signal('TERM');
        channel.end();
        closeTimer = setTimeout(() => channel.close(), this.options.closeGraceMs);
      };

      // A stream error is followed by 'close', which settles the run; only record it here.
      channel.on('error', (err: Error) => options.log.debug({ err }, 'ssh channel error'));
      channel.on('data', (chunk: Buffer) => options.onStdout(chunk));
      channel.stderr.on('data', (chunk: Buffer) => options.onStderr(chunk));
      channel.on('exit', (code: number | null, signalName?: string) => {
        exit = code === null ? { code, signal: signalName } : { code };
      });
      channel.once('close', () => {
        clearTimeout(closeTimer);
        options.signal.removeEventListener('abort', onAbort);
        conn.channels.delete(channel);
        this.release(conn);

        if (options.signal.aborted) reject(options.signal.reason);
        else if (exit) resolve(exit);
        else reject(lostError(conn));
      });

      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private acquire(signal: AbortSignal, log: Logger): Promise<PooledConnection> {
    if (this.closed) {
      return Promise.reject(new SshError('SSH_POOL_CLOSED', 'ssh connection pool closed'));
    }
    const conn = this.take(log);
    if (conn) return Promise.resolve(conn);

    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        log,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const index = this.queue.indexOf(waiter);
          if (index !== -1) this.queue.splice(index, 1);
          reject(signal.reason);
        },
      };
      this.queue.push(waiter);
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    });
  }

  /** A slot on a usable connection, opening a new connection when allowed; else undefined. */
  private take(log: Logger): PooledConnection | undefined {
    let conn = this.connections.find((c) => !c.failure && !c.closed && c.active < c.capacity);
    if (!conn && this.connections.length < this.options.maxConnections) conn = this.open(log);
    if (!conn) return undefined;

    conn.active += 1;
    clearTimeout(conn.idleTimer);
    conn.idleTimer = undefined;
    return conn;
  }

  private release(conn: PooledConnection): void {
    conn.active -= 1;
    if (conn.active === 0 && !conn.closed) {
      conn.idleTimer = setTimeout(() => void this.endConnection(conn), this.options.idleMs);
      conn.idleTimer.unref();
    }
    this.drain();
  }

  private drain(): void {
    while (this.queue.length > 0 && !this.closed) {
      const waiter = this.queue[0]!;
      const conn = this.take(waiter.log);
      if (!conn) return;
      this.queue.shift();
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(conn);
    }
  }

  private open(log: Logger): PooledConnection {
    const conn: PooledConnection = {
      id: this.nextId++,
      client: new Client(),
      ready: Promise.resolve(),
      active: 0,
      capacity: this.options.maxChannelsPerConnection,
      channels: new Set(),
      started: false,
      closed: false,
    };
    conn.ready = this.connect(conn, log);
    // Every command on this connection awaits `ready`; this only keeps Node from reporting it.
    conn.ready.catch(() => undefined);
    this.connections.push(conn);
    return conn;
  }

  private async connect(conn: PooledConnection, log: Logger): Promise<void> {
    const { host, port, username } = this.options;
    let privateKey: Buffer;
    try {
      privateKey = await readFile(this.options.privateKeyPath);
    } catch (err) {
      conn.closed = true;
      conn.failure = err as Error;
      this.forget(conn);
      throw new SshError('SSH_CONNECT_FAILED', `cannot read the ssh private key: ${String(err)}`, {
        cause: err,
      });
    }
    if (conn.failure) throw lostError(conn);
    conn.started = true;
    let hostKeyError: unknown;

    return new Promise<void>((resolve, reject) => {
      conn.client.on('ready', () => {
        this.options.log.debug({ connection: conn.id, host, port }, 'ssh connection ready');
        resolve();
      });
      conn.client.on('error', (err: Error & { level?: string }) => {
        conn.failure ??= (hostKeyError as Error | undefined) ?? err;
        this.options.log.warn(
          { connection: conn.id, host, port, level: err.level, err },
          'ssh connection failed',
        );
        reject(
          hostKeyError ??
            new SshError('SSH_CONNECT_FAILED', `ssh to ${host}:${port} failed: ${err.message}`, {
              cause: err,
            }),
        );
      });
      conn.client.on('close', () => {
        conn.closed = true;
        conn.failure ??= new Error('connection closed');
        clearTimeout(conn.idleTimer);
        this.forget(conn);
        reject(new SshError('SSH_CONNECT_FAILED', `ssh to ${host}:${port} closed before ready`));
        this.drain();
      });

      conn.client.connect({
        host,
        port,
        username,
        privateKey,
        readyTimeout: this.options.readyTimeoutMs,
        keepaliveInterval: this.options.keepaliveIntervalMs,
        keepaliveCountMax: this.options.keepaliveCountMax,
        hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
          verifyHostKey({ ...this.options.hostKeys, host, port }, key, log).then(
            () => verify(true),
            (err: unknown) => {
              hostKeyError = err;
              verify(false);
            },
          );
        },
      });
    });
  }

  private forget(conn: PooledConnection): void {
    const index = this.connections.indexOf(conn);
    if (index !== -1) this.connections.splice(index, 1);
  }

  private endConnection(conn: PooledConnection): Promise<void> {
    if (conn.closed) return Promise.resolve();
    conn.failure ??= new Error('connection closed by the pool');
    if (!conn.started) {
      // Still reading the key: connect() sees the failure and never dials.
      conn.closed = true;
      this.forget(conn);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      conn.client.once('close', () => resolve());
      conn.client.end();
      // A peer that ignores our disconnect must not hold shutdown up.
      setTimeout(() => conn.client.destroy(), END_TIMEOUT_MS).unref();
    });
  }
}

function openExec(conn: PooledConnection, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    // ssh2 throws rather than calls back when the socket is already gone.
    if (conn.failure) return reject(lostError(conn));
    conn.client.exec(command, (err, channel) => {
      if (err) {
        reject(
          conn.failure
            ? lostError(conn)
            : new SshError('SSH_CHANNEL_FAILED', `ssh session refused: ${err.message}`, {
                cause: err,
              }),
        );
      } else {
        resolve(channel);
      }
    });
  });
}

function isOpenRefused(err: unknown): boolean {
  if (!(err instanceof SshError) || err.code !== 'SSH_CHANNEL_FAILED') return false;
  const reason = (err.cause as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'number' && OPEN_REFUSED_REASONS.has(reason);
}

function lostError(conn: PooledConnection): SshError {
  const why = conn.failure?.message ?? 'channel closed without an exit status';
  return new SshError('SSH_CONNECTION_LOST', `ssh connection lost: ${why}`, {
    cause: conn.failure,
  });
}

/** Waits for `promise`, rejecting early with the signal's reason when it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

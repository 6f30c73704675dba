import { request as httpRequest } from 'node:http';

import WebSocket from 'ws';

export interface GqlError {
  message: string;
  extensions?: Record<string, unknown> & { code?: string };
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: GqlError[] };
}

/** One GraphQL POST, returning status, headers and the parsed body. */
export async function post<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply<T>['body'] };
}

/** A raw POST of exactly these bytes, for bodies fetch would not send as they are. */
export function rawPost(
  url: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
  path = '/graphql',
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function codes(reply: { body: { errors?: GqlError[] } }): (string | undefined)[] {
  return (reply.body.errors ?? []).map((e) => e.extensions?.code);
}

/** What happened to a raw graphql-ws connection: acknowledged, or closed with code and reason. */
export interface WsOutcome {
  acked: boolean;
  close?: { code: number; reason: string };
}

/** A graphql-transport-ws socket driven by hand, to see close codes and raw messages. */
export class RawWs {
  readonly socket: WebSocket;
  readonly messages: Record<string, unknown>[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  /** `protocol` null sends no subprotocol at all. */
  constructor(httpUrl: string, protocol: string | null = 'graphql-transport-ws') {
    const url = `${httpUrl.replace(/^http/, 'ws')}/graphql`;
    this.socket = protocol === null ? new WebSocket(url) : new WebSocket(url, protocol);
    // Failures show as the close event; an unheard 'error' would crash the test run.
    this.socket.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends connection_init and waits for the ack or the close. */
  async init(payload: Record<string, unknown> = {}): Promise<WsOutcome> {
    await this.opened;
    this.send({ type: 'connection_init', payload });
    const acked = this.waitFor((m) => m.type === 'connection_ack').then((): WsOutcome => ({
      acked: true,
    }));
    const closed = this.closed.then((close): WsOutcome => ({ acked: false, close }));
    return Promise.race([acked, closed]);
  }

  subscribe(id: string, query: string, variables: Record<string, unknown> = {}): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** The first message (past or future) that matches. */
  async waitFor(
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > until) {
        throw new Error(`no matching message; got ${JSON.stringify(this.messages.slice(-5))}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The errors or first result of operation `id`. */
  async result(id: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return this.waitFor((m) => m.id === id && (m.type === 'next' || m.type === 'error'), timeoutMs);
  }

  close(): void {
    this.socket.close();
  }
}

/** The code of the first error of a graphql-ws `next` or `error` message. */
export function wsCode(message: Record<string, unknown>): string | undefined {
  const errors =
    message.type === 'error'
      ? (message.payload as GqlError[])
      : ((message.payload as { errors?: GqlError[] } | undefined)?.errors ?? []);
  return errors[0]?.extensions?.code;
}

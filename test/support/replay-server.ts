/**
 * A loopback HTTP(S) server that replays recorded answers, for testing clients of outside
 * services (SearXNG, SpiderFoot, IntelOwl, crt.sh, RDAP, LLM servers) without reaching them.
 *
 *   const server = await startReplayServer([
 *     { method: 'GET', path: '/search', reply: fixtureReply('searxng/x.json') },
 *     { method: 'POST', path: /^\/api\/jobs\/\d+\/kill$/, reply: { status: 204 } },
 *     { path: '/flaky', reply: [{ status: 503 }, { status: 200, body: 'ok' }] },
 *     { path: '/slow', reply: { delayMs: 500, body: 'late' } },
 *     { path: '/hang', reply: { stall: true } },
 *     { path: '/cut', reply: { drop: true } },
 *     { path: '/dynamic', reply: (req) => ({ json: { got: req.query.get('q') } }) },
 *   ]);
 *   await client.getJson(`${server.url}/search?q=x`, …);
 *   expect(server.requestsTo('GET', '/search')).toHaveLength(1);
 *   await server.close();
 *
 * Routes are tried in order, first match wins (`route()` adds one in front). A route's `reply` is one answer (repeated), a list (one per request, the last repeated), or a
 * function of the request. Requests that match no route get 404 `{"error":"no replay route"}`
 * and are recorded too, so a test can see what the client asked for.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import { readFixtureBuffer } from './fixtures.js';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Path and query as sent. */
  url: string;
  /** Lower-cased names, as Node parses them. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Form fields when the body is `application/x-www-form-urlencoded`. */
  form?: URLSearchParams;
  receivedAt: number;
  /** The client's port: equal ports on two requests mean one kept-alive connection. */
  remotePort?: number;
}

export interface ReplayAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as is; `Content-Type` is yours to set in `headers`. */
  body?: string | Buffer;
  /** Serialised with `JSON.stringify`; sets `Content-Type: application/json`. */
  json?: unknown;
  /** Waits this long before answering. */
  delayMs?: number;
  /** Never answers; the socket stays open until the client gives up or the server closes. */
  stall?: boolean;
  /** Closes the connection without an answer. */
  drop?: boolean;
  /** Sends the headers and this many bytes of the body, then cuts the connection. */
  truncateAfterBytes?: number;
  /** Sends the headers and this many bytes of the body, then never sends the rest. */
  stallAfterBytes?: number;
}

export type ReplayReply =
  ReplayAnswer | ReplayAnswer[] | ((req: RecordedRequest) => ReplayAnswer | Promise<ReplayAnswer>);

export interface ReplayRoute {
  /** Any method when omitted. */
  method?: string;
  /** Exact path, a pattern tested against the path, or a predicate on the request. */
  path: string | RegExp | ((req: RecordedRequest) => boolean);
  reply: ReplayReply;
}

export interface ReplayServerOptions {
  /** PEM key and certificate: serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface ReplayServer {
  /** `http://127.0.0.1:PORT` (or https), no trailing slash. */
  url: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Requests with this method and path (query ignored). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  /** Adds a route; routes added later win over earlier ones. */
  route(route: ReplayRoute): void;
  /** Resolves with the first request (past or future) matching the predicate. */
  waitForRequest(
    match: (req: RecordedRequest) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedRequest>;
  /** Stops listening and destroys every open connection, stalled ones included. */
  close(): Promise<void>;
}

/** An answer with a recorded fixture file as its body (path relative to the fixtures folder). */
export function fixtureReply(
  relative: string,
  opts: { status?: number; contentType?: string; headers?: Record<string, string> } = {},
): ReplayAnswer {
  return {
    status: opts.status ?? 200,
    headers: { 'content-type': opts.contentType ?? contentTypeFor(relative), ...opts.headers },
    body: readFixtureBuffer(relative),
  };
}

/** Starts a replay server on 127.0.0.1 with a free port. */
export async function startReplayServer(
  initialRoutes: ReplayRoute[] = [],
  options: ReplayServerOptions = {},
): Promise<ReplayServer> {
  const routes = [...initialRoutes];
  const counters = new Map<ReplayRoute, number>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<{
    match: (r: RecordedRequest) => boolean;
    resolve: (r: RecordedRequest) => void;
  }>();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch(() => res.destroy());
  };
  const server = options.tls ? createHttpsServer(options.tls, handler) : createHttpServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A TLS client that rejects the certificate closes mid-handshake; that is not a server error.
  server.on('tlsClientError', () => {});

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const recorded = await record(req);
    requests.push(recorded);
    for (const waiter of waiters) {
      if (waiter.match(recorded)) {
        waiters.delete(waiter);
        waiter.resolve(recorded);
      }
    }

    const route = findRoute(routes, recorded);
    if (!route) {
      await respond(res, { status: 404, json: { error: 'no replay route' } });
      return;
    }
    const answer = await pickAnswer(route, counters, recorded);
    await respond(res, answer);
  }

  function respond(res: ServerResponse, answer: ReplayAnswer): Promise<void> {
    return new Promise((resolve) => {
      const send = () => {
        if (answer.stall) return resolve();
        if (answer.drop) {
          res.socket?.destroy();
          return resolve();
        }

        const headers = { ...answer.headers };
        let body = answer.body;
        if (answer.json !== undefined) {
          body = JSON.stringify(answer.json);
          headers['content-type'] ??= 'application/json';
        }
        const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(body);

        res.writeHead(answer.status ?? 200, { ...headers, 'content-length': String(bytes.length) });
        if (answer.truncateAfterBytes !== undefined) {
          res.write(bytes.subarray(0, answer.truncateAfterBytes), () => {
            res.socket?.destroy();
            resolve();
          });
          return;
        }
        if (answer.stallAfterBytes !== undefined) {
          // flushHeaders() makes the headers leave even when no body byte does.
          res.flushHeaders();
          res.write(bytes.subarray(0, answer.stallAfterBytes), () => resolve());
          return;
        }
        res.end(bytes, () => resolve());
      };

      if (!answer.delayMs) return send();
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, answer.delayMs);
      timers.add(timer);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    requestsTo(method, path) {
      return requests.filter(
        (r) =>
          r.method === method.toUpperCase() &&
          (typeof path === 'string' ? r.path === path : path.test(r.path)),
      );
    },
    route(route) {
      routes.unshift(route);
    },
    waitForRequest(match, timeoutMs = 5_000) {
      const seen = requests.find(match);
      if (seen) return Promise.resolve(seen);

      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (r: RecordedRequest) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`replay server: no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');

  const url = new URL(req.url ?? '/', 'http://replay.invalid');
  const contentType = String(req.headers['content-type'] ?? '');
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    url: req.url ?? '/',
    headers: req.headers,
    body,
    form: contentType.startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(body)
      : undefined,
    receivedAt: Date.now(),
    remotePort: req.socket.remotePort,
  };
}

function findRoute(routes: ReplayRoute[], req: RecordedRequest): ReplayRoute | undefined {
  return routes.find((route) => {
    if (route.method && route.method.toUpperCase() !== req.method) return false;
    if (typeof route.path === 'string') return route.path === req.path;
    if (route.path instanceof RegExp) return route.path.test(req.path);
    return route.path(req);
  });
}

async function pickAnswer(
  route: ReplayRoute,
  counters: Map<ReplayRoute, number>,
  req: RecordedRequest,
): Promise<ReplayAnswer> {
  const reply = route.reply;
  if (typeof reply === 'function') return reply(req);
  if (!Array.isArray(reply)) return reply;

  const index = counters.get(route) ?? 0;
  counters.set(route, index + 1);
  return reply[Math.min(index, reply.length - 1)];
}

function contentTypeFor(relative: string): string {
  if (relative.endsWith('.json')) return 'application/json';
  if (relative.endsWith('.csv')) return 'text/csv; charset=utf-8';
  return 'text/plain; charset=utf-8';
}

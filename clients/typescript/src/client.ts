import { createClient, type Client } from 'graphql-ws';

import type { TypedDocumentString } from './generated/graphql.js';
import { LoomError, type GraphqlErrorBody } from './errors.js';

export interface LoomClientOptions {
  /** Server address, e.g. http://127.0.0.1:8787 (a trailing /graphql is accepted). */
  url: string;
  /** Sent as X-API-Key, and as `apiKey` in the WebSocket connection parameters. */
  apiKey?: string;
  /** A WebSocket class where there is no global one (Node 20: the `ws` package). */
  webSocketImpl?: unknown;
  /** Ping interval of the WebSocket; a missing pong within half of it closes the socket. */
  keepAliveMs?: number;
  fetch?: typeof fetch;
}

export interface LoomClient {
  /** The GraphQL endpoint over HTTP. */
  readonly endpoint: string;
  /** Sends one query or mutation; resolves with its data or rejects with a LoomError. */
  request<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables?: TVariables,
    options?: { signal?: AbortSignal },
  ): Promise<TResult>;
  /** The graphql-ws connection (lazy: opened by the first subscription). */
  readonly ws: Client;
  subscribe: Client['subscribe'];
  dispose(): Promise<void>;
}

/** A client for one Loom server: fetch for queries and mutations, graphql-ws for events. */
export function createLoomClient(options: LoomClientOptions): LoomClient {
  const endpoint = graphqlEndpoint(options.url);
  const doFetch = options.fetch ?? fetch;
  const ws = createWsClient(endpoint, options);

  return {
    endpoint,
    ws,
    subscribe: (payload, sink) => ws.subscribe(payload, sink),
    dispose: () => Promise.resolve(ws.dispose()),
    request: async (document, variables, requestOptions = {}) => {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
      };
      if (options.apiKey) headers['x-api-key'] = options.apiKey;

      let res: Response;
      try {
        res = await doFetch(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ query: String(document), variables: variables ?? {} }),
          signal: requestOptions.signal,
        });
      } catch (err) {
        if (requestOptions.signal?.aborted) throw err;
        throw new LoomError('NETWORK', `cannot reach ${endpoint}: ${describe(err)}`);
      }
      return readAnswer(res);
    },
  };
}

/** The WebSocket URL that belongs to an HTTP endpoint (ws: for http:, wss: for https:). */
export function websocketUrl(endpoint: string): string {
  return endpoint.replace(/^http(s?):/i, 'ws$1:');
}

function graphqlEndpoint(url: string): string {
  const base = url.replace(/\/+$/, '');
  return base.endsWith('/graphql') ? base : `${base}/graphql`;
}

function createWsClient(endpoint: string, options: LoomClientOptions): Client {
  const keepAlive = options.keepAliveMs ?? 15_000;
  let socket: { readyState: number; close(code: number, reason: string): void } | undefined;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;

  return createClient({
    url: websocketUrl(endpoint),
    webSocketImpl: options.webSocketImpl,
    connectionParams: options.apiKey ? { apiKey: options.apiKey } : {},
    lazy: true,
    // Resuming is done by subscribeCaseEvents from the last seq; a blind resubscribe here
    // would replay from the original position instead.
    retryAttempts: 0,
    keepAlive,
    connectionAckWaitTimeout: 10_000,
    on: {
      connected: (s) => {
        socket = s as typeof socket;
      },
      // A half-open connection never reports itself closed: close it when a ping goes unanswered.
      ping: (received) => {
        if (received || keepAlive <= 0) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => {
          if (socket?.readyState === 1) socket.close(4408, 'pong timeout');
        }, keepAlive / 2);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: () => clearTimeout(pongTimer),
    },
  });
}

async function readAnswer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: { data?: T | null; errors?: GraphqlErrorBody[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new LoomError(
      'HTTP_ERROR',
      `the server answered ${res.status} ${res.statusText} without GraphQL: ${text.slice(0, 200)}`,
      [],
      res.status,
    );
  }
  if (body.errors?.length) throw LoomError.fromGraphql(body.errors, res.status);
  if (body.data == null) {
    throw new LoomError(
      'HTTP_ERROR',
      `the server answered ${res.status} with no data`,
      [],
      res.status,
    );
  }
  return body.data;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : err.message;
  }
  return String(err);
}

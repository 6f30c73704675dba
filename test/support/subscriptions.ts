import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A graphql-ws client against a test server. */
export function wsClient(httpUrl: string, connectionParams: Record<string, unknown> = {}): Client {
  return createClient({
    url: `${httpUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
}

/** Collects subscription payloads until `until` says stop; returns them all. */
export function collectWs<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  until: (item: T, all: T[]) => boolean,
  timeoutMs = 20_000,
): Promise<T[]> {
  const items: T[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      dispose();
      reject(new Error(`subscription timed out after ${items.length} items`));
    }, timeoutMs);
    const dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) {
            clearTimeout(timer);
            dispose();
            reject(new Error(JSON.stringify(value.errors)));
            return;
          }
          const item = value.data as T;
          items.push(item);
          if (until(item, items)) {
            clearTimeout(timer);
            dispose();
            resolve(items);
          }
        },
        error: (err) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
        },
        complete: () => {
          clearTimeout(timer);
          resolve(items);
        },
      },
    );
  });
}

/** Reads a GraphQL SSE subscription until `until` says stop; aborts the request then. */
export async function collectSse<T>(
  httpUrl: string,
  query: string,
  variables: Record<string, unknown>,
  until: (item: T, all: T[]) => boolean,
  headers: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<T[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const res = await fetch(`${httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const items: T[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let index: number;
      while ((index = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n');
        if (!data) continue;
        const payload = JSON.parse(data) as { data?: T; errors?: unknown };
        if (payload.errors) throw new Error(JSON.stringify(payload.errors));
        items.push(payload.data as T);
        if (until(payload.data as T, items)) return items;
      }
    }
    return items;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

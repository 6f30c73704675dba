import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

import { CASE_EVENTS, isFinalEvent, type CaseEvent } from './graphql.js';

export interface WsWatch {
  client: Client;
  events: CaseEvent[];
  /** When the socket was acknowledged, and every WebSocket ping the server sent since. */
  connectedAt?: number;
  pings: number[];
  /** Resolves with every event once the final CASE_STATUS arrived; the socket stays open. */
  finished: Promise<CaseEvent[]>;
  close(): Promise<void>;
}

/**
 * Subscribes to a case's events over graphql-ws on a socket that records the server's
 * keep-alive pings. The subscription stays open after the final event until `close()`.
 */
export function watchOverWs(
  url: string,
  variables: { caseId: string; afterSeq?: number },
  timeoutMs = 30_000,
): WsWatch {
  const pings: number[] = [];
  class RecordingSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.on('ping', () => pings.push(Date.now()));
    }
  }
  const client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: RecordingSocket,
    retryAttempts: 0,
  });

  const watch: WsWatch = {
    client,
    events: [],
    pings,
    finished: Promise.resolve([]),
    close: async () => {
      dispose();
      await client.dispose();
    },
  };
  client.on('connected', () => {
    watch.connectedAt = Date.now();
  });

  let dispose = () => {};
  watch.finished = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no final event over graphql-ws after ${watch.events.length}`)),
      timeoutMs,
    );
    dispose = client.subscribe<{ caseEvents: CaseEvent }>(
      { query: CASE_EVENTS, variables },
      {
        next: (value) => {
          if (value.errors) {
            clearTimeout(timer);
            reject(new Error(JSON.stringify(value.errors)));
            return;
          }
          const event = value.data!.caseEvents;
          watch.events.push(event);
          if (isFinalEvent(event)) {
            clearTimeout(timer);
            resolve(watch.events);
          }
        },
        error: (err) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
        },
        complete: () => clearTimeout(timer),
      },
    );
  });
  watch.finished.catch(() => {});
  return watch;
}

export interface SseWatch {
  events: CaseEvent[];
  /** Arrival times of the SSE comment lines (Yoga's pings); the first comes with the headers. */
  pings: number[];
  finished: Promise<CaseEvent[]>;
  close(): void;
}

/** Subscribes over SSE and keeps reading, events and ping comments alike, until `close()`. */
export function watchOverSse(
  url: string,
  variables: { caseId: string; afterSeq?: number },
  timeoutMs = 30_000,
): SseWatch {
  const controller = new AbortController();
  const watch: SseWatch = {
    events: [],
    pings: [],
    finished: Promise.resolve([]),
    close: () => controller.abort(),
  };

  watch.finished = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no final event over SSE after ${watch.events.length}`)),
      timeoutMs,
    );
    const onBlock = (block: string) => {
      if (block.startsWith(':')) {
        watch.pings.push(Date.now());
        return;
      }
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      if (!data) return;
      const payload = JSON.parse(data) as { data?: { caseEvents: CaseEvent }; errors?: unknown };
      if (payload.errors) throw new Error(JSON.stringify(payload.errors));
      const event = payload.data!.caseEvents;
      watch.events.push(event);
      if (isFinalEvent(event)) {
        clearTimeout(timer);
        resolve(watch.events);
      }
    };
    readSse(url, variables, controller.signal, onBlock).catch((err: unknown) => {
      clearTimeout(timer);
      if (!controller.signal.aborted) reject(err as Error);
    });
  });
  watch.finished.catch(() => {});
  return watch;
}

async function readSse(
  url: string,
  variables: Record<string, unknown>,
  signal: AbortSignal,
  onBlock: (block: string) => void,
): Promise<void> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: CASE_EVENTS, variables }),
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`SSE request answered HTTP ${res.status}`);

  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let index: number;
    while ((index = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      onBlock(block);
    }
  }
}

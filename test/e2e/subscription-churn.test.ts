import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { CASE_EVENTS, CREATE_CASE, type CaseEvent, type CreatedCase } from '../process/graphql.js';
import { watchOverSse } from '../process/live-streams.js';
import { scriptedTool } from '../support/scripted-tool.js';
import { startTestApp, waitFor, type TestApp } from '../support/test-app.js';

/** Yoga's SSE ping interval outside of tests; under vitest (NODE_ENV=test) it is shorter. */
const SSE_PING_MS = 12_000;

interface Counts {
  listeners: number;
  open: number;
  redis: number;
}

/** A tool that keeps printing, so live events flow while subscriptions come and go. */
const ticker = scriptedTool('ticker', {
  lines: Array.from({ length: 2000 }, (_, i) => `tick ${i}`),
  stepMs: 100,
  hang: true,
});

const REDIS_URL = 'redis://127.0.0.1:6379';

describe.each([
  { bus: 'the in-process bus', env: {} as Record<string, string> },
  { bus: 'Redis', env: { REDIS_URL } as Record<string, string> },
])('caseEvents subscriptions opened and dropped by the thousand, on $bus', ({ env }) => {
  let app: TestApp;
  let caseId: string;
  let redis: Redis | undefined;

  /** Redis connections subscribed to the case's channel (the event bus names it so). */
  const redisSubscribers = async () => {
    if (!redis) return 0;
    const [, count] = (await redis.pubsub('NUMSUB', `loom:case:${caseId}`)) as [string, number];
    return Number(count);
  };
  const counts = async (): Promise<Counts> => ({
    listeners: app.services.bus.listenerCount(),
    open: app.services.subscriptions.openCount,
    redis: await redisSubscribers(),
  });
  /** Subscriptions that reached execution on the server so far. */
  const subscribed = async () => {
    const metric = await app.services.metrics.graphqlOperations.get();
    return metric.values
      .filter((v) => v.labels.type === 'subscription' && v.labels.outcome === 'subscribed')
      .reduce((sum, v) => sum + v.value, 0);
  };
  const wsUrl = () => `${app.url.replace(/^http/, 'ws')}/graphql`;

  beforeAll(async () => {
    app = await startTestApp({
      tools: [ticker],
      env: { MAX_SUBSCRIPTIONS_PER_KEY: '5000', TOOL_TIMEOUT_SECONDS: '120', ...env },
    });
    if ('REDIS_URL' in env) redis = new Redis(REDIS_URL);
    const created = await app.gql<CreatedCase>(CREATE_CASE, {
      input: { title: 'Churn', target: 'churn.example.com', tools: ['ticker'] },
    });
    caseId = created.data!.createCase.id;
    await waitFor(() => ticker.started > 0);
  });

  afterAll(async () => {
    if (caseId) await app?.gql('mutation($id: ID!) { cancelCase(id: $id) { id } }', { id: caseId });
    await app?.stop();
    redis?.disconnect();
  });

  /** A graphql-ws client holding `count` subscriptions, resolved once each got an event. */
  async function wsHolding(count: number): Promise<{ client: Client; socket: () => WebSocket }> {
    let socket: WebSocket | undefined;
    class Tracked extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols);
        socket = this as WebSocket;
      }
    }
    const client = createClient({ url: wsUrl(), webSocketImpl: Tracked, retryAttempts: 0 });
    await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<void>((resolve, reject) => {
            let first = true;
            client.subscribe<{ caseEvents: CaseEvent }>(
              { query: CASE_EVENTS, variables: { caseId, afterSeq: 0 } },
              {
                next: () => {
                  if (first) resolve();
                  first = false;
                },
                error: (err) => reject(err instanceof Error ? err : new Error(String(err))),
                complete: () => {},
              },
            );
          }),
      ),
    );
    return { client, socket: () => socket! };
  }

  /** An SSE subscription held open once its first event arrived; `abort` drops it. */
  async function sseHolding(): Promise<AbortController> {
    const controller = new AbortController();
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: CASE_EVENTS, variables: { caseId, afterSeq: 0 } }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('data:')) {
      const { value, done } = await reader.read();
      if (done) throw new Error('SSE stream ended before its first event');
      text += new TextDecoder().decode(value);
    }
    return controller;
  }

  /**
   * A raw graphql-transport-ws socket that sends its subscription and goes away at once:
   * before the server acknowledged the connection, or just after, closing cleanly or not.
   */
  function wsDroppedMidSetup(mode: 'before-ack' | 'after-ack', abrupt: boolean): Promise<void> {
    return new Promise((resolve) => {
      const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
      const subscribe = JSON.stringify({
        type: 'subscribe',
        id: '1',
        payload: { query: CASE_EVENTS, variables: { caseId, afterSeq: 0 } },
      });
      const leave = () => (abrupt ? socket.terminate() : socket.close(1000));
      socket.on('open', () => {
        socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
        if (mode === 'before-ack') {
          socket.send(subscribe);
          leave();
        }
      });
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string };
        if (mode === 'after-ack' && message.type === 'connection_ack') {
          socket.send(subscribe, () => leave());
        }
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
  }

  /** An SSE request aborted before any event: before its answer, or right after the headers. */
  async function sseDroppedMidSetup(afterHeaders: boolean): Promise<void> {
    const controller = new AbortController();
    const request = fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      // Live only: the first event is the next one the ticker causes, not a replay.
      body: JSON.stringify({ query: CASE_EVENTS, variables: { caseId } }),
      signal: controller.signal,
    });
    if (!afterHeaders) setImmediate(() => controller.abort());
    try {
      const res = await request;
      controller.abort();
      await res.body?.cancel().catch(() => {});
    } catch {
      // Aborted before the answer came.
    }
  }

  it('frees every listener and slot after 1000 subscriptions are opened and dropped', async () => {
    const baseline = await counts();

    // 400 held at once: 200 over graphql-ws (20 sockets of 10), 200 over SSE.
    const wsClients = await Promise.all(Array.from({ length: 20 }, () => wsHolding(10)));
    const sseStreams = await Promise.all(Array.from({ length: 200 }, () => sseHolding()));
    expect(await counts()).toEqual({
      listeners: baseline.listeners + 400,
      open: baseline.open + 400,
      // One connection per process subscribes to a channel, however many listen to it.
      redis: redis ? 1 : 0,
    });

    // Dropped every way a client goes: completed politely, socket cut, request aborted.
    await Promise.all(
      wsClients.map(({ client, socket }, i) =>
        i % 2 === 0 ? client.dispose() : Promise.resolve(socket().terminate()),
      ),
    );
    for (const stream of sseStreams) stream.abort();

    // 600 more that go away while their subscription is being set up.
    const reachedBefore = await subscribed();
    const dropped: Promise<void>[] = [];
    for (let i = 0; i < 75; i += 1) {
      dropped.push(
        wsDroppedMidSetup('before-ack', false),
        wsDroppedMidSetup('before-ack', true),
        wsDroppedMidSetup('after-ack', false),
        wsDroppedMidSetup('after-ack', true),
        sseDroppedMidSetup(false),
        sseDroppedMidSetup(false),
        sseDroppedMidSetup(true),
        sseDroppedMidSetup(true),
      );
    }
    await Promise.all(dropped);
    // Many of them got as far as the server's subscribe step before their client vanished.
    expect((await subscribed()) - reachedBefore).toBeGreaterThan(100);

    await waitFor(async () => {
      const now = await counts();
      return now.listeners === baseline.listeners && now.open === baseline.open;
    }, 15_000).catch(async () => {
      const now = JSON.stringify(await counts());
      throw new Error(`counts stayed at ${now}, started at ${JSON.stringify(baseline)}`);
    });
    // Still settled a moment later: no late setup re-attached a listener or a channel.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await counts()).toEqual(baseline);
  }, 60_000);

  it('keeps an SSE stream going past its first event, with pings in between', async () => {
    const sse = watchOverSse(app.url, { caseId });
    try {
      await waitFor(() => sse.events.length >= 4 && sse.pings.length >= 3, 15_000);
    } finally {
      sse.close();
    }
    const seqs = sse.events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
    expect(sse.events.every((e) => e.type === 'TOOL_OUTPUT')).toBe(true);
    for (let i = 1; i < sse.pings.length; i += 1) {
      expect(sse.pings[i] - sse.pings[i - 1]).toBeLessThanOrEqual(SSE_PING_MS);
    }
  });
});

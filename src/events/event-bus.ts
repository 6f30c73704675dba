import { EventEmitter } from 'node:events';

import { Redis } from 'ioredis';
import type { Logger } from 'pino';

type Listener = (payload: unknown) => void;

/**
 * Publish/subscribe by channel name. In one process it is an in-memory emitter; with Redis every
 * published message also reaches the subscribers of every other process sharing that Redis.
 */
export interface EventBus {
  publish(channel: string, payload: unknown): Promise<void>;
  /** Returns the function that removes the listener; calling it twice is harmless. */
  subscribe(channel: string, listener: Listener): () => void;
  /** Listeners currently attached in this process, over all channels. */
  listenerCount(): number;
  close(): Promise<void>;
}

export function createLocalEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let count = 0;

  return {
    publish: async (channel, payload) => {
      emitter.emit(channel, payload);
    },
    subscribe: (channel, listener) => {
      emitter.on(channel, listener);
      count += 1;
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        count -= 1;
        emitter.off(channel, listener);
      };
    },
    listenerCount: () => count,
    close: async () => {
      emitter.removeAllListeners();
    },
  };
}

const PREFIX = 'loom:';

/** Redis-backed bus: one publishing connection, one subscribing connection per process. */
export function createRedisEventBus(url: string, log: Logger): EventBus {
  const local = createLocalEventBus();
  const publisher = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscriber = new Redis(url, { lazyConnect: false });
  const channelRefs = new Map<string, number>();

  for (const connection of [publisher, subscriber]) {
    connection.on('error', (err) => log.warn({ err }, 'redis event bus connection error'));
  }

  subscriber.on('messageBuffer', (channelBuffer: Buffer, message: Buffer) => {
    const channel = channelBuffer.toString().slice(PREFIX.length);
    try {
      void local.publish(channel, JSON.parse(message.toString()));
    } catch (err) {
      log.warn({ err, channel }, 'dropped malformed event bus message');
    }
  });

  return {
    publish: async (channel, payload) => {
      await publisher.publish(PREFIX + channel, JSON.stringify(payload));
    },
    subscribe: (channel, listener) => {
      const unsubscribeLocal = local.subscribe(channel, listener);
      const refs = channelRefs.get(channel) ?? 0;
      channelRefs.set(channel, refs + 1);
      if (refs === 0) {
        subscriber.subscribe(PREFIX + channel).catch((err: unknown) => {
          log.error({ err, channel }, 'redis subscribe failed');
        });
      }

      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        unsubscribeLocal();
        const left = (channelRefs.get(channel) ?? 1) - 1;
        if (left > 0) {
          channelRefs.set(channel, left);
          return;
        }
        channelRefs.delete(channel);
        subscriber.unsubscribe(PREFIX + channel).catch((err: unknown) => {
          log.warn({ err, channel }, 'redis unsubscribe failed');
        });
      };
    },
    listenerCount: () => local.listenerCount(),
    close: async () => {
      await local.close();
      subscriber.disconnect();
      await publisher.quit().catch(() => publisher.disconnect());
    },
  };
}

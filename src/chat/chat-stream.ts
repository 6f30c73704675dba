import type { Logger } from 'pino';

import type { AppServices } from '../app/services.js';
import { createPushIterator } from '../events/push-iterator.js';
import { type PreparedChatTurn, runChatTurn } from './chat-turn.js';

export interface ChatChunk {
  delta: string;
  done: boolean;
  /** The stored answer's id, on the last chunk only. */
  messageId: string | null;
}

/** A chunk, or the error that ended the turn (raised by the field's resolver). */
export type ChatStreamItem = ChatChunk | { error: unknown };

export const isChatError = (item: ChatStreamItem): item is { error: unknown } => 'error' in item;

/**
 * The answer to a prepared turn as it is generated: one chunk per delta, then a chunk with
 * `done: true` and the stored message's id (or an error item), then the end. Closing the
 * iterator early (the client unsubscribed or went away) aborts the LLM request.
 */
export function streamChatTurn(
  services: AppServices,
  turn: PreparedChatTurn,
  log: Logger,
): AsyncIterableIterator<ChatStreamItem> {
  const chunks = createPushIterator<ChatStreamItem>((push) => {
    const controller = new AbortController();
    runChatTurn(services, turn, {
      signal: controller.signal,
      log,
      onDelta: (delta) => push({ delta, done: false, messageId: null }),
    })
      .then((message) => push({ delta: '', done: true, messageId: message.id }))
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        log.warn({ err }, 'chat stream ended with an error');
        push({ error: err });
      });
    return () => controller.abort();
  });
  return endAfter(chunks, (item) => isChatError(item) || item.done);
}

/** Ends `inner` right after the item `isLast` picks, so the subscription completes. */
function endAfter<T>(
  inner: AsyncIterableIterator<T>,
  isLast: (item: T) => boolean,
): AsyncIterableIterator<T> {
  let ended = false;
  return {
    next: async () => {
      if (ended) {
        await inner.return?.();
        return { value: undefined, done: true };
      }
      const result = await inner.next();
      if (!result.done && isLast(result.value)) ended = true;
      return result;
    },
    return: async () => {
      await inner.return?.();
      return { value: undefined, done: true };
    },
    throw: async (err: unknown) => {
      await inner.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

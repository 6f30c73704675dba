import { AppError } from '../errors/app-error.js';
import type { Metrics } from '../observability/metrics.js';
import type { GraphQLContext } from './context.js';

/**
 * Counts open subscriptions per API key and overall, caps them per key, and makes sure a
 * subscription's iterator is closed when its client goes away.
 */
export class SubscriptionTracker {
  private readonly perKey = new Map<string, number>();
  private open = 0;

  constructor(
    private readonly metrics: Metrics,
    private readonly maxPerKey: number,
  ) {}

  get openCount(): number {
    return this.open;
  }

  track<T>(ctx: GraphQLContext, iterator: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
    const key =
      ctx.principal.keyName === 'anonymous' ? `ip:${ctx.clientAddress}` : ctx.principal.keyName;
    const current = this.perKey.get(key) ?? 0;
    if (current >= this.maxPerKey) {
      void iterator.return?.();
      throw new AppError('RATE_LIMITED', `at most ${this.maxPerKey} open subscriptions per key`, {
        retryAfterSeconds: 5,
      });
    }

    this.perKey.set(key, current + 1);
    this.open += 1;
    this.metrics.subscriptionsOpen.inc({ transport: 'all' });

    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      const left = (this.perKey.get(key) ?? 1) - 1;
      if (left > 0) this.perKey.set(key, left);
      else this.perKey.delete(key);
      this.open -= 1;
      this.metrics.subscriptionsOpen.dec({ transport: 'all' });
      ctx.signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      close();
      void iterator.return?.();
    };
    if (ctx.signal?.aborted) onAbort();
    else ctx.signal?.addEventListener('abort', onAbort, { once: true });

    return {
      next: async () => {
        const result = await iterator.next();
        if (result.done) close();
        return result;
      },
      return: async (value?: unknown) => {
        close();
        return (await iterator.return?.(value)) ?? { value: undefined, done: true };
      },
      throw: async (err?: unknown) => {
        close();
        return (await iterator.throw?.(err)) ?? { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

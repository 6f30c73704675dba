/**
 * An async iterator fed by pushes. Unlike an async generator, `return()` takes effect at once
 * even while a consumer waits in `next()`, so a client that goes away frees its listeners
 * immediately instead of on the next event.
 */
export function createPushIterator<T>(
  setup: (push: (value: T) => void, fail: (err: unknown) => void) => () => void,
): AsyncIterableIterator<T> {
  const queue: T[] = [];
  const waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
  let done = false;
  const hooks: { cleanup?: () => void } = {};
  let failure: unknown;

  const finish = () => {
    if (done) return;
    done = true;
    hooks.cleanup?.();
    for (const waiter of waiting.splice(0)) waiter.resolve({ value: undefined, done: true });
  };

  const push = (value: T) => {
    if (done) return;
    const waiter = waiting.shift();
    if (waiter) waiter.resolve({ value, done: false });
    else queue.push(value);
  };

  const fail = (err: unknown) => {
    if (done) return;
    const waiter = waiting.shift();
    if (waiter) {
      waiter.reject(err);
      finish();
    } else {
      failure = err;
    }
  };

  hooks.cleanup = setup(push, fail);
  // A consumer may have finished the iterator during setup; tidy up what setup made.
  if (done) hooks.cleanup();

  return {
    next: () => {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
      if (failure !== undefined) {
        const err = failure;
        failure = undefined;
        finish();
        return Promise.reject(err);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return: () => {
      finish();
      queue.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    throw: (err: unknown) => {
      finish();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

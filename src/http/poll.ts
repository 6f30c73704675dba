import { sleep } from './service-pauses.js';

export interface PollOptions<T> {
  /** One look at the remote state. */
  read: () => Promise<T>;
  /** True once the state is final. */
  done: (state: T) => boolean;
  signal: AbortSignal;
  /** First wait between looks; it grows by `factor` up to `maxMs`. */
  initialMs: number;
  maxMs: number;
  factor?: number;
  /** Called with every state read, before deciding whether to wait again. */
  onState?: (state: T) => void;
}

/**
 * Polls a long-running remote job until it is final. There is no deadline of its own: the
 * caller's signal carries the run's deadline, so a job stuck "running" forever ends with it.
 */
export async function pollWithBackoff<T>(opts: PollOptions<T>): Promise<T> {
  const factor = opts.factor ?? 1.5;
  let waitMs = opts.initialMs;

  for (;;) {
    const state = await opts.read();
    opts.onState?.(state);
    if (opts.done(state)) return state;

    await sleep(waitMs, opts.signal);
    waitMs = Math.min(opts.maxMs, waitMs * factor);
  }
}

/**
 * Per-service pauses after an HTTP 429, shared by every client in the process: once a service
 * says "slow down", no request of any run reaches it before the pause ends.
 *
 * Known shortcoming: the pause lives in this process only. With several worker processes each
 * learns of a 429 on its own; sharing it would need the Redis or PostgreSQL store the rate
 * limiter uses.
 */
const pausedUntil = new Map<string, number>();

/** Holds requests to `service` for at least `ms` from now (a longer pause already set wins). */
export function pauseService(service: string, ms: number): void {
  const until = Date.now() + ms;
  if (until > (pausedUntil.get(service) ?? 0)) pausedUntil.set(service, until);
}

/** Milliseconds until `service` may be called again; 0 when it is not paused. */
export function servicePauseRemaining(service: string): number {
  const until = pausedUntil.get(service);
  if (until === undefined) return 0;

  const remaining = until - Date.now();
  if (remaining <= 0) pausedUntil.delete(service);
  return Math.max(0, remaining);
}

/** Resolves when the service's pause is over; rejects with the signal's reason on abort. */
export async function waitForService(service: string, signal: AbortSignal): Promise<void> {
  for (let ms = servicePauseRemaining(service); ms > 0; ms = servicePauseRemaining(service)) {
    await sleep(ms, signal);
  }
}

/** Forgets every pause (tests). */
export function clearServicePauses(): void {
  pausedUntil.clear();
}

/** A timer that rejects with the signal's reason as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal));

  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The reason an aborted signal carries, as an Error (AbortSignal.abort() gives a DOMException). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(String(reason ?? 'This operation was aborted'), 'AbortError');
}

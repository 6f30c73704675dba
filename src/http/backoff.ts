/** Delay before retry number `attempt` (1-based): exponential, capped, with jitter. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  // Half fixed, half random: spreads retries of many runs without ever retrying at once.
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * Milliseconds a `Retry-After` value asks for: delta-seconds or an HTTP-date. Undefined when
 * the header is absent or unreadable; never negative; capped so a hostile or broken server
 * cannot park a run for hours.
 */
export function parseRetryAfter(
  value: string | undefined,
  capMs: number,
  now = Date.now(),
): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;

  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.min(capMs, Math.max(0, ms));
}

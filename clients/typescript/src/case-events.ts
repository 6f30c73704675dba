import type { Client } from 'graphql-ws';

import { LoomError, type GraphqlErrorBody } from './errors.js';
import { CaseEventsDocument, type CaseEventsSubscription } from './generated/graphql.js';

export type CaseEvent = CaseEventsSubscription['caseEvents'];

/** Case statuses after which nothing more happens unless a run is retried. */
export const FINAL_CASE_STATUSES = ['COMPLETED', 'PARTIAL', 'FAILED', 'CANCELLED'] as const;

export function isFinalCaseEvent(event: CaseEvent): boolean {
  return (
    event.type === 'CASE_STATUS' &&
    (FINAL_CASE_STATUSES as readonly string[]).includes(event.status ?? '')
  );
}

export interface ReconnectInfo {
  /** 1 for the first attempt after a loss; reset once events flow again. */
  attempt: number;
  /** The subscription resumes after this seq. */
  afterSeq: number;
  delayMs: number;
  reason: string;
}

export interface SubscribeCaseEventsOptions {
  /** Replay stored events after this seq first (0: from the beginning). */
  afterSeq?: number;
  onEvent(event: CaseEvent): void;
  /** Called before each resubscription after a dropped connection. */
  onReconnect?(info: ReconnectInfo): void;
  /** Stop at the case's final CASE_STATUS (default true). */
  untilFinal?: boolean;
  /**
   * Asked at each final status before stopping there; resolve false when more events follow it,
   * as they do in the replay of a finished case that a retry reopened.
   */
  confirmFinal?(event: CaseEvent): Promise<boolean>;
  /** Attempts in a row without an event before giving up (default 8). */
  maxAttempts?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
}

export interface CaseEventsResult {
  /** The last seq delivered to onEvent. */
  lastSeq: number;
  /** The final CASE_STATUS event, unless stopped earlier through the signal. */
  final?: CaseEvent;
}

/**
 * Follows the events of a case and keeps following across dropped connections: each
 * resubscription asks for the events after the last seq delivered, and anything at or before it
 * is dropped, so `onEvent` sees every seq once and in order. Resolves at the final status (or when
 * the signal aborts); rejects with a LoomError for a GraphQL error (unknown case, bad key) or when
 * the server stays unreachable for `maxAttempts` tries.
 */
export function subscribeCaseEvents(
  client: Pick<Client, 'subscribe'>,
  caseId: string,
  options: SubscribeCaseEventsOptions,
): Promise<CaseEventsResult> {
  const untilFinal = options.untilFinal ?? true;
  const maxAttempts = options.maxAttempts ?? 8;
  const minDelay = options.minDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 5_000;
  let lastSeq = options.afterSeq ?? 0;
  let attempt = 0;
  let stop: (() => void) | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  return new Promise<CaseEventsResult>((resolve, reject) => {
    let settled = false;
    const finish = (result: { final?: CaseEvent } | { error: LoomError }) => {
      if (settled) return;
      settled = true;
      clearTimeout(retryTimer);
      options.signal?.removeEventListener('abort', onAbort);
      stop?.();
      if ('error' in result) reject(result.error);
      else resolve({ lastSeq, final: result.final });
    };
    const onAbort = () => finish({});
    if (options.signal?.aborted) return finish({});
    options.signal?.addEventListener('abort', onAbort);

    const retry = (reason: string) => {
      stop?.();
      stop = undefined;
      attempt += 1;
      if (attempt > maxAttempts) {
        finish({ error: new LoomError('NETWORK', `event stream lost: ${reason}`) });
        return;
      }
      const delayMs = backoff(attempt, minDelay, maxDelay);
      options.onReconnect?.({ attempt, afterSeq: lastSeq, delayMs, reason });
      retryTimer = setTimeout(open, delayMs);
    };

    const deliver = (event: CaseEvent): boolean => {
      if (event.seq <= lastSeq) return true;
      if (event.seq !== lastSeq + 1) {
        // Never expected from a server that replays from afterSeq; ask again rather than skip.
        retry(`events ${lastSeq + 1}…${event.seq - 1} missing`);
        return false;
      }
      lastSeq = event.seq;
      attempt = 0;
      options.onEvent(event);
      if (untilFinal && isFinalCaseEvent(event)) {
        if (!options.confirmFinal) {
          finish({ final: event });
          return false;
        }
        // Events keep flowing meanwhile; this one ends the stream only if it is still the last.
        options.confirmFinal(event).then(
          (isEnd) => {
            if (isEnd && lastSeq === event.seq) finish({ final: event });
          },
          (err: unknown) => finish({ error: asLoomError(err) }),
        );
      }
      return true;
    };

    function open() {
      if (settled) return;
      let active = true;
      const dispose = client.subscribe<CaseEventsSubscription>(
        { query: String(CaseEventsDocument), variables: { caseId, afterSeq: lastSeq } },
        {
          next: (value) => {
            if (!active || settled) return;
            if (value.errors?.length) {
              finish({ error: LoomError.fromGraphql(value.errors as GraphqlErrorBody[]) });
              return;
            }
            if (value.data && !deliver(value.data.caseEvents)) active = false;
          },
          error: (err) => {
            if (!active || settled) return;
            active = false;
            const fatal = fatalError(err);
            if (fatal) finish({ error: fatal });
            else retry(describeLoss(err));
          },
          complete: () => {
            if (!active || settled) return;
            active = false;
            // The server ends a stream only when it shuts down; the case may go on elsewhere.
            if (untilFinal) retry('the server ended the stream');
            else finish({});
          },
        },
      );
      stop = () => {
        active = false;
        dispose();
      };
    }

    open();
  });
}

function asLoomError(err: unknown): LoomError {
  if (err instanceof LoomError) return err;
  return new LoomError('ERROR', err instanceof Error ? err.message : String(err));
}

/** A GraphQL error list or a close code the server uses for refusals ends the subscription. */
function fatalError(err: unknown): LoomError | undefined {
  if (Array.isArray(err)) return LoomError.fromGraphql(err as GraphqlErrorBody[]);
  const code = closeCode(err);
  if (code === 4403 || code === 4401) {
    return new LoomError('UNAUTHENTICATED', 'the server refused the API key');
  }
  if (code !== undefined && code >= 4400 && code < 4500 && code !== 4408 && code !== 4418) {
    return new LoomError('WEBSOCKET', `the server closed the connection (${code} ${reason(err)})`);
  }
  return undefined;
}

function closeCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function reason(err: unknown): string {
  const r = (err as { reason?: unknown } | null)?.reason;
  return typeof r === 'string' ? r : '';
}

function describeLoss(err: unknown): string {
  const code = closeCode(err);
  if (code !== undefined)
    return `connection closed (${code}${reason(err) ? ` ${reason(err)}` : ''})`;
  if (err instanceof Error) return err.message;
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'connection failed';
}

function backoff(attempt: number, min: number, max: number): number {
  const base = Math.min(max, min * 2 ** (attempt - 1));
  return Math.round(base / 2 + Math.random() * (base / 2));
}

import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

import type { AppConfig } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import type { RateClass } from './field-policy.js';

/** Operation classes, plus failed authentications counted per client address. */
export type LimitedClass = RateClass | 'authFailures';

const WINDOW_SECONDS = 60;

export interface Refusal {
  retryAfterSeconds: number;
  /** True for the first refusal of a key in a window: worth a log line or an audit row. */
  first: boolean;
}

/**
 * Per-minute budgets by class and subject (`key:NAME` or `ip:ADDRESS`). With REDIS_URL every
 * process counts in the same Redis keys, so N processes share one budget; otherwise each process
 * counts in memory. When Redis fails, a per-process memory limiter takes over until it is back
 * (so during an outage each process grants a full budget). The cap on open subscriptions is not
 * here: SubscriptionTracker counts them per process.
 */
export class RateLimits {
  private constructor(
    private readonly limiters: Map<LimitedClass, RateLimiterAbstract>,
    private readonly log: Logger,
    private readonly redis?: Redis,
  ) {}

  static create(config: AppConfig, log: Logger): RateLimits {
    const points: Record<LimitedClass, number> = {
      reads: config.RATE_LIMIT_READS_PER_MINUTE,
      tools: config.RATE_LIMIT_TOOLS_PER_MINUTE,
      createCase: config.RATE_LIMIT_CREATE_CASE_PER_MINUTE,
      chat: config.RATE_LIMIT_CHAT_PER_MINUTE,
      writes: config.RATE_LIMIT_WRITES_PER_MINUTE,
      authFailures: config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
    };

    const redis = config.REDIS_URL
      ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000 })
      : undefined;
    redis?.on('error', (err) => log.warn({ err }, 'rate limit redis connection error'));

    const limiters = new Map<LimitedClass, RateLimiterAbstract>();
    for (const [cls, max] of Object.entries(points) as [LimitedClass, number][]) {
      if (max === 0) continue;
      const memory = new RateLimiterMemory({ points: max, duration: WINDOW_SECONDS });
      limiters.set(
        cls,
        redis
          ? new RateLimiterRedis({
              storeClient: redis,
              keyPrefix: `${config.RATE_LIMIT_KEY_PREFIX}:${cls}`,
              points: max,
              duration: WINDOW_SECONDS,
              insuranceLimiter: memory,
            })
          : memory,
      );
    }
    log.info({ store: redis ? 'redis' : 'memory', limits: points }, 'rate limits ready');
    return new RateLimits(limiters, log, redis);
  }

  /** Spends `points` of the subject's budget for `cls`; returns the refusal when it is spent. */
  async consume(cls: LimitedClass, subject: string, points = 1): Promise<Refusal | undefined> {
    const limiter = this.limiters.get(cls);
    if (!limiter || points <= 0) return undefined;
    try {
      await limiter.consume(subject, points);
      return undefined;
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        return {
          retryAfterSeconds: retryAfter(err),
          first: err.consumedPoints - points <= limiter.points,
        };
      }
      // Counting failed even in memory: let the request through rather than refuse everyone.
      this.log.error({ err, class: cls }, 'rate limit check failed');
      return undefined;
    }
  }

  async close(): Promise<void> {
    // quit fails only when the connection is gone already, which is what closing wants.
    if (this.redis && this.redis.status !== 'end') await this.redis.quit().catch(() => undefined);
  }
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/** Who a budget belongs to: the key, or the client address when nobody is named. */
export function rateSubject(principal: { keyName: string }, clientAddress: string): string {
  return principal.keyName === 'anonymous' ? `ip:${clientAddress}` : `key:${principal.keyName}`;
}

/** RATE_LIMITED with the wait in `extensions.retryAfterSeconds` (and Retry-After over HTTP). */
export function rateLimitedError(refusal: Refusal, cls: LimitedClass): AppError {
  const seconds = refusal.retryAfterSeconds;
  return new AppError('RATE_LIMITED', `rate limit reached for ${cls}; retry in ${seconds} s`, {
    retryAfterSeconds: seconds,
    rateClass: cls,
    http: { status: 429, headers: { 'Retry-After': String(seconds) } },
  });
}

import { AppError } from '../errors.ts';

export interface RateLimiter {
  /** Takes one token for the key: 0 when allowed, else the whole seconds to wait before a token is there. */
  take(key: string): number;
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number; // ms of the last refill
}

/**
 * A token bucket per key: `burst` requests at once, refilled at `perSecond`. The map is bounded: when it is
 * full, buckets that have refilled completely (idle keys) are dropped, and if none has, the oldest ones.
 */
export function createRateLimiter(opts: { perSecond: number; burst: number; maxKeys?: number; now?: () => number }): RateLimiter {
  const maxKeys = opts.maxKeys ?? 100_000;
  const now = opts.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();

  function refill(b: Bucket, t: number): void {
    b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
    b.at = t;
  }

  function evict(t: number): void {
    for (const [key, b] of buckets) {
      refill(b, t);
      if (b.tokens >= opts.burst) buckets.delete(key);
    }
    // Everyone is busy: forget the oldest half (Map keeps insertion order). They start again with a full bucket.
    if (buckets.size >= maxKeys) {
      let drop = Math.ceil(buckets.size / 2);
      for (const key of buckets.keys()) {
        if (drop-- <= 0) break;
        buckets.delete(key);
      }
    }
  }

  return {
    take(key) {
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) evict(t);
        b = { tokens: opts.burst, at: t };
        buckets.set(key, b);
      } else refill(b, t);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / opts.perSecond));
    },
    size: () => buckets.size,
  };
}

/** The 429 a limited caller gets; Retry-After says when to come back. */
export function rateLimitedError(retryAfterSeconds: number): AppError {
  return new AppError('rate_limited', 'Too many requests for this API key; retry after the Retry-After delay', [], {
    'retry-after': String(retryAfterSeconds),
  });
}

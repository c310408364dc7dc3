/**
 * Per-device token buckets, in memory per instance. With several instances a device may get up to `instances ×`
 * the burst; the limit is a guard against a runaway or abusive agent, not an exact quota.
 */
import type { Clock } from '../base/clock.js';

export interface BucketLimit {
  /** Requests allowed at once. */
  readonly burst: number;
  /** Tokens added per second. */
  readonly perSecond: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  take(key: string): RateDecision;
  /** What `take` would answer now, without taking anything. */
  peek(key: string): RateDecision;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(limit: BucketLimit, clock: Clock, maxKeys = 100_000): RateLimiter {
  if (limit.burst < 1 || limit.perSecond <= 0) throw new Error('a rate limit needs burst >= 1 and perSecond > 0');
  const buckets = new Map<string, Bucket>();
  const refused = (tokens: number): RateDecision => ({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limit.perSecond)) });
  return {
    peek(key) {
      const bucket = buckets.get(key);
      if (!bucket) return { allowed: true };
      const elapsed = Math.max(0, clock.now().getTime() - bucket.at) / 1000;
      const tokens = Math.min(limit.burst, bucket.tokens + elapsed * limit.perSecond);
      return tokens >= 1 ? { allowed: true } : refused(tokens);
    },
    take(key) {
      const now = clock.now().getTime();
      const bucket = buckets.get(key) ?? { tokens: limit.burst, at: now };
      const elapsed = Math.max(0, now - bucket.at) / 1000;
      bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsed * limit.perSecond);
      bucket.at = now;
      // Re-insert so the map's order is least recently used first.
      buckets.delete(key);
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) {
        const oldest = buckets.keys().next().value;
        if (oldest !== undefined) buckets.delete(oldest);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return refused(bucket.tokens);
    },
  };
}

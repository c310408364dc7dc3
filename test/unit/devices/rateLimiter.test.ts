import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { createRateLimiter } from '../../../shared/devices/rateLimiter.js';

describe('per-device rate limit', () => {
  it('allows a burst, then refuses with a Retry-After until tokens refill, per key', () => {
    const clock = new ManualClock();
    const limiter = createRateLimiter({ burst: 3, perSecond: 0.5 }, clock);
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(limiter.take('b').allowed).toBe(true);
    clock.advance(1_000);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(1_000);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    clock.advance(60_000);
    expect([1, 2, 3, 4].map(() => limiter.take('a').allowed)).toEqual([true, true, true, false]);
  });
});

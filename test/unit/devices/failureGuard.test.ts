/** Failed authentications limited apart: the failure buckets, the last good credential, and the jti replay cache. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { createFailureGuard, createProofReplayCache } from '../../../shared/devices/failureGuard.js';
import { createRateLimiter } from '../../../shared/devices/rateLimiter.js';

const limits = { perDevice: { burst: 3, perSecond: 0.1 }, perTenant: { burst: 100, perSecond: 1 } };

describe('failure guard', () => {
  it('refuses unknown credentials for a device once its failures used the bucket, and lets the last good one through', () => {
    const clock = new ManualClock(new Date('2026-03-02T10:00:00Z'));
    const guard = createFailureGuard(limits, clock);
    guard.succeeded('t', 'd', 'good', 'jkt');
    for (let n = 0; n < 3; n += 1) {
      expect(guard.refuses('t', 'd', 'forged', undefined).allowed).toBe(true);
      guard.failed('t', 'd');
    }
    expect(guard.refuses('t', 'd', 'forged', undefined)).toEqual({ allowed: false, retryAfterSeconds: 10 });
    expect(guard.refuses('t', 'd', 'good', 'jkt').allowed).toBe(true);
    // The same credential with another key is not the last good one.
    expect(guard.refuses('t', 'd', 'good', 'other').allowed).toBe(false);
    // Another device of the tenant is not affected; the bucket refills.
    expect(guard.refuses('t', 'e', 'forged', undefined).allowed).toBe(true);
    clock.advance(10_000);
    expect(guard.refuses('t', 'd', 'forged', undefined).allowed).toBe(true);
  });

  it('refuses unknown credentials for every device of a tenant whose failures used the tenant bucket', () => {
    const clock = new ManualClock(new Date('2026-03-02T10:00:00Z'));
    const guard = createFailureGuard({ perDevice: { burst: 1000, perSecond: 1 }, perTenant: { burst: 5, perSecond: 0.5 } }, clock);
    for (let n = 0; n < 5; n += 1) guard.failed('t', `d${n}`);
    expect(guard.refuses('t', 'other', 'forged', undefined).allowed).toBe(false);
    expect(guard.refuses('u', 'other', 'forged', undefined).allowed).toBe(true);
  });
});

describe('rate limiter peek', () => {
  it('answers what take would, without taking', () => {
    const clock = new ManualClock(new Date('2026-03-02T10:00:00Z'));
    const limiter = createRateLimiter({ burst: 1, perSecond: 1 }, clock);
    expect(limiter.peek('k').allowed).toBe(true);
    expect(limiter.peek('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.peek('k').allowed).toBe(false);
  });
});

describe('proof replay cache', () => {
  it('accepts a jti once per device', () => {
    const cache = createProofReplayCache();
    expect(cache.firstUse('t', 'd', 'jti-1', 300_000, 0)).toBe(true);
    expect(cache.firstUse('t', 'd', 'jti-1', 300_000, 0)).toBe(false);
    expect(cache.firstUse('t', 'e', 'jti-1', 300_000, 0)).toBe(true);
  });
});

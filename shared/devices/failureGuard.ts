/**
 * Failed device authentications, limited apart from the device's own rate budget (CONTRACT.md, "Agent trust"), so
 * nobody can silence a device by sending wrong credentials for its id:
 *
 * - a request whose credential or proof does not verify takes from a failure bucket of its device and one of its
 *   tenant, never from the device's budget (taken only once the request has authenticated);
 * - once either failure bucket is empty, a request for that device is refused (429) before any storage read, unless
 *   it carries the credential (hash) and key this instance last saw succeed for the device: the real agent keeps
 *   reporting while a stranger's forged requests cost nothing more than the proof check.
 *
 * A stranger's forged request therefore costs at most one device-row read, and only while the buckets last. In
 * memory per instance, bounded (LRU), like the device budgets.
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../base/clock.js';
import { createRateLimiter, type BucketLimit, type RateDecision } from './rateLimiter.js';

export interface FailureLimits {
  /** Failed authentications per device. */
  readonly perDevice: BucketLimit;
  /** Failed authentications per tenant (all its devices together). */
  readonly perTenant: BucketLimit;
}

export const defaultFailureLimits: FailureLimits = {
  perDevice: { burst: 10, perSecond: 0.1 },
  perTenant: { burst: 500, perSecond: 20 },
};

export interface FailureGuard {
  /** Whether a request for the device must be refused without a read: the buckets are empty and it is not the last good one. */
  refuses(tenantId: string, deviceId: string, credentialHash: string, jkt: string | undefined): RateDecision;
  /** A request for the device failed to authenticate. */
  failed(tenantId: string, deviceId: string): void;
  /** A request for the device authenticated with this credential and key (or activation issued them). */
  succeeded(tenantId: string, deviceId: string, credentialHash: string, jkt: string | undefined): void;
}

export function createFailureGuard(limits: FailureLimits, clock: Clock, maxKeys = 100_000): FailureGuard {
  const perDevice = createRateLimiter(limits.perDevice, clock, maxKeys);
  const perTenant = createRateLimiter(limits.perTenant, clock, maxKeys);
  const lastGood = new LRUCache<string, string>({ max: maxKeys });
  const deviceKey = (tenantId: string, deviceId: string): string => `${tenantId}|${deviceId}`;
  const proofOf = (credentialHash: string, jkt: string | undefined): string => `${credentialHash}|${jkt ?? ''}`;
  return {
    refuses(tenantId, deviceId, credentialHash, jkt) {
      const device = perDevice.peek(deviceKey(tenantId, deviceId));
      const tenant = perTenant.peek(tenantId);
      if (device.allowed && tenant.allowed) return { allowed: true };
      if (lastGood.get(deviceKey(tenantId, deviceId)) === proofOf(credentialHash, jkt)) return { allowed: true };
      return device.allowed ? tenant : device;
    },
    failed(tenantId, deviceId) {
      perDevice.take(deviceKey(tenantId, deviceId));
      perTenant.take(tenantId);
    },
    succeeded(tenantId, deviceId, credentialHash, jkt) {
      lastGood.set(deviceKey(tenantId, deviceId), proofOf(credentialHash, jkt));
    },
  };
}

/**
 * The DPoP `jti`s seen per device within the `iat` window (RFC 9449, section 11.1): a proof whose `jti` was seen is a
 * replay. Bounded; an entry lives until its proof's `iat` leaves the window.
 */
export interface ProofReplayCache {
  /** Records the `jti`; false when it was already seen for the device (a replay). */
  firstUse(tenantId: string, deviceId: string, jti: string, expiresAtMs: number, nowMs: number): boolean;
}

export function createProofReplayCache(max = 200_000): ProofReplayCache {
  const seen = new LRUCache<string, true>({ max, ttlAutopurge: false });
  return {
    firstUse(tenantId, deviceId, jti, expiresAtMs, nowMs) {
      const key = `${tenantId}|${deviceId}|${jti}`;
      if (seen.get(key)) return false;
      seen.set(key, true, { ttl: Math.max(1, expiresAtMs - nowMs) });
      return true;
    },
  };
}

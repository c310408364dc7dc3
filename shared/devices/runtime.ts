/**
 * Per-process state of the device API: rate limits, the brief tenant cache, the threat-state cache and the
 * per-device lock. Built once per process with the services (tests build their own to tune the limits).
 */
import { LRUCache } from 'lru-cache';
import type { Clock } from '../base/clock.js';
import type { TableStore } from '../storage/tableStore.js';
import { createParsedDeviceCache, type ParsedDeviceCache } from './deviceRepository.js';
import { createKeyedMutex, type KeyedMutex } from '../base/keyedMutex.js';
import { createRateLimiter, type BucketLimit, type RateLimiter } from './rateLimiter.js';
import { createFailureGuard, createProofReplayCache, defaultFailureLimits, type FailureGuard, type FailureLimits, type ProofReplayCache } from './failureGuard.js';
import { createTenantContextCache, defaultTenantCacheMs, type TenantContextCache } from './tenantContext.js';
import { createThreatStateCache, type ThreatStateCache } from './threatCache.js';

export interface DeviceLimits {
  /** Threat reports per device: a burst, then a steady rate. */
  readonly reports: BucketLimit;
  /** Heartbeats per device. */
  readonly heartbeats: BucketLimit;
}

/**
 * Defaults: an agent reports when its threat set changes and checks in every `heartbeatFrequencyMinutes`; these
 * leave ample room for that and stop a runaway or abusive client.
 */
export const defaultDeviceLimits: DeviceLimits = {
  reports: { burst: 30, perSecond: 0.5 },
  heartbeats: { burst: 10, perSecond: 0.2 },
};

export interface DeviceRuntime {
  readonly reportLimiter: RateLimiter;
  readonly heartbeatLimiter: RateLimiter;
  /** Failed authentications, limited apart from the budgets above (failureGuard.ts). */
  readonly failures: FailureGuard;
  /** DPoP `jti`s seen per device within the proof window. */
  readonly proofReplays: ProofReplayCache;
  readonly tenants: TenantContextCache;
  /** How long `tenants` keeps a tenant's context (ms): a policy change reaches every instance's reports after this. */
  readonly tenantCacheMs: number;
  readonly threatStates: ThreatStateCache;
  /** Serialises a device's reports within this process. */
  readonly lock: KeyedMutex;
  /** Parsed device rows by ETag, so authenticating an unchanged row does not parse it again. */
  readonly parsedDevices: ParsedDeviceCache;
  /**
   * The device row as the last report of the device in this process left it, kept under the device's lock: a
   * report starts from it, not from the row its authentication saw, which an earlier report may have replaced
   * while this one waited for the lock.
   */
  readonly reportedDevices: ParsedDeviceCache;
  /**
   * The devices whose last write here nudged a push. The push records on the device row what Intune was told, so the
   * row this process holds is stale by the device's next grade change: that write reads the row first instead of
   * losing its ETag race (a failed transaction, then the same read).
   */
  readonly pushNudged: LRUCache<string, true>;
}

export interface DeviceRuntimeOptions {
  readonly limits?: Partial<DeviceLimits>;
  /** Failed authentications per device and per tenant. */
  readonly failureLimits?: Partial<FailureLimits>;
  /** How long a tenant's settings and policy are reused (ms). */
  readonly tenantCacheMs?: number;
}

export function createDeviceRuntime(tables: TableStore, clock: Clock, options: DeviceRuntimeOptions = {}): DeviceRuntime {
  const limits = { ...defaultDeviceLimits, ...options.limits };
  return {
    reportLimiter: createRateLimiter(limits.reports, clock),
    heartbeatLimiter: createRateLimiter(limits.heartbeats, clock),
    failures: createFailureGuard({ ...defaultFailureLimits, ...options.failureLimits }, clock),
    proofReplays: createProofReplayCache(),
    tenants: createTenantContextCache(tables, clock, options.tenantCacheMs ?? defaultTenantCacheMs),
    tenantCacheMs: options.tenantCacheMs ?? defaultTenantCacheMs,
    threatStates: createThreatStateCache(),
    lock: createKeyedMutex(),
    parsedDevices: createParsedDeviceCache(),
    reportedDevices: createParsedDeviceCache(),
    pushNudged: new LRUCache<string, true>({ max: 10_000 }),
  };
}

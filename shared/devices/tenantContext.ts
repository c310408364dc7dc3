/**
 * What the device routes need to know about a tenant: whether it is active, its connector settings and its
 * classification policy. All three are on the tenant's row (shared/tenants/tenantConfig.ts), so a cache miss costs
 * one point read. Kept briefly per instance (a few seconds), so a burst of reports costs one read per tenant, while
 * an admin's change takes effect within the cache's lifetime (a re-grade starts after it has passed everywhere).
 */
import type { Clock } from '../base/clock.js';
import type { ClassificationPolicy, ConnectorSettings } from '../domain/index.js';
import type { TableStore } from '../storage/tableStore.js';
import { readTenantConfig } from '../tenants/tenantConfig.js';

export interface TenantContext {
  readonly tenantId: string;
  /** The tenant has completed consent and is served. */
  readonly active: boolean;
  readonly settings: ConnectorSettings;
  readonly policy: ClassificationPolicy;
}

/** How long a tenant's context is reused by one instance by default (ms). */
export const defaultTenantCacheMs = 5_000;

/** Status, settings and policy: one point read of the tenant's row. */
export async function loadTenantContext(tables: TableStore, tenantId: string): Promise<TenantContext> {
  const config = await readTenantConfig(tables, tenantId);
  return { tenantId, active: config.active, settings: config.settings, policy: config.policy };
}

export interface TenantContextCache {
  get(tenantId: string): Promise<TenantContext>;
  /** Forget a tenant (after a change of its settings or policy in this process). */
  invalidate(tenantId: string): void;
}

/** Tenants kept at once by one instance; the oldest entry makes room for a new one. */
export const maxCachedTenants = 10_000;

export function createTenantContextCache(tables: TableStore, clock: Clock, ttlMs = defaultTenantCacheMs): TenantContextCache {
  const entries = new Map<string, { at: number; value: Promise<TenantContext> }>();
  return {
    get(tenantId) {
      const now = clock.now().getTime();
      const hit = entries.get(tenantId);
      if (hit && now - hit.at >= 0 && now - hit.at < ttlMs) return hit.value;
      const value = loadTenantContext(tables, tenantId);
      entries.delete(tenantId);
      if (entries.size >= maxCachedTenants) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(tenantId, { at: now, value });
      value.catch(() => {
        if (entries.get(tenantId)?.value === value) entries.delete(tenantId);
      });
      return value;
    },
    invalidate(tenantId) {
      entries.delete(tenantId);
    },
  };
}

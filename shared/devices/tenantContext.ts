/**
 * What the device routes need to know about a tenant: whether it is active, its connector settings and its
 * classification policy. All three are on the tenant's row (shared/tenants/tenantConfig.ts), so a cache miss costs
 * one point read. Kept briefly per instance (a few seconds), so a burst of reports costs one read per tenant, while
 * an admin's change takes effect within the cache's lifetime (a re-grade starts after it has passed everywhere).
 */
import type { Clock } from '../base/clock.js';
import type { AppRuleLevels, ClassificationPolicy, ConnectorSettings } from '../domain/index.js';
import type { TableStore } from '../storage/tableStore.js';
import { appRuleLevels, listAppRules } from '../tenants/appRules.js';
import { readTenantConfig } from '../tenants/tenantConfig.js';

export interface TenantContext {
  readonly tenantId: string;
  /** The tenant has completed consent and is served. */
  readonly active: boolean;
  readonly settings: ConnectorSettings;
  readonly policy: ClassificationPolicy;
  /** App rules by package (empty for most tenants: read only when the tenant row counts some). */
  readonly appRules: AppRuleLevels;
}

/** How long a tenant's context is reused by one instance by default (ms). */
export const defaultTenantCacheMs = 5_000;

const noRules: AppRuleLevels = new Map();

/** App rules kept by version, so a context reload reads them again only after a change. */
type RulesByVersion = Map<string, { version: number; rules: AppRuleLevels }>;

/**
 * Status, settings and policy: one point read of the tenant's row; plus, for a tenant with app rules whose
 * `appRulesVersion` this process has not read yet, one partition query of its rules.
 */
export async function loadTenantContext(tables: TableStore, tenantId: string, known?: RulesByVersion): Promise<TenantContext> {
  const config = await readTenantConfig(tables, tenantId);
  let appRules = noRules;
  if (config.appRuleCount > 0) {
    const held = known?.get(tenantId);
    if (held && held.version === config.appRulesVersion) appRules = held.rules;
    else {
      appRules = appRuleLevels(await listAppRules(tables, tenantId));
      if (known) {
        if (known.size >= maxCachedTenants && !known.has(tenantId)) known.clear();
        known.set(tenantId, { version: config.appRulesVersion, rules: appRules });
      }
    }
  }
  return { tenantId, active: config.active, settings: config.settings, policy: config.policy, appRules };
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
  const rules: RulesByVersion = new Map();
  return {
    get(tenantId) {
      const now = clock.now().getTime();
      const hit = entries.get(tenantId);
      if (hit && now - hit.at >= 0 && now - hit.at < ttlMs) return hit.value;
      const value = loadTenantContext(tables, tenantId, rules);
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

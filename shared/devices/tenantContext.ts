/**
 * What the device routes need to know about a tenant: whether it is active, its connector settings and its
 * classification policy. Read from storage and kept briefly per instance (a few seconds), so a burst of reports
 * costs one read of each per tenant, while an admin's change takes effect within the cache's lifetime.
 */
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import {
  classificationSchema,
  connectorSettingsSchema,
  defaultConnectorSettings,
  policyFrom,
  riskLevelSchema,
  type ClassificationOverrides,
  type ClassificationPolicy,
  type ConnectorSettings,
} from '../domain/index.js';
import { statusOf } from '../errors.js';
import type { TableStore } from '../storage/tableStore.js';

export interface TenantContext {
  readonly tenantId: string;
  /** The tenant has completed consent and is served. */
  readonly active: boolean;
  readonly settings: ConnectorSettings;
  readonly policy: ClassificationPolicy;
}

const overrideRow = z.object({ rowKey: z.string(), riskLevel: z.string() });

/** The tenant's override rows (classifications not listed keep their default). Unknown rows are ignored. */
export async function loadOverrides(tables: TableStore, tenantId: string): Promise<ClassificationOverrides> {
  const overrides: ClassificationOverrides = {};
  const rows = tables.table('classificationOverrides').listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${tenantId}`, select: ['RowKey', 'riskLevel'] },
  });
  for await (const raw of rows) {
    const row = overrideRow.safeParse(raw);
    if (!row.success) continue;
    const classification = classificationSchema.safeParse(row.data.rowKey);
    const riskLevel = riskLevelSchema.safeParse(row.data.riskLevel);
    if (classification.success && riskLevel.success) overrides[classification.data] = riskLevel.data;
  }
  return overrides;
}

/** The tenant's classification policy: defaults with the tenant's override rows applied. */
export async function loadPolicy(tables: TableStore, tenantId: string): Promise<ClassificationPolicy> {
  return policyFrom(await loadOverrides(tables, tenantId));
}

async function getOptional(tables: TableStore, table: 'tenants' | 'connectorSettings', pk: string, rk: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await tables.table(table).getEntity<Record<string, unknown>>(pk, rk);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

const settingsJson = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});

/** The tenant's connector settings; defaults when none were saved (or the saved ones no longer parse). */
export async function loadConnectorSettings(tables: TableStore, tenantId: string): Promise<ConnectorSettings> {
  const row = await getOptional(tables, 'connectorSettings', tenantId, 'settings');
  const parsed = settingsJson.pipe(connectorSettingsSchema).safeParse(row?.settings);
  return parsed.success ? parsed.data : structuredClone(defaultConnectorSettings);
}

export async function loadTenantContext(tables: TableStore, tenantId: string): Promise<TenantContext> {
  const [tenant, settings, policy] = await Promise.all([
    getOptional(tables, 'tenants', tenantId, 'tenant'),
    loadConnectorSettings(tables, tenantId),
    loadPolicy(tables, tenantId),
  ]);
  return { tenantId, active: tenant?.status === 'active', settings, policy };
}

export interface TenantContextCache {
  get(tenantId: string): Promise<TenantContext>;
  /** Forget a tenant (after a change of its settings or policy in this process). */
  invalidate(tenantId: string): void;
}

export function createTenantContextCache(tables: TableStore, clock: Clock, ttlMs = 5_000): TenantContextCache {
  const entries = new Map<string, { at: number; value: Promise<TenantContext> }>();
  return {
    get(tenantId) {
      const now = clock.now().getTime();
      const hit = entries.get(tenantId);
      if (hit && now - hit.at >= 0 && now - hit.at < ttlMs) return hit.value;
      const value = loadTenantContext(tables, tenantId);
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

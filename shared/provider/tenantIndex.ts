/**
 * The provider's tenant list (`GET /api/v1/provider/tenants`) and the refresh that keeps its index
 * (shared/tenants/providerIndex.ts) and the usage counters (shared/tenants/usageCounters.ts) up to date.
 *
 * The refresh reads what the list shows from where it lives (the tenant row, its `tenantHealth` row, its device
 * counters' rollup, which it first moves forward: a few reads and the rollup's build, never its devices) and writes the index rows when something changed. It runs on the tenant's
 * hourly connector-heartbeat job (with the health just evaluated) and after discovery; provisioning, consent, health
 * changes and offboarding write their own field at once.
 */
import { z } from 'zod';
import type { CorePorts } from '../ports.js';
import { readEntity } from '../storage/index.js';
import { backfillCounters, buildCounterRollup, readDeviceCounts } from '../devices/deviceCounters.js';
import { healthStatusSchema } from '../events/event.js';
import { healthRowKey } from '../health/status.js';
import { getTenant } from '../tenants/tenantRepository.js';
import {
  indexHealthSchema,
  indexStatusSchema,
  listTenantIndex,
  updateTenantIndex,
  type IndexHealth,
  type TenantIndexRow,
} from '../tenants/providerIndex.js';
import { recordActiveDevices } from '../tenants/usageCounters.js';

export type TenantIndexDeps = Pick<CorePorts, 'tables' | 'clock'>;

const healthRowSchema = z.object({ status: healthStatusSchema });

/**
 * Refreshes the tenant's index rows from its row, health and device counters, and raises today's usage counter of
 * an active tenant. `health`: the status just evaluated (else the last one recorded). Returns the active devices.
 */
export async function refreshTenantIndex(deps: TenantIndexDeps, tenantId: string, health?: IndexHealth): Promise<number | undefined> {
  const tenant = await getTenant(deps.tables, tenantId);
  if (!tenant) return undefined;
  // The hourly refresh also moves the counters' rollup forward, so the console's summary reads few deltas since it.
  await backfillCounters(deps.tables, tenant.tenantId);
  await buildCounterRollup(deps.tables, tenant.tenantId, deps.clock.now());
  const [counts, healthRow] = await Promise.all([
    readDeviceCounts(deps.tables, tenant.tenantId),
    health === undefined ? readEntity(deps.tables.table('tenantHealth'), healthRowSchema, tenant.tenantId, healthRowKey) : Promise.resolve(undefined),
  ]);
  const now = deps.clock.now();
  const active = counts.byStatus.active;
  await updateTenantIndex(
    deps.tables,
    tenant.tenantId,
    {
      displayName: tenant.displayName,
      status: tenant.status,
      ...(health !== undefined ? { health } : healthRow ? { health: healthRow.status } : {}),
      devicesTotal: counts.total,
      devicesActive: active,
      devicesPending: counts.byStatus.pending,
      ...(tenant.lastEnrollmentSyncAt !== undefined ? { lastDiscoveryAt: tenant.lastEnrollmentSyncAt } : {}),
      ...(tenant.lastConnectorHeartbeatAt !== undefined ? { lastHeartbeatAt: tenant.lastConnectorHeartbeatAt } : {}),
    },
    now,
  );
  if (tenant.status === 'active') await recordActiveDevices(deps.tables, tenant.tenantId, tenant.displayName, active, now);
  return active;
}

export const tenantListQuerySchema = z.strictObject({
  status: indexStatusSchema.optional().describe('Only tenants with this status.'),
  health: indexHealthSchema.optional().describe('Only tenants with this overall health (`unknown`: not checked yet).'),
  cursor: z.string().max(4096).optional().describe('`nextCursor` of the previous page.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Tenants per page, 1..1000 (100).'),
});
export type TenantListQuery = z.output<typeof tenantListQuerySchema>;

export const tenantListItemSchema = z.object({
  tenantId: z.string(),
  displayName: z.string(),
  status: indexStatusSchema,
  health: indexHealthSchema,
  devices: z.object({ total: z.number().int(), active: z.number().int(), pending: z.number().int() }),
  lastDiscoveryAt: z.string().nullable(),
  lastHeartbeatAt: z.string().nullable(),
});
export type TenantListItem = z.output<typeof tenantListItemSchema>;

export const tenantListSchema = z.object({
  items: z.array(tenantListItemSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});

function itemOf(row: TenantIndexRow): TenantListItem {
  return {
    tenantId: row.tenantId,
    displayName: row.displayName,
    status: row.status,
    health: row.health,
    devices: { total: row.devicesTotal, active: row.devicesActive, pending: row.devicesPending },
    lastDiscoveryAt: row.lastDiscoveryAt ?? null,
    lastHeartbeatAt: row.lastHeartbeatAt ?? null,
  };
}

/** One page of the tenant list: one query of the index. Throws `InvalidCursor` for a cursor of another query. */
export async function listTenants(deps: Pick<CorePorts, 'tables'>, query: TenantListQuery): Promise<z.output<typeof tenantListSchema>> {
  const page = await listTenantIndex(deps.tables, { status: query.status, health: query.health, cursor: query.cursor ?? null, limit: query.limit });
  return { items: page.items.map(itemOf), nextCursor: page.nextCursor };
}

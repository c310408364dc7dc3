/**
 * Daily counters of active devices per tenant, for billing (`providerUsage`): PartitionKey the month (`YYYY-MM`),
 * RowKey the tenant id, one field per day (`d01`..`d31`) holding the most devices that were active at once on that
 * day (UTC) as the tenant's device counters reported it. A month of every tenant is one partition: the usage report
 * reads one row per tenant, and recording a day is one point read and at most one ETag write.
 *
 * The counts come from the tenant's device counters, read by the tenant's hourly job and when its health or status
 * changes (shared/provider/tenantIndex.ts), never by scanning devices. The rows are the provider's billing record:
 * they stay after a tenant is offboarded (docs/DATA-MODEL.md).
 */
import { z } from 'zod';
import { listAll, NO_CHANGE, odata, updateEntity, type TableStore } from '../storage/index.js';

const monthPattern = /^\d{4}-(0[1-9]|1[0-2])$/;
export const monthSchema = z.string().regex(monthPattern, 'must be a month as YYYY-MM');

const dayField = (day: number): string => `d${String(day).padStart(2, '0')}`;

const usageRowSchema = z.looseObject({ displayName: z.string().optional() });

/** The month (`YYYY-MM`) and day of month of an instant, in UTC. */
export function monthOf(at: Date): { month: string; day: number } {
  const iso = at.toISOString();
  return { month: iso.slice(0, 7), day: at.getUTCDate() };
}

/** Raises the tenant's counter of the day to `active` when it is higher (or the day has none yet). */
export async function recordActiveDevices(tables: TableStore, tenantId: string, displayName: string, active: number, at: Date): Promise<void> {
  const { month, day } = monthOf(at);
  const field = dayField(day);
  await updateEntity(
    tables.table('providerUsage'),
    month,
    tenantId.toLowerCase(),
    (current) => {
      const seen = current?.[field];
      if (typeof seen === 'number' && seen >= active && current?.displayName === displayName) return NO_CHANGE;
      const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...fields } = current ?? {};
      return { ...fields, displayName, [field]: Math.max(active, typeof seen === 'number' ? seen : 0) };
    },
    { schema: usageRowSchema },
  );
}

export interface TenantMonthUsage {
  readonly tenantId: string;
  readonly displayName: string;
  /** Active devices by day of month (1-based), for the days that have a counter. */
  readonly days: ReadonlyMap<number, number>;
}

/** Every tenant's counters of a month: one partition, read page by page (1,000 tenants a page). */
export async function readMonthUsage(tables: TableStore, month: string): Promise<TenantMonthUsage[]> {
  const result: TenantMonthUsage[] = [];
  for await (const row of listAll(tables.table('providerUsage'), { schema: usageRowSchema, filter: odata`PartitionKey eq ${month}` })) {
    const days = new Map<number, number>();
    for (let day = 1; day <= 31; day += 1) {
      const value = row[dayField(day)];
      if (typeof value === 'number' && Number.isFinite(value)) days.set(day, value);
    }
    result.push({ tenantId: row.rowKey, displayName: row.displayName ?? row.rowKey, days });
  }
  return result;
}

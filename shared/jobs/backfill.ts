/**
 * Tenants provisioned before the due-time index existed get their rows from a one-off backfill that walks the
 * `tenants` table in key order, a bounded number of tenants per tick (`maxTenants`, default 500), from a cursor kept on
 * a marker row (`jobSchedule`, PartitionKey `_backfill`, RowKey `tenants`). Once the walk is done the marker says so,
 * and this process remembers it: afterwards a tick pays nothing for it. Creating rows never overwrites rows a tenant
 * already has (provisioning and consent write them for new tenants).
 */
import type { Clock } from '../base/clock.js';
import { toError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { odata, readEntity, type TableStore } from '../storage/index.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { tenantEntitySchema, tenantRowKey } from '../tenants/tenantRepository.js';
import { z } from 'zod';
import { ensureDueRows } from './dueIndex.js';
import { initialDueRows } from './plan.js';

export const backfillPartition = '_backfill';
export const backfillRowKey = 'tenants';

const markerSchema = z.object({ done: z.boolean(), cursor: z.string().optional(), tenants: z.number().int().optional() });

export interface BackfillResult {
  readonly done: boolean;
  /** Tenants looked at in this call. */
  readonly tenants: number;
  /** Rows created in this call. */
  readonly created: number;
}

const finished = new WeakSet<TableStore>();

export async function backfillDueRows(
  deps: { tables: TableStore; clock: Clock; log: Logger },
  options: { maxTenants?: number } = {},
): Promise<BackfillResult> {
  const { tables } = deps;
  if (finished.has(tables)) return { done: true, tenants: 0, created: 0 };
  const schedule = tables.table('jobSchedule');
  const marker = await readEntity(schedule, markerSchema, backfillPartition, backfillRowKey);
  if (marker?.done) {
    finished.add(tables);
    return { done: true, tenants: 0, created: 0 };
  }
  const maxTenants = Math.max(1, options.maxTenants ?? 500);
  const filter = marker?.cursor
    ? odata`PartitionKey gt ${marker.cursor} and RowKey eq ${tenantRowKey}`
    : odata`RowKey eq ${tenantRowKey}`;
  const page = await tables
    .table('tenants')
    .listEntities({ queryOptions: { filter } })
    .byPage({ maxPageSize: maxTenants })
    .next();
  const rows = page.done === true ? [] : page.value;
  const nowMs = deps.clock.now().getTime();
  let created = 0;
  let cursor = marker?.cursor;
  for (const raw of rows) {
    const parsed = tenantEntitySchema.safeParse(raw);
    const tenantId = typeof raw.partitionKey === 'string' ? raw.partitionKey : undefined;
    if (!tenantId) continue;
    cursor = tenantId;
    // A tenant being offboarded gets no rows (offboarding removes them).
    if (!parsed.success || parsed.data.status === 'offboarding') continue;
    try {
      const settings = await readConnectorSettings(tables, tenantId);
      created += await ensureDueRows(tables, tenantId, initialDueRows(parsed.data.status, settings, nowMs));
    } catch (caught) {
      // The tenant is retried by nobody: say so; its rows are made by the next settings change, consent or sync now.
      deps.log.warn(`Due-time backfill: tenant ${tenantId} failed: ${toError(caught).message}`);
    }
  }
  const done = page.done === true || !page.value.continuationToken;
  const total = (marker?.tenants ?? 0) + rows.length;
  const next = { done, ...(cursor ? { cursor } : {}), tenants: total };
  try {
    if (marker) await schedule.updateEntity({ partitionKey: backfillPartition, rowKey: backfillRowKey, ...next }, 'Replace', { etag: marker.etag });
    else await schedule.createEntity({ partitionKey: backfillPartition, rowKey: backfillRowKey, ...next });
  } catch (caught) {
    // Another instance moved the marker meanwhile: its walk carries on from there.
    deps.log.info(`Due-time backfill: the marker moved under this tick (${toError(caught).message}).`);
  }
  if (done) finished.add(tables);
  return { done, tenants: rows.length, created };
}

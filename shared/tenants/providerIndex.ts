/**
 * The provider-wide tenant index (`providerTenants`, PartitionKey `index`): one small row per tenant and per filter
 * the provider's tenant list offers, so a page of the list is one RowKey range query whatever the number of tenants
 * (docs/DATA-MODEL.md, "Provider tenant index"):
 * - `a|{tenantId}`: every tenant;
 * - `s|{status}|{tenantId}`: by status;
 * - `h|{health}|{tenantId}`: by health;
 * - `x|{status}|{health}|{tenantId}`: by both.
 * All four carry the same fields and live in one partition, so a change is one entity group transaction, guarded by
 * the ETag of the `a|` row: a change of status or health deletes the old filter rows and writes the new ones in the
 * same transaction, and two writers never leave a tenant listed under a status it no longer has.
 *
 * The index is kept by the writers of what it shows (provisioning, consent, health changes, offboarding) and
 * refreshed whole by the tenant's hourly connector-heartbeat job (shared/provider/tenantIndex.ts); a list never reads
 * a tenant's own tables.
 */
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { listPage, odata, readEntity, type TableStore, type TransactionAction } from '../storage/index.js';

export const indexPartition = 'index';

export const indexStatusSchema = z.enum(['provisioned', 'active', 'offboarding']);
export type IndexStatus = z.output<typeof indexStatusSchema>;
/** `unknown`: not checked since the tenant was provisioned. */
export const indexHealthSchema = z.enum(['healthy', 'degraded', 'unhealthy', 'unknown']);
export type IndexHealth = z.output<typeof indexHealthSchema>;

const indexRowSchema = z.object({
  tenantId: z.string(),
  displayName: z.string(),
  status: indexStatusSchema,
  health: indexHealthSchema,
  devicesTotal: z.number().int().nonnegative(),
  devicesActive: z.number().int().nonnegative(),
  devicesPending: z.number().int().nonnegative(),
  lastDiscoveryAt: z.string().optional(),
  lastHeartbeatAt: z.string().optional(),
  updatedAt: z.string(),
});
export type TenantIndexRow = z.output<typeof indexRowSchema>;

/** What a writer changes; fields not named stay as they are. */
export type TenantIndexPatch = Partial<Omit<TenantIndexRow, 'tenantId' | 'updatedAt'>>;

export const allKey = (tenantId: string): string => `a|${tenantId}`;
const statusKey = (row: Pick<TenantIndexRow, 'tenantId' | 'status'>): string => `s|${row.status}|${row.tenantId}`;
const healthKey = (row: Pick<TenantIndexRow, 'tenantId' | 'health'>): string => `h|${row.health}|${row.tenantId}`;
const bothKey = (row: Pick<TenantIndexRow, 'tenantId' | 'status' | 'health'>): string => `x|${row.status}|${row.health}|${row.tenantId}`;

function rowKeys(row: TenantIndexRow): string[] {
  return [allKey(row.tenantId), statusKey(row), healthKey(row), bothKey(row)];
}

function fieldsOf(row: object): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (value !== undefined) fields[key] = value;
  return fields;
}

function same(a: TenantIndexRow, b: TenantIndexRow): boolean {
  const { updatedAt: _a, ...left } = a;
  const { updatedAt: _b, ...right } = b;
  return JSON.stringify(fieldsOf(left)) === JSON.stringify(fieldsOf(right));
}

const blank = (tenantId: string): Omit<TenantIndexRow, 'updatedAt'> => ({
  tenantId,
  displayName: tenantId,
  status: 'provisioned',
  health: 'unknown',
  devicesTotal: 0,
  devicesActive: 0,
  devicesPending: 0,
});

/** The tenant's index row, or undefined when it has none. One point read. */
export async function readTenantIndex(tables: TableStore, tenantId: string): Promise<TenantIndexRow | undefined> {
  const row = await readEntity(tables.table('providerTenants'), indexRowSchema, indexPartition, allKey(tenantId));
  if (!row) return undefined;
  const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...fields } = row;
  return fields;
}

/**
 * Applies a change to the tenant's index rows (creating them when absent); nothing is written when nothing changes.
 * One read and, on a change, one transaction; a lost race reads again.
 */
export async function updateTenantIndex(tables: TableStore, tenantId: string, patch: TenantIndexPatch, now: Date): Promise<void> {
  const table = tables.table('providerTenants');
  const id = tenantId.toLowerCase();
  for (let attempt = 1; ; attempt += 1) {
    const current = await readEntity(table, indexRowSchema, indexPartition, allKey(id));
    const before: TenantIndexRow | undefined = current
      ? (({ partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...fields }) => fields)(current)
      : undefined;
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    const next: TenantIndexRow = { ...blank(id), ...before, ...defined, tenantId: id, updatedAt: now.toISOString() };
    if (before && same(before, next)) return;
    const fields = fieldsOf(next);
    const actions: TransactionAction[] = [];
    const keys = rowKeys(next);
    const oldKeys = before ? rowKeys(before) : [];
    const [first, ...filterKeys] = keys;
    if (first === undefined) return;
    actions.push(
      current
        ? ['update', { partitionKey: indexPartition, rowKey: first, ...fields }, 'Replace', { etag: current.etag }]
        : ['create', { partitionKey: indexPartition, rowKey: first, ...fields }],
    );
    for (const key of oldKeys.slice(1)) if (!keys.includes(key)) actions.push(['delete', { partitionKey: indexPartition, rowKey: key }]);
    for (const key of filterKeys) actions.push(['upsert', { partitionKey: indexPartition, rowKey: key, ...fields }, 'Replace']);
    try {
      await table.submitTransaction(actions);
      return;
    } catch (caught) {
      const status = statusOf(caught);
      // 412/409: another writer got in first; 404: an old filter row is already gone (removed around this code).
      if ((status !== 412 && status !== 409 && status !== 404) || attempt >= 10) throw caught;
      if (status === 404) await deleteRows(tables, oldKeys.slice(1).filter((key) => !keys.includes(key)));
    }
  }
}

async function deleteRows(tables: TableStore, rowKeys: readonly string[]): Promise<void> {
  for (const rowKey of rowKeys) {
    try {
      await tables.table('providerTenants').deleteEntity(indexPartition, rowKey);
    } catch (caught) {
      if (statusOf(caught) !== 404) throw caught;
    }
  }
}

/** Removes the tenant from the index (its last step of offboarding). */
export async function removeTenantIndex(tables: TableStore, tenantId: string): Promise<void> {
  const id = tenantId.toLowerCase();
  const current = await readTenantIndex(tables, id);
  const keys = current ? rowKeys(current) : [allKey(id)];
  // The `a|` row goes last, so a stop in between leaves it to find the others again.
  await deleteRows(tables, [...keys.slice(1), allKey(id)]);
}

export interface TenantIndexQuery {
  readonly status?: IndexStatus | undefined;
  readonly health?: IndexHealth | undefined;
  readonly cursor?: string | null | undefined;
  readonly limit: number;
}

/** The RowKey prefix that holds exactly the rows of a filter. */
export function indexPrefix(query: Pick<TenantIndexQuery, 'status' | 'health'>): string {
  if (query.status && query.health) return `x|${query.status}|${query.health}|`;
  if (query.status) return `s|${query.status}|`;
  if (query.health) return `h|${query.health}|`;
  return 'a|';
}

/**
 * One page of the index, in tenant id order: one RowKey range query of one partition, which examines only the rows
 * it returns. Throws `InvalidCursor` for a cursor another query issued.
 */
export async function listTenantIndex(tables: TableStore, query: TenantIndexQuery): Promise<{ items: TenantIndexRow[]; nextCursor: string | null }> {
  const prefix = indexPrefix(query);
  // `}` follows `|`: the range holds every key that starts with the prefix.
  const end = `${prefix.slice(0, -1)}}`;
  const page = await listPage(tables.table('providerTenants'), {
    schema: indexRowSchema,
    filter: odata`PartitionKey eq ${indexPartition} and RowKey ge ${prefix} and RowKey lt ${end}`,
    cursor: query.cursor ?? null,
    limit: query.limit,
  });
  return {
    items: page.items.map(({ partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...fields }) => fields),
    nextCursor: page.nextCursor,
  };
}

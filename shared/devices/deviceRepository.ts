/**
 * Reading and writing device rows with optimistic concurrency: every write is conditioned on the ETag it read;
 * a lost race re-reads and applies the change again. The version rule (`withVersionRule`) is applied on every write.
 */
import { odata, type TransactionAction } from '@azure/data-tables';
import { statusOf } from '../base/errors.js';
import { ConcurrencyExhausted } from '../storage/errors.js';
import type { TableStore } from '../storage/tableStore.js';
import { credentialedDeviceBuckets, deviceFromEntity, devicePartitionKey, deviceToEntity, tenantDevicesFilter, withVersionRule, type Device } from './device.js';
import { awaitsPush, deviceIndexLayout, indexRows, indexUpperBound, withIndexFields } from './deviceIndex.js';
import { defaultRenudgeAfterMs, reconcileDueBy } from '../jobs/reconcileDue.js';
import { bucketOf, forgetIndexState, hintPending } from './indexHints.js';
import { mapLimit } from '../base/mapLimit.js';
import { sidecarActions } from './sidecar.js';
import { withCountedMark } from './deviceCounters.js';

const maxAttempts = 8;

/**
 * Parsed device rows by ETag (per process, bounded): a row read again with an unchanged ETag has unchanged content,
 * so its parse is reused. The row is still read from storage every time; only the parse is saved.
 */
export interface ParsedDeviceCache {
  get(key: string, etag: string): Device | undefined;
  /** The last row this instance read or wrote for the device, whatever its ETag (it may be stale). */
  latest(key: string): Device | undefined;
  set(key: string, device: Device): void;
}

export function createParsedDeviceCache(maxEntries = 10_000): ParsedDeviceCache {
  const entries = new Map<string, Device>();
  return {
    get(key, etag) {
      const device = entries.get(key);
      return device !== undefined && device.etag === etag ? device : undefined;
    },
    latest(key) {
      return entries.get(key);
    },
    set(key, device) {
      if (device.etag === undefined) return;
      entries.delete(key);
      entries.set(key, device);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
  };
}

export async function readDevice(
  tables: TableStore,
  tenantId: string,
  deviceId: string,
  parsed?: ParsedDeviceCache,
): Promise<Device | undefined> {
  try {
    const raw = await tables.table('devices').getEntity(devicePartitionKey(tenantId, deviceId), deviceId);
    if (!parsed) return deviceFromEntity(raw);
    const key = `${tenantId}|${deviceId}`;
    const known = typeof raw.etag === 'string' ? parsed.get(key, raw.etag) : undefined;
    if (known) return known;
    const device = deviceFromEntity(raw);
    parsed.set(key, device);
    return device;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/**
 * The transaction that writes `after` over `before` (undefined: a create): the device action, conditioned on the
 * ETag `after` or `before` carries, then the sidecar actions (index rows, events; `sidecar.ts`). `after` is returned
 * with its index fields set (`withIndexFields`), as it is written.
 */
export function deviceWriteActions(
  before: Device | undefined,
  after: Device,
  at: Date,
): { device: Device; actions: TransactionAction[] } {
  const device = withCountedMark(withIndexFields(before, after, at));
  const entity = deviceToEntity(device);
  const etag = after.etag ?? before?.etag;
  let deviceAction: TransactionAction;
  if (!before) deviceAction = ['create', entity];
  else if (etag) deviceAction = ['update', entity, 'Replace', { etag }];
  else throw new Error('a device update needs the ETag the device was read with');
  return { device, actions: [deviceAction, ...sidecarActions(before, device, at)] };
}

/**
 * Submits one device's actions: a lone device action as its own call, else one entity group transaction (a
 * device's actions are never split). Returns the device's new ETag. A 412 or 409 means another writer got there
 * first; a 404 that the device row is gone, or (the row unchanged) that an index row it should have is missing.
 */
async function submitDeviceActions(tables: TableStore, actions: TransactionAction[]): Promise<string | undefined> {
  const table = tables.table('devices');
  const [only, ...more] = actions;
  if (only === undefined) return undefined;
  if (more.length === 0) {
    if (only[0] === 'create') return (await table.createEntity(only[1])).etag;
    if (only[0] === 'update') return (await table.updateEntity(only[1], only[2], only[3])).etag;
  }
  const response = await table.submitTransaction(actions);
  return response.subResponses[0]?.etag;
}

/**
 * When the written row starts a new wait for a push (or moves its nudge time): that nudge time, for which the
 * tenant's reconcile must be due in time (shared/jobs/reconcileDue.ts); undefined otherwise.
 */
export function newNudgeTime(before: Device | undefined, written: Device): number | undefined {
  if (!awaitsPush(written) || written.nudgedAt === undefined || written.nudgedAt === before?.nudgedAt) return undefined;
  const ms = Date.parse(written.nudgedAt);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Before a write that makes devices wait for a push: their partitions are hinted for reconcile, and reconcile is due
 * by the time their nudge may be re-sent (shared/devices/indexHints.ts, shared/jobs/reconcileDue.ts).
 */
export async function ensureReconcileFor(
  tables: TableStore,
  tenantId: string,
  waits: readonly { readonly deviceId: string; readonly nudgeMs: number | undefined }[],
  at: Date,
): Promise<void> {
  const waiting = waits.filter((wait): wait is { deviceId: string; nudgeMs: number } => wait.nudgeMs !== undefined);
  if (waiting.length === 0) return;
  await hintPending(tables, tenantId, waiting.map((wait) => bucketOf(wait.deviceId)), at.getTime());
  await reconcileDueBy(tables, tenantId, at.getTime(), Math.min(...waiting.map((wait) => wait.nudgeMs)) + defaultRenudgeAfterMs);
}

async function writeDevice(tables: TableStore, before: Device | undefined, after: Device, at: Date): Promise<Device> {
  const { device, actions } = deviceWriteActions(before, after, at);
  await ensureReconcileFor(tables, device.tenantId, [{ deviceId: device.deviceId, nudgeMs: newNudgeTime(before, device) }], at);
  const etag = await submitDeviceActions(tables, actions);
  return { ...device, etag: etag ?? device.etag };
}

/**
 * Replaces the row (with its index rows) if its ETag still matches `device.etag` (else `before.etag`); `before` is
 * the row as read. Returns the device as written, with its new ETag. Throws 412 when another writer got there first.
 */
export async function replaceDevice(tables: TableStore, device: Device, before: Device, at: Date = new Date()): Promise<Device> {
  if (!device.etag && !before.etag) throw new Error('replaceDevice needs the ETag the device was read with');
  return writeDevice(tables, before, device, at);
}

/** What a change decided: the new row, or no write. */
export type DeviceChange = Device | undefined;

export interface DeviceWrite {
  readonly before: Device;
  readonly after: Device;
  /** A nudge for `after.version` is due (what Intune or Entra should be told changed). */
  readonly nudge: boolean;
}

function lostRace(status: number | undefined): boolean {
  return status === 412 || status === 409 || status === 404;
}

/**
 * After a 404 on a row that did not change (same ETag), an index row the row calls for is missing (a row written
 * around the seam): the next attempt writes as if the row had no index rows (upserts only; readers remove strays).
 */
function unindexedIfUnchanged(previous: Device, fresh: Device | undefined, status: number | undefined): Device | undefined {
  if (status === 404 && fresh && fresh.etag === previous.etag) return { ...fresh, indexed: undefined };
  return fresh;
}

/**
 * Applies `change` to the current row and writes it with its ETag, in one transaction with its sidecar rows,
 * re-reading and retrying when another writer got there first. `change` returning undefined means nothing to write
 * (the result is then undefined too); `start` is a row already read (saves the first read); `at` is the time of the
 * write (the caller's clock). Resolves undefined when the device does not exist.
 */
export async function mutateDevice(
  tables: TableStore,
  tenantId: string,
  deviceId: string,
  change: (current: Device) => DeviceChange,
  start?: Device,
  at: Date = new Date(),
): Promise<DeviceWrite | undefined> {
  let current = start ?? (await readDevice(tables, tenantId, deviceId));
  for (let attempt = 1; ; attempt += 1) {
    if (!current) return undefined;
    const next = change(current);
    if (!next) return undefined;
    const { device, nudge } = withVersionRule(current, next);
    try {
      const after = await writeDevice(tables, current, { ...device, etag: current.etag }, at);
      return { before: current, after, nudge };
    } catch (error) {
      const status = statusOf(error);
      if (!lostRace(status)) throw error;
      if (attempt >= maxAttempts) throw new ConcurrencyExhausted(tables.physicalName('devices'), tenantId, deviceId, attempt);
      current = unindexedIfUnchanged(current, await readDevice(tables, tenantId, deviceId), status);
    }
  }
}

/**
 * Like `mutateDevice`, for a change that may create the row: `apply` gets the current row or undefined, and returns
 * the row to write (version rule already applied) or undefined for no write. Returns the write and how many
 * write attempts it took, or undefined when nothing was written.
 */
export async function writeDeviceWith(
  tables: TableStore,
  tenantId: string,
  deviceId: string,
  apply: (current: Device | undefined) => Device | undefined,
  at: Date,
): Promise<{ before: Device | undefined; after: Device; attempts: number } | undefined> {
  let current = await readDevice(tables, tenantId, deviceId);
  for (let attempt = 1; ; attempt += 1) {
    const next = apply(current);
    if (!next) return undefined;
    try {
      const after = await writeDevice(tables, current, { ...next, etag: current?.etag }, at);
      return { before: current, after, attempts: attempt };
    } catch (error) {
      const status = statusOf(error);
      if (!lostRace(status)) throw error;
      if (attempt >= maxAttempts) throw new ConcurrencyExhausted(tables.physicalName('devices'), tenantId, deviceId, attempt);
      const fresh = await readDevice(tables, tenantId, deviceId);
      current = current ? unindexedIfUnchanged(current, fresh, status) : fresh;
    }
  }
}

/**
 * Writes `device` whatever its row holds now (creating it when absent), with its index rows: for seeding rows
 * (tests, benches, tools) without going around the seam. `device.version` and `syncPending` are written as given.
 */
export async function putDevice(tables: TableStore, device: Device, at: Date = new Date()): Promise<Device> {
  let current = await readDevice(tables, device.tenantId, device.deviceId);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await writeDevice(tables, current, { ...device, etag: current?.etag }, at);
    } catch (error) {
      const status = statusOf(error);
      if (!lostRace(status) || attempt >= maxAttempts) throw error;
      const fresh = await readDevice(tables, device.tenantId, device.deviceId);
      current = current ? unindexedIfUnchanged(current, fresh, status) : fresh;
    }
  }
}

/** One index row found by a range read (deviceIndex.ts). */
export interface IndexEntry {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly etag: string;
  readonly deviceId: string;
  /** On pending rows: the version waiting for a push. */
  readonly version?: number;
}

export interface IndexRead {
  readonly entries: IndexEntry[];
  /** Entities Table Storage examined: the rows returned, as both ends of each query's RowKey range are bounded. */
  readonly entitiesExamined: number;
  /** Query round trips (one per partition, plus a few for a partition with rows found). */
  readonly queries: number;
  /** With `peekUntilMs`: the earliest time after `upToMs` (and up to `peekUntilMs`) among the rows, if any. */
  readonly nextMs?: number;
  /** With `peekUntilMs`: that time per partition suffix (only partitions that have such a row). */
  readonly nextByBucket: ReadonlyMap<string, number>;
  /** The partition suffixes read. */
  readonly buckets: readonly string[];
}

/** Index range queries in flight at once. */
const indexQueryConcurrency = 16;

function entryOf(partitionKey: string, row: { rowKey?: string; etag?: string; deviceId?: unknown; version?: unknown }): IndexEntry {
  const rowKey = row.rowKey ?? '';
  const deviceId = typeof row.deviceId === 'string' ? row.deviceId : rowKey.slice(rowKey.lastIndexOf('|') + 1);
  return {
    partitionKey,
    rowKey,
    etag: row.etag ?? '*',
    deviceId,
    ...(typeof row.version === 'number' ? { version: row.version } : {}),
  };
}

/** The time an index RowKey holds (`{prefix}{13 digits}|{deviceId}`). */
function indexTimeOf(prefix: string, rowKey: string): number {
  return Number(rowKey.slice(prefix.length, prefix.length + 13));
}

/**
 * The index rows of a tenant under `prefix` whose time is at or before `upToMs`, and, with `peekUntilMs`, the
 * earliest time after that up to `peekUntilMs` (when the job should look again). In each of the tenant's 256 device
 * partitions: the first row of the window (`$top=1`); only where that row is due, the rest of the due range and the
 * first row after it. Every query bounds both RowKey ends, so Table Storage examines only the rows it returns: the
 * rows due, plus at most one row per partition to learn the next time. Device ids are Intune's lower-case GUIDs, so
 * `credentialedDeviceBuckets` names every partition.
 */
export async function readIndexRange(
  tables: TableStore,
  tenantId: string,
  prefix: string,
  upToMs: number,
  options: { peekUntilMs?: number; buckets?: readonly string[] } = {},
): Promise<IndexRead> {
  type Row = { rowKey?: string; etag?: string; deviceId?: unknown; version?: unknown };
  const table = tables.table('devices');
  const upper = indexUpperBound(prefix, upToMs);
  const peekUntil = options.peekUntilMs !== undefined && options.peekUntilMs > upToMs ? options.peekUntilMs : undefined;
  const windowEnd = peekUntil !== undefined ? indexUpperBound(prefix, peekUntil) : upper;
  const entries: IndexEntry[] = [];
  let queries = 0;
  let nextMs: number | undefined;
  let peekedRows = 0;
  const nextByBucket = new Map<string, number>();
  const peeked = (bucket: string, row: Row | undefined): void => {
    if (!row?.rowKey) return;
    peekedRows += 1;
    const ms = indexTimeOf(prefix, row.rowKey);
    nextByBucket.set(bucket, ms);
    if (nextMs === undefined || ms < nextMs) nextMs = ms;
  };
  const buckets = options.buckets ?? credentialedDeviceBuckets;
  const first = async (filter: string): Promise<Row | undefined> => {
    queries += 1;
    const page = await table.listEntities<Row>({ queryOptions: { filter } }).byPage({ maxPageSize: 1 }).next();
    return page.done === true ? undefined : page.value[0];
  };
  await mapLimit(buckets, indexQueryConcurrency, async (bucket) => {
    const partitionKey = `${tenantId}|${bucket}`;
    const head = await first(odata`PartitionKey eq ${partitionKey} and RowKey ge ${prefix} and RowKey lt ${windowEnd}`);
    if (!head?.rowKey) return;
    if (head.rowKey >= upper) {
      peeked(bucket, head);
      return;
    }
    entries.push(entryOf(partitionKey, head));
    const rest = table
      .listEntities<Row>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey gt ${head.rowKey} and RowKey lt ${upper}` } })
      .byPage({ maxPageSize: 1_000 });
    for await (const page of rest) {
      queries += 1;
      for (const row of page) entries.push(entryOf(partitionKey, row));
    }
    if (peekUntil !== undefined) peeked(bucket, await first(odata`PartitionKey eq ${partitionKey} and RowKey ge ${upper} and RowKey lt ${windowEnd}`));
  });
  return { entries, entitiesExamined: entries.length + peekedRows, queries, nextByBucket, buckets, ...(nextMs !== undefined ? { nextMs } : {}) };
}

/**
 * Removes an index row its device row does not call for (a row written around the seam, or left by a device row
 * written before the index existed). Conditioned on the ETag it was read with, so a row a writer has just put back
 * stays. Returns whether it was removed.
 */
export async function removeStrayIndexRow(tables: TableStore, entry: IndexEntry, current: Device | undefined): Promise<boolean> {
  if (current && indexRows(current).some((row) => row.rowKey === entry.rowKey)) return false;
  try {
    await tables.table('devices').deleteEntity(entry.partitionKey, entry.rowKey, { etag: entry.etag });
    return true;
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 412) return false;
    throw error;
  }
}

/**
 * Gives every device row of the tenant written before the index existed its index rows (one write each, through the
 * seam); rows already indexed are left alone. Run once per tenant after deploying the index; safe to run again.
 * Returns how many rows were written.
 */
export async function backfillDeviceIndex(tables: TableStore, tenantId: string, at: Date = new Date()): Promise<number> {
  let written = 0;
  const unindexed: Device[] = [];
  for await (const entity of tables.table('devices').listEntities({ queryOptions: { filter: tenantDevicesFilter(tenantId) } })) {
    const device = deviceFromEntity(entity);
    if (device.indexed !== deviceIndexLayout) unindexed.push(device);
  }
  await mapLimit(unindexed, 16, async (device) => {
    const write = await mutateDevice(
      tables,
      tenantId,
      device.deviceId,
      (current) => (current.indexed === deviceIndexLayout ? undefined : { ...current }),
      device,
      at,
    );
    if (write) written += 1;
  });
  // Index rows appeared that no run looked ahead to: the next sweep and reconcile read every partition.
  if (written > 0) await forgetIndexState(tables, tenantId);
  return written;
}

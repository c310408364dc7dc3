/**
 * The index rows beside a device row (docs/DATA-MODEL.md, "Rows beside the device row"): sparse rows in the device's
 * own partition of `devices`, RowKeys starting with `~`, written in the same transaction as the device row, so the
 * periodic jobs read only the devices that are due instead of scanning a tenant's devices.
 *
 * - `~c|{13-digit ms of lastCheckInAt}|{deviceId}` (`{ deviceId }`): present exactly while the device is `active`. The
 *   disconnect sweep reads, per partition, the RowKey range up to its cutoff: the active devices silent since then.
 * - `~p|{13-digit ms of nudgedAt}|{deviceId}` (`{ deviceId, version }`): present while the device is `syncPending`
 *   and its version was not dead-lettered. `nudgedAt` is when the device's current nudge was sent, or the later
 *   time it was deferred to; reconcile reads the range up to `now - bound`: the devices whose nudge is older than
 *   the bound and not deferred beyond it.
 *
 * Which rows a device has is a pure function of its row (`indexRows`), so a write's actions are the difference
 * between the rows of the row before and after (`deviceIndexActions`); a write that changes no index row adds none.
 * Rows written before the index existed carry no `indexed` mark: they are taken to have no index rows (nothing is
 * deleted for them) and get theirs on their next write (`backfillDeviceIndex` in deviceRepository.ts does it for
 * rows never written again).
 */
import type { TransactionAction } from '@azure/data-tables';
import { devicePartitionKey, type Device } from './device.js';

/** Every sidecar RowKey starts with this: it sorts after every device id (lower-case GUIDs). */
export const sidecarRowPrefix = '~';
/** The layout version of the index rows a device row's `indexed` mark says it has. */
export const deviceIndexLayout = 1;

export const checkInIndexPrefix = '~c|';
export const pendingIndexPrefix = '~p|';

/** Milliseconds as 13 digits (sorts as text in time order until the year 2286); 0 for an absent or unreadable time. */
export function indexTime(ms: number): string {
  const value = Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : 0;
  return String(value).padStart(13, '0');
}

function msOf(iso: string | undefined): number {
  if (!iso) return 0;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

/** The check-in index RowKey of an active device (its check-in time, 0 when it has none). */
export function checkInIndexKey(device: Pick<Device, 'deviceId' | 'lastCheckInAt'>): string {
  return `${checkInIndexPrefix}${indexTime(msOf(device.lastCheckInAt))}|${device.deviceId}`;
}

/** The pending index RowKey of a device waiting for a push (its nudge time, 0 when it has none). */
export function pendingIndexKey(device: Pick<Device, 'deviceId' | 'nudgedAt'>): string {
  return `${pendingIndexPrefix}${indexTime(msOf(device.nudgedAt))}|${device.deviceId}`;
}

/** The exclusive upper RowKey bound of an index range holding the times up to and including `ms`. */
export function indexUpperBound(prefix: string, ms: number): string {
  return `${prefix}${indexTime(ms + 1)}`;
}

/** Whether the device is waiting for a push that reconcile must see (its version not dead-lettered). */
export function awaitsPush(device: Pick<Device, 'syncPending' | 'version' | 'deadLetteredVersion'>): boolean {
  return device.syncPending && device.deadLetteredVersion !== device.version;
}

export interface IndexRow {
  readonly rowKey: string;
  readonly fields: Readonly<Record<string, string | number>>;
}

/** The index rows the device row calls for. */
export function indexRows(device: Device): IndexRow[] {
  const rows: IndexRow[] = [];
  if (device.status === 'active') rows.push({ rowKey: checkInIndexKey(device), fields: { deviceId: device.deviceId } });
  if (awaitsPush(device)) rows.push({ rowKey: pendingIndexKey(device), fields: { deviceId: device.deviceId, version: device.version } });
  return rows;
}

/** The index rows that exist for a stored row: none for a row written before the index existed. */
function storedIndexRows(device: Device | undefined): IndexRow[] {
  if (!device || device.indexed !== deviceIndexLayout) return [];
  return indexRows(device);
}

function sameFields(a: IndexRow, b: IndexRow): boolean {
  const keys = new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]);
  for (const key of keys) if (a.fields[key] !== b.fields[key]) return false;
  return true;
}

/**
 * The actions that take the index rows from the row `before` (undefined: none yet) to the row `after` (undefined:
 * the device row is deleted). Deletes name rows that exist (the invariant); new or changed rows are upserted.
 */
export function deviceIndexActions(before: Device | undefined, after: Device | undefined): TransactionAction[] {
  const device = after ?? before;
  if (!device) return [];
  const partitionKey = devicePartitionKey(device.tenantId, device.deviceId);
  const old = storedIndexRows(before);
  const next = after ? indexRows(after) : [];
  const actions: TransactionAction[] = [];
  for (const row of old) {
    if (!next.some((candidate) => candidate.rowKey === row.rowKey)) actions.push(['delete', { partitionKey, rowKey: row.rowKey }]);
  }
  for (const row of next) {
    const existing = old.find((candidate) => candidate.rowKey === row.rowKey);
    if (existing && sameFields(existing, row)) continue;
    actions.push(['upsert', { partitionKey, rowKey: row.rowKey, ...row.fields }, 'Replace']);
  }
  return actions;
}

/**
 * The index fields of the row about to be written: the `indexed` mark, and `nudgedAt` (when the current nudge went
 * out): set to `at` when the device starts waiting for a push or its version changes (a new nudge follows the
 * write), kept while it keeps waiting (unless the writer moved it, e.g. a deferral), cleared when it stops.
 */
export function withIndexFields(before: Device | undefined, after: Device, at: Date): Device {
  let nudgedAt: string | undefined;
  if (awaitsPush(after)) {
    const newNudge = !before || !awaitsPush(before) || before.version !== after.version;
    const moved = before !== undefined && after.nudgedAt !== undefined && after.nudgedAt !== before.nudgedAt;
    nudgedAt = newNudge ? at.toISOString() : moved ? after.nudgedAt : (before?.nudgedAt ?? at.toISOString());
  }
  return { ...after, nudgedAt, indexed: deviceIndexLayout };
}

/** The row with its nudge counted from `later` (a deferral), when that is later than the nudge time it has. */
export function nudgeDeferredTo(device: Device, later: Date): Device {
  if (!awaitsPush(device)) return device;
  const current = msOf(device.nudgedAt);
  return later.getTime() > current ? { ...device, nudgedAt: later.toISOString() } : device;
}

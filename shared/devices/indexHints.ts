/**
 * Where in a tenant's 256 device partitions the sweep and reconcile need to look (`indexHints`, PartitionKey
 * `{tenantId}`), so a run reads the index rows of the few partitions that have something due instead of all 256:
 *
 * - `p|{bucket}` (`{ atMs }`): the partition may hold devices waiting for a push. Written (upserted, no read) before a
 *   device write that starts a wait, so it exists whenever such a device does; reconcile deletes it (on the ETag it
 *   read) once it finds the partition empty, but only when it is older than `hintSettleMs`, so a hint whose device
 *   write is still in flight is never taken for a stale one.
 * - `sweep` (`{ fullAtMs, days, next }`): when the sweep last read every partition, with which `disconnectedAfterDays`,
 *   and per partition the check-in time of the next device to fall silent within the look-ahead.
 * - `reconcile` (`{ fullAtMs }`): when reconcile last read every partition.
 *
 * Hints only narrow what a run reads between full reads; every run that is due for its look-ahead reads all 256
 * partitions, so a missing or stale hint delays nothing beyond that period (docs/SCALE.md).
 */
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { odata, readEntity, type TableStore } from '../storage/index.js';

/** A pending hint younger than this is kept even when its partition looks empty: its device write may be in flight. */
export const hintSettleMs = 60_000;

const pendingPrefix = 'p|';

/** The partition suffix (two hex digits of the device id) a device's rows live in. */
export function bucketOf(deviceId: string): string {
  return deviceId.slice(0, 2);
}

/** Per instance: hints written within `hintSettleMs` (they cannot have been cleared since). */
const recentHints = new LRUCache<string, number>({ max: 20_000 });

/** Notes that devices in these partitions start waiting for a push (before their device write). */
export async function hintPending(tables: TableStore, tenantId: string, buckets: Iterable<string>, atMs: number): Promise<void> {
  const table = tables.table('indexHints');
  await Promise.all(
    [...new Set(buckets)].map(async (bucket) => {
      const key = `${tables.physicalName('indexHints')}|${tenantId}|${bucket}`;
      const written = recentHints.get(key);
      if (written !== undefined && atMs - written < hintSettleMs / 2 && atMs >= written) return;
      await table.upsertEntity({ partitionKey: tenantId, rowKey: `${pendingPrefix}${bucket}`, atMs }, 'Replace');
      recentHints.set(key, atMs);
    }),
  );
}

export interface PendingHint {
  readonly bucket: string;
  readonly atMs: number;
  readonly etag: string;
}

const pendingHintSchema = z.object({ rowKey: z.string(), atMs: z.number(), etag: z.string() });

/** The tenant's pending hints: one range query that examines only them. */
export async function readPendingHints(tables: TableStore, tenantId: string): Promise<PendingHint[]> {
  const hints: PendingHint[] = [];
  const rows = tables.table('indexHints').listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${pendingPrefix} and RowKey lt ${'p}'}` },
  });
  for await (const raw of rows) {
    const row = pendingHintSchema.safeParse(raw);
    if (row.success) hints.push({ bucket: row.data.rowKey.slice(pendingPrefix.length), atMs: row.data.atMs, etag: row.data.etag });
  }
  return hints;
}

/** Removes a hint whose partition was found with nothing waiting, unless it is recent or was written again since. */
export async function clearPendingHint(tables: TableStore, tenantId: string, hint: PendingHint, runStartMs: number): Promise<boolean> {
  if (hint.atMs > runStartMs - hintSettleMs) return false;
  try {
    await tables.table('indexHints').deleteEntity(tenantId, `${pendingPrefix}${hint.bucket}`, { etag: hint.etag });
    return true;
  } catch (caught) {
    const status = statusOf(caught);
    if (status === 404 || status === 412) return false;
    throw caught;
  }
}

const nextSchema = z.record(z.string(), z.number());
const sweepStateSchema = z.object({ fullAtMs: z.number(), days: z.number(), next: z.string() });

export interface SweepState {
  readonly fullAtMs: number;
  readonly days: number;
  /** Per partition suffix: the check-in time of the next device there to fall silent, within the look-ahead. */
  readonly next: ReadonlyMap<string, number>;
}

export async function readSweepState(tables: TableStore, tenantId: string): Promise<SweepState | undefined> {
  const row = await readEntity(tables.table('indexHints'), sweepStateSchema, tenantId, 'sweep');
  if (!row) return undefined;
  let next: Record<string, number> = {};
  try {
    const parsed = nextSchema.safeParse(JSON.parse(row.next));
    if (parsed.success) next = parsed.data;
  } catch {
    // An unreadable map: the run reads every partition.
    return undefined;
  }
  return { fullAtMs: row.fullAtMs, days: row.days, next: new Map(Object.entries(next)) };
}

export async function writeSweepState(tables: TableStore, tenantId: string, state: SweepState): Promise<void> {
  await tables.table('indexHints').upsertEntity(
    { partitionKey: tenantId, rowKey: 'sweep', fullAtMs: state.fullAtMs, days: state.days, next: JSON.stringify(Object.fromEntries(state.next)) },
    'Replace',
  );
}

const reconcileStateSchema = z.object({ fullAtMs: z.number() });

export async function readReconcileFullAt(tables: TableStore, tenantId: string): Promise<number | undefined> {
  return (await readEntity(tables.table('indexHints'), reconcileStateSchema, tenantId, 'reconcile'))?.fullAtMs;
}

export async function writeReconcileFullAt(tables: TableStore, tenantId: string, fullAtMs: number): Promise<void> {
  await tables.table('indexHints').upsertEntity({ partitionKey: tenantId, rowKey: 'reconcile', fullAtMs }, 'Replace');
}

/** Makes the tenant's next sweep and reconcile read every partition (index rows were written around the runs). */
export async function forgetIndexState(tables: TableStore, tenantId: string): Promise<void> {
  await Promise.all(
    ['sweep', 'reconcile'].map(async (rowKey) => {
      try {
        await tables.table('indexHints').deleteEntity(tenantId, rowKey);
      } catch (caught) {
        if (statusOf(caught) !== 404) throw caught;
      }
    }),
  );
}

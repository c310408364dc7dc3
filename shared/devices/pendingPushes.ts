/**
 * How many of a tenant's devices wait for a push, and since when: read from the pending-push index rows beside the
 * device rows (`~p|{nudged ms}|{deviceId}`, deviceIndex.ts), a RowKey range in each of the tenant's device
 * partitions, so the read examines only devices that wait.
 */
import { z } from 'zod';
import { listPage, odata, type Page, type StoredEntity, type TableStore } from '../storage/index.js';
import { pendingIndexPrefix } from './deviceIndex.js';

export interface PendingPushes {
  /** Devices counted (a floor when `truncated`). */
  readonly waiting: number;
  /** The earliest nudge time among the rows read (ms); undefined when none carries one. */
  readonly oldestNudgedMs: number | undefined;
  /** More rows remain beyond the pages read. */
  readonly truncated: boolean;
}

/** Counts the waiting devices, reading at most `maxPages` pages of 1,000 index rows. */
export async function readPendingPushes(tables: TableStore, tenantId: string, maxPages: number): Promise<PendingPushes> {
  const filter = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`} and RowKey ge ${pendingIndexPrefix} and RowKey lt ${`${pendingIndexPrefix.slice(0, -1)}}`}`;
  let waiting = 0;
  let oldestMs = Number.POSITIVE_INFINITY;
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<StoredEntity<Record<string, unknown>>> = await listPage(tables.table('devices'), {
      schema: z.record(z.string(), z.unknown()),
      filter,
      select: ['deviceId'],
      limit: 1_000,
      cursor,
    });
    for (const row of page.items) {
      waiting += 1;
      const ms = Number(row.rowKey.slice(pendingIndexPrefix.length, pendingIndexPrefix.length + 13));
      if (Number.isFinite(ms) && ms > 0 && ms < oldestMs) oldestMs = ms;
    }
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < maxPages);
  return { waiting, oldestNudgedMs: Number.isFinite(oldestMs) ? oldestMs : undefined, truncated: cursor !== null };
}

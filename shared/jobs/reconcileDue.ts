/**
 * Reconcile runs when a pending device's nudge could be lost, not on a clock. A device write that makes a device wait
 * for a push (a new version to tell Intune or Entra ID) first makes the tenant's `reconcile` job due by the time that
 * nudge is old enough to re-send (`defaultRenudgeAfterMs` after the write), then writes the device. Written before the
 * device row, so a process stopped between the two leaves at worst a reconcile run that finds nothing; written in
 * the same order every time, so no pending device is ever without a reconcile run due for it.
 *
 * Cost: a tenant whose reconcile is due earlier already costs one point read, and nothing at all while this instance
 * knows a due time that is still ahead and early enough (`knownDue`, bounded). A new threat on a quiet tenant costs
 * one read and one transaction.
 */
import { LRUCache } from 'lru-cache';
import type { TableStore } from '../storage/index.js';
import { markDue } from './dueIndex.js';

/**
 * How old a pending device's nudge must be before reconcile sends it again (15 minutes). Longer than Service Bus's
 * duplicate-detection window (10 minutes), so a re-nudge is never swallowed as a duplicate of the nudge it replaces,
 * and longer than a push takes to settle.
 */
export const defaultRenudgeAfterMs = 15 * 60_000;

/** Per instance: the reconcile due time last seen for a tenant (a due time ahead of now has not been claimed yet). */
const knownDue = new LRUCache<string, number>({ max: 10_000 });

/**
 * Makes the tenant's reconcile due at `byMs` at the latest (the write's time plus the re-nudge bound). `atMs` is the
 * time of the write: a due time known from earlier is trusted only while it is still ahead of it (a due row whose
 * time has come may have been claimed and moved on).
 */
export async function reconcileDueBy(tables: TableStore, tenantId: string, atMs: number, byMs: number): Promise<void> {
  const key = `${tables.physicalName('jobSchedule')}|${tenantId}`;
  const known = knownDue.get(key);
  if (known !== undefined && known > atMs && known <= byMs) return;
  const due = await markDue(tables, tenantId, 'reconcile', byMs);
  if (due !== undefined) knownDue.set(key, due);
}

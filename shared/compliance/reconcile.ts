/**
 * The safety net: re-nudge each device whose last version is not yet pushed to every target (`syncPending`) and
 * whose nudge is older than a bound, so a nudge lost in transit or a crash between a device write and its nudge loses
 * nothing. A version that was dead-lettered is left alone (it is reported; the device's next change is pushed again).
 * Nudges use the plain id `{deviceId}:{version}`.
 *
 * Reconcile reads only devices still waiting for a push, through the pending index rows (`~p|{ms}|{deviceId}`,
 * shared/devices/deviceIndex.ts), keyed by when the device's nudge went out or was deferred to: in each partition it
 * reads, the RowKey range up to `now - renudgeAfterMs`, and the first row after it (when to look again). It runs when
 * made due: by a device write that starts a wait (shared/jobs/reconcileDue.ts), by its own runs while devices wait,
 * and every `reconcileLookAheadMs` at the latest. That last run reads all 256 partitions; the others read only the
 * partitions hinted to hold waiting devices (shared/devices/indexHints.ts). A device re-nudged has its nudge time
 * moved to now (one write with its index rows), so it is not re-sent on every run.
 *
 * A backlog is not amplified: a device waiting its turn in the tenant's Intune write budget already has a nudge
 * scheduled for its turn. Deferrals that write the device row anyway move its index row to the deferred time
 * (push.ts); a batch deferred whole is not even read, so instead reconcile reads the budget's end of deferred work
 * (`deferredWorkEnd`, one read): while that is within `renudgeAfterMs` of now, every pending device of the tenant
 * may be waiting in that line, and none is re-sent (a re-sent nudge would only queue behind the line anyway).
 */
import type { Clock } from '../base/clock.js';
import { awaitsPush, pendingIndexKey, pendingIndexPrefix } from '../devices/deviceIndex.js';
import type { Device } from '../devices/device.js';
import { mutateDevice, readIndexRange, removeStrayIndexRow, type IndexRead } from '../devices/deviceRepository.js';
import { toError } from '../base/errors.js';
import { mapLimit } from '../base/mapLimit.js';
import type { QueueSenders } from '../queues/queue.js';
import type { Logger } from '../base/logger.js';
import type { TableStore } from '../storage/index.js';
import { listActiveTenants } from '../tenants/tenantRepository.js';
import { sendNudges, type Nudge } from '../devices/complianceNudges.js';
import { resyncIfBehind } from './resync.js';
import { deferredWorkEnd } from './writeBudget.js';
import { defaultRenudgeAfterMs } from '../jobs/reconcileDue.js';
import { clearPendingHint, hintPending, readPendingHints, readReconcileFullAt, writeReconcileFullAt, type PendingHint } from '../devices/indexHints.js';

export { defaultRenudgeAfterMs } from '../jobs/reconcileDue.js';

/**
 * How far past its bound a run looks for the next nudge to come of age (the reconcile job's period in
 * shared/jobs/plan.ts is no longer): the tenant's reconcile is then due when that nudge may be re-sent.
 */
export const reconcileLookAheadMs = 6 * 60 * 60 * 1000;

/** Devices re-checked and written at once. */
const deviceConcurrency = 16;

export interface ReconcileDeps {
  readonly tables: TableStore;
  readonly queues: QueueSenders;
  readonly log: Logger;
  readonly clock: Clock;
}

export interface ReconcileOptions {
  /** See `defaultRenudgeAfterMs`. */
  readonly renudgeAfterMs?: number;
}

/** What one tenant's reconcile found and did. */
export interface ReconcileTenantSummary {
  readonly tenantId: string;
  /** Pending index rows older than the bound: devices whose nudge may be lost. */
  readonly devicesFound: number;
  /** Entities Table Storage examined for the index reads (the rows returned: both RowKey ends are bounded). */
  readonly entitiesExamined: number;
  /** Index queries sent (256 partitions, plus further pages; 0 while deferred work is waiting). */
  readonly queries: number;
  /** Devices re-nudged. */
  readonly nudgesSent: number;
  /** Nudges sent because a change of what is enforced had not reached every device (`resyncIfBehind`). */
  readonly resyncNudges: number;
  /** Index rows no device row called for, removed on the way. */
  readonly strayRowsRemoved: number;
  /** Set when the tenant's write budget holds deferred work until then (ISO): the index was not read. */
  readonly deferredUntil?: string;
  /** When a device still waiting may need its nudge re-sent: the tenant's reconcile is due then (undefined: none waits). */
  readonly nextDueMs?: number;
}

/**
 * Reconciles one tenant: re-nudges its devices whose nudge is older than the bound and not deferred, then resyncs it
 * if a change of what is enforced has not reached every device. For the tenant's queued job; throws on failure.
 */
export async function reconcileTenant(deps: ReconcileDeps, tenantId: string, options: ReconcileOptions = {}): Promise<ReconcileTenantSummary> {
  const renudgeAfterMs = options.renudgeAfterMs ?? defaultRenudgeAfterMs;
  const now = deps.clock.now();
  const upTo = now.getTime() - renudgeAfterMs;
  const lineEnd = await deferredWorkEnd(deps.tables, tenantId);
  let found: IndexRead = { entries: [], entitiesExamined: 0, queries: 0, nextByBucket: new Map(), buckets: [] };
  let full = false;
  let fullAtMs: number | undefined;
  let hints: PendingHint[] = [];
  if (lineEnd <= upTo) {
    // Every partition once per look-ahead; in between, only the partitions hinted to hold devices waiting.
    fullAtMs = await readReconcileFullAt(deps.tables, tenantId);
    full = fullAtMs === undefined || now.getTime() - fullAtMs >= reconcileLookAheadMs;
    hints = await readPendingHints(deps.tables, tenantId);
    const buckets = full ? undefined : hints.map((hint) => hint.bucket);
    if (buckets?.length !== 0) {
      found = await readIndexRange(deps.tables, tenantId, pendingIndexPrefix, upTo, {
        peekUntilMs: upTo + reconcileLookAheadMs,
        ...(buckets ? { buckets } : {}),
      });
    }
  }

  const nudges: Nudge[] = [];
  let strayRowsRemoved = 0;
  await mapLimit(found.entries, deviceConcurrency, async (entry) => {
    let current: Device | undefined;
    const write = await mutateDevice(
      deps.tables,
      tenantId,
      entry.deviceId,
      (row) => {
        current = row;
        // Still waiting, and for the nudge this row was found by (a newer one has its own time).
        if (!awaitsPush(row) || pendingIndexKey(row) !== entry.rowKey) return undefined;
        return { ...row, nudgedAt: now.toISOString() };
      },
      undefined,
      now,
    );
    if (write) nudges.push({ tenantId, deviceId: write.after.deviceId, version: write.after.version });
    else if (await removeStrayIndexRow(deps.tables, entry, current)) strayRowsRemoved += 1;
  });
  await sendNudges(deps.queues, nudges);
  await settleHints(deps, tenantId, found, hints, now.getTime());
  if (full) {
    fullAtMs = now.getTime();
    await writeReconcileFullAt(deps.tables, tenantId, fullAtMs);
  }
  // A change of what is enforced that has not reached every device yet.
  const resyncNudges = await resyncIfBehind(deps, tenantId);
  // Next due: the oldest nudge still in flight comes of age, a re-sent one does, or the deferred line ends.
  const candidates = [
    ...(found.nextMs !== undefined ? [found.nextMs + renudgeAfterMs] : []),
    ...(nudges.length > 0 || resyncNudges > 0 ? [now.getTime() + renudgeAfterMs] : []),
    ...(lineEnd > upTo ? [lineEnd + renudgeAfterMs] : []),
    ...(fullAtMs !== undefined ? [fullAtMs + reconcileLookAheadMs] : []),
  ];
  return {
    tenantId,
    devicesFound: found.entries.length,
    entitiesExamined: found.entitiesExamined,
    queries: found.queries,
    nudgesSent: nudges.length,
    resyncNudges,
    strayRowsRemoved,
    ...(lineEnd > upTo ? { deferredUntil: new Date(lineEnd).toISOString() } : {}),
    ...(candidates.length > 0 ? { nextDueMs: Math.min(...candidates) } : {}),
  };
}

/**
 * After a read: hints of partitions found with nothing waiting are removed (unless recent or rewritten since), and a
 * partition found waiting without a hint (a hint lost with a crash, or rows from before hints) gets one.
 */
async function settleHints(deps: ReconcileDeps, tenantId: string, found: IndexRead, hints: readonly PendingHint[], nowMs: number): Promise<void> {
  const waiting = new Set([...found.entries.map((entry) => entry.partitionKey.slice(tenantId.length + 1)), ...found.nextByBucket.keys()]);
  const read = new Set(found.buckets);
  const hinted = new Set(hints.map((hint) => hint.bucket));
  await Promise.all(hints.filter((hint) => read.has(hint.bucket) && !waiting.has(hint.bucket)).map((hint) => clearPendingHint(deps.tables, tenantId, hint, nowMs)));
  const unhinted = [...waiting].filter((bucket) => !hinted.has(bucket));
  if (unhinted.length > 0) await hintPending(deps.tables, tenantId, unhinted, nowMs);
}

export interface ReconcileSummary {
  tenants: number;
  nudged: number;
  /** Tenants whose pass failed (logged; the next run tries again). */
  failedTenants: number;
}

/** Reconciles every active tenant, one after the other (`reconcileTenant`); one tenant's failure never stops the rest. */
export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const tenants = await listActiveTenants(deps.tables);
  const summary: ReconcileSummary = { tenants: tenants.length, nudged: 0, failedTenants: 0 };
  for (const tenant of tenants) {
    try {
      const result = await reconcileTenant(deps, tenant.tenantId, options);
      summary.nudged += result.nudgesSent + result.resyncNudges;
    } catch (caught) {
      summary.failedTenants += 1;
      deps.log.error(`Reconcile: tenant ${tenant.tenantId} failed: ${toError(caught).message}`);
    }
  }
  return summary;
}

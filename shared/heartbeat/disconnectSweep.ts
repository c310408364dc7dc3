/**
 * Devices that stopped checking in: an `active` device whose last check-in is `disconnectedAfterDays` old becomes
 * `disconnected` (version bumped, nudged). A later heartbeat or report makes it active again.
 *
 * The sweep reads only the devices silent past the cutoff, through the check-in index rows (`~c|{ms}|{deviceId}`,
 * present exactly while a device is active, see shared/devices/deviceIndex.ts): in each of the tenant's device
 * partitions, the RowKey range up to the cutoff. Each device found is re-checked on its current row before it is
 * written. Each run also looks one row past the cutoff per partition read: the next device to fall silent there,
 * within the look-ahead (12 hours), kept in the tenant's sweep state (shared/devices/indexHints.ts). Every 12 hours a
 * run reads all 256 partitions; in between, a run (made due by that state) reads only the partitions where a device
 * falls silent. Cost per run: 2 point operations for the state, one index query per partition read (two more where
 * devices are found), entities examined = devices found plus at most one per partition read, then per device found a
 * read and a write (one transaction with its index rows) and ⌈disconnected ÷ 500⌉ queue sends. A tenant whose
 * devices all check in costs two full reads a day, nothing more.
 *
 * A check-in that changes nothing is written at most once per `CHECKIN_WRITE_INTERVAL_MINUTES`, so a stored
 * `lastCheckInAt` (and its index row) may be that much older than the device's last call: the cutoff allows for it
 * (`checkInSlackMs`), so a device that keeps checking in is never disconnected, at the price of disconnecting a
 * silent one that much later.
 */
import { transition } from '../domain/index.js';
import { checkInWriteIntervalMs } from '../devices/heartbeat.js';
import type { CorePorts } from '../ports.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { checkInIndexPrefix } from '../devices/deviceIndex.js';
import type { Device } from '../devices/device.js';
import { mutateDevice, readIndexRange, removeStrayIndexRow, type DeviceWrite, type IndexRead } from '../devices/deviceRepository.js';
import { readSweepState, writeSweepState } from '../devices/indexHints.js';
import { nudgeAfter } from '../devices/afterDeviceWrite.js';
import { mapLimit } from '../base/mapLimit.js';

const dayMs = 24 * 60 * 60 * 1000;
/** Devices re-checked and written at once. */
const deviceConcurrency = 16;

/** What one tenant's sweep found and did. */
export interface SweepSummary {
  readonly tenantId: string;
  /** Check-in index rows at or before the cutoff: the active devices that look silent. */
  readonly devicesFound: number;
  /** Entities Table Storage examined for the index reads (the rows returned: both RowKey ends are bounded). */
  readonly entitiesExamined: number;
  /** Index queries sent (256 partitions, plus further pages). */
  readonly queries: number;
  /** Devices that became `disconnected`. */
  readonly disconnected: number;
  /** Nudges sent for them. */
  readonly nudgesSent: number;
  /** Index rows no device row called for, removed on the way. */
  readonly strayRowsRemoved: number;
  /** Whether this run read every partition (else only those its last runs said had a device falling silent). */
  readonly fullRead: boolean;
  /**
   * When the tenant's sweep is next due: the next device falls silent (as far as the runs looked ahead), or the
   * look-ahead of the last full read runs out, whichever is first.
   */
  readonly nextDueMs: number;
}

/** What a sweep uses: the device rows, the compliance queue its nudges go on, and the log. */
export type SweepDeps = Pick<CorePorts, 'tables' | 'queues' | 'log'>;

/**
 * How far past its cutoff a sweep looks for the next device to fall silent. The sweep job's period
 * (shared/jobs/plan.ts) must not be longer, and neither may be shorter than the shortest `disconnectedAfterDays`
 * (a device that checks in after a sweep falls silent no sooner than that), so every device is swept on time.
 */
export const sweepLookAheadMs = 12 * 60 * 60 * 1000;

/**
 * The disconnect sweep of one tenant at `now`: every active device whose last check-in is at or before
 * `now - disconnectedAfterDays` becomes disconnected and is nudged.
 */
export async function sweepSilentDevices(
  services: SweepDeps,
  tenantId: string,
  disconnectedAfterDays: number,
  now: Date,
  checkInSlackMs = 0,
): Promise<SweepSummary> {
  const cutoffMs = now.getTime() - disconnectedAfterDays * dayMs - checkInSlackMs;
  const cutoff = new Date(cutoffMs).toISOString();
  const at = now.toISOString();
  // Between full reads, only the partitions whose next device to fall silent is due now are read.
  const state = await readSweepState(services.tables, tenantId);
  const full = !state || state.days !== disconnectedAfterDays || now.getTime() - state.fullAtMs >= sweepLookAheadMs;
  const buckets = full ? undefined : [...state.next].filter(([, ms]) => ms <= cutoffMs).map(([bucket]) => bucket);
  const found: IndexRead =
    buckets?.length === 0
      ? { entries: [], entitiesExamined: 0, queries: 0, nextByBucket: new Map(), buckets: [] }
      : await readIndexRange(services.tables, tenantId, checkInIndexPrefix, cutoffMs, {
          peekUntilMs: cutoffMs + sweepLookAheadMs,
          ...(buckets ? { buckets } : {}),
        });
  const writes: DeviceWrite[] = [];
  let strayRowsRemoved = 0;
  let nudgesSent = 0;
  let disconnected = 0;
  const flush = async (): Promise<void> => {
    const batch = writes.splice(0);
    await nudgeAfter(services, batch);
    nudgesSent += batch.filter((write) => write.nudge).length;
  };
  await mapLimit(found.entries, deviceConcurrency, async (entry) => {
    let current: Device | undefined;
    const write = await mutateDevice(
      services.tables,
      tenantId,
      entry.deviceId,
      (row) => {
        current = row;
        // Re-checked on the current row: a check-in may have arrived since the index was read.
        if (row.status !== 'active' || (row.lastCheckInAt ?? '') > cutoff) return undefined;
        const next = transition(row.status, 'fallSilent');
        if (!next.ok) return undefined;
        return { ...row, status: next.status, statusChangedAt: at };
      },
      undefined,
      now,
    );
    if (write) {
      disconnected += 1;
      writes.push(write);
      if (writes.length >= 500) await flush();
    } else if (await removeStrayIndexRow(services.tables, entry, current)) {
      strayRowsRemoved += 1;
    }
  });
  await flush();
  // What the next run needs: per partition, the next device to fall silent (the partitions read start afresh).
  const next = new Map(full || !state ? [] : state.next);
  for (const bucket of found.buckets) next.delete(bucket);
  for (const [bucket, ms] of found.nextByBucket) next.set(bucket, ms);
  const fullAtMs = full || !state ? now.getTime() : state.fullAtMs;
  if (full || found.buckets.length > 0) await writeSweepState(services.tables, tenantId, { fullAtMs, days: disconnectedAfterDays, next });
  const soonest = Math.min(...next.values());
  return {
    tenantId,
    devicesFound: found.entries.length,
    entitiesExamined: found.entitiesExamined,
    queries: found.queries,
    disconnected,
    nudgesSent,
    strayRowsRemoved,
    fullRead: full,
    // When the next device falls silent, and at the latest when the look-ahead of the last full read runs out.
    nextDueMs: Math.min(Number.isFinite(soonest) ? soonest + (now.getTime() - cutoffMs) : Infinity, fullAtMs + sweepLookAheadMs),
  };
}

/** The sweep of one tenant with its own settings (`disconnectedAfterDays`), at the services' clock: for a queued job. */
export async function sweepTenant(
  services: Pick<CorePorts, 'tables' | 'queues' | 'log' | 'clock' | 'config'>,
  tenantId: string,
): Promise<SweepSummary> {
  const settings = await readConnectorSettings(services.tables, tenantId);
  return sweepSilentDevices(services, tenantId, settings.disconnectedAfterDays, services.clock.now(), checkInWriteIntervalMs(services));
}

/** The sweep of one tenant; returns how many devices became disconnected. */
export async function sweepDisconnected(
  services: SweepDeps,
  tenantId: string,
  disconnectedAfterDays: number,
  now: Date,
  checkInSlackMs = 0,
): Promise<number> {
  return (await sweepSilentDevices(services, tenantId, disconnectedAfterDays, now, checkInSlackMs)).disconnected;
}

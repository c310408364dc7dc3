/**
 * Devices that stopped checking in: an `active` device whose last check-in is `disconnectedAfterDays` old becomes
 * `disconnected` (version bumped, nudged). A later heartbeat or report makes it active again.
 *
 * The sweep reads only the devices silent past the cutoff, through the check-in index rows (`~c|{ms}|{deviceId}`,
 * present exactly while a device is active, see shared/devices/deviceIndex.ts): in each of the tenant's device
 * partitions, the RowKey range up to the cutoff. Each device found is re-checked on its current row before it is
 * written. Cost per run: 256 index queries (two more in a partition with devices found), entities examined = devices
 * found plus at most one per partition (the next device to fall silent, which says when the sweep is next due), then
 * per device found a read and a write (one transaction with its index rows) and ⌈disconnected ÷ 500⌉ queue sends.
 * A tenant whose devices all check in is swept once per look-ahead (12 hours), not every few minutes.
 *
 * A check-in that changes nothing is written at most once per `CHECKIN_WRITE_INTERVAL_MINUTES`, so a stored
 * `lastCheckInAt` (and its index row) may be that much older than the device's last call: the cutoff allows for it
 * (`checkInSlackMs`), so a device that keeps checking in is never disconnected, at the price of disconnecting a
 * silent one that much later.
 */
import { transition } from '../domain/index.js';
import { checkInWriteIntervalMs } from '../devices/heartbeat.js';
import type { Services } from '../services.js';
import { loadConnectorSettings } from '../devices/tenantContext.js';
import { checkInIndexPrefix } from '../devices/deviceIndex.js';
import type { Device } from '../devices/device.js';
import { mutateDevice, readIndexRange, removeStrayIndexRow, type DeviceWrite } from '../devices/deviceRepository.js';
import { nudgeAfter } from '../devices/nudge.js';
import { mapLimit } from '../mapLimit.js';

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
  /**
   * When the next device falls silent, as far as the sweep looked ahead (`lookAheadMs`): the tenant's sweep is due
   * then; undefined when no active device falls silent within the look-ahead (the job's own period brings it back).
   */
  readonly nextDueMs?: number;
}

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
  services: Pick<Services, 'tables' | 'queues' | 'log'>,
  tenantId: string,
  disconnectedAfterDays: number,
  now: Date,
  checkInSlackMs = 0,
): Promise<SweepSummary> {
  const cutoffMs = now.getTime() - disconnectedAfterDays * dayMs - checkInSlackMs;
  const cutoff = new Date(cutoffMs).toISOString();
  const at = now.toISOString();
  const found = await readIndexRange(services.tables, tenantId, checkInIndexPrefix, cutoffMs, { peekUntilMs: cutoffMs + sweepLookAheadMs });
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
  return {
    tenantId,
    devicesFound: found.entries.length,
    entitiesExamined: found.entitiesExamined,
    queries: found.queries,
    disconnected,
    nudgesSent,
    strayRowsRemoved,
    ...(found.nextMs !== undefined ? { nextDueMs: found.nextMs + (now.getTime() - cutoffMs) } : {}),
  };
}

/** The sweep of one tenant with its own settings (`disconnectedAfterDays`), at the services' clock: for a queued job. */
export async function sweepTenant(
  services: Pick<Services, 'tables' | 'queues' | 'log' | 'clock' | 'config'>,
  tenantId: string,
): Promise<SweepSummary> {
  const settings = await loadConnectorSettings(services.tables, tenantId);
  return sweepSilentDevices(services, tenantId, settings.disconnectedAfterDays, services.clock.now(), checkInWriteIntervalMs(services));
}

/** The sweep of one tenant; returns how many devices became disconnected. */
export async function sweepDisconnected(
  services: Pick<Services, 'tables' | 'queues' | 'log'>,
  tenantId: string,
  disconnectedAfterDays: number,
  now: Date,
  checkInSlackMs = 0,
): Promise<number> {
  return (await sweepSilentDevices(services, tenantId, disconnectedAfterDays, now, checkInSlackMs)).disconnected;
}

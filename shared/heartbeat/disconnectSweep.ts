/**
 * Devices that stopped checking in: an `active` device whose last check-in is `disconnectedAfterDays` old becomes
 * `disconnected` (version bumped, nudged). A later heartbeat or report makes it active again.
 *
 * A check-in that changes nothing is written at most once per `CHECKIN_WRITE_INTERVAL_MINUTES`, so a stored
 * `lastCheckInAt` may be that much older than the device's last call: the cutoff allows for it (`checkInSlackMs`), so
 * a device that keeps checking in is never disconnected, at the price of disconnecting a silent one that much later.
 */
import { transition } from '../domain/index.js';
import type { Services } from '../services.js';
import { mutateDevice, silentActiveDevices, type DeviceWrite } from '../devices/deviceRepository.js';
import { nudgeAfter } from '../devices/nudge.js';

const dayMs = 24 * 60 * 60 * 1000;

export async function sweepDisconnected(
  services: Pick<Services, 'tables' | 'queues' | 'log'>,
  tenantId: string,
  disconnectedAfterDays: number,
  now: Date,
  checkInSlackMs = 0,
): Promise<number> {
  const cutoff = new Date(now.getTime() - disconnectedAfterDays * dayMs - checkInSlackMs).toISOString();
  const at = now.toISOString();
  const writes: DeviceWrite[] = [];
  for await (const found of silentActiveDevices(services.tables, tenantId, cutoff)) {
    const write = await mutateDevice(
      services.tables,
      tenantId,
      found.deviceId,
      (current) => {
        // Re-checked on the current row: a check-in may have arrived since the query.
        if (current.status !== 'active' || (current.lastCheckInAt ?? '') > cutoff) return undefined;
        const next = transition(current.status, 'fallSilent');
        if (!next.ok) return undefined;
        return { ...current, status: next.status, statusChangedAt: at };
      },
      found,
    );
    if (write) writes.push(write);
    if (writes.length >= 500) await nudgeAfter(services, writes.splice(0));
  }
  await nudgeAfter(services, writes);
  return writes.length;
}

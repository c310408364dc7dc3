/**
 * After a device write: sends the compliance nudge (a failed send is logged: reconcile re-nudges), and when the write
 * changed the device's status or risk level (so its event rows were written with it, shared/events/deviceEvents.ts)
 * relays those events into the feed in the background, so webhooks and feed readers see them at once (the push
 * relays them too, for a process that stops first).
 */
import { sendNudges } from './nudges.js';
import { toError } from '../base/errors.js';
import type { Services } from '../app/services.js';
import { devicePartitionKey } from './device.js';
import type { DeviceWrite } from './deviceRepository.js';

export async function nudgeAfter(
  services: Pick<Services, 'queues' | 'log'> & Partial<Pick<Services, 'events'>>,
  writes: readonly (DeviceWrite | undefined)[],
): Promise<void> {
  relayDeviceEvents(services, writes);
  const nudges = writes
    .filter((write): write is DeviceWrite => write !== undefined && write.nudge)
    .map(({ after }) => ({ tenantId: after.tenantId, deviceId: after.deviceId, version: after.version }));
  if (nudges.length === 0) return;
  try {
    await sendNudges(services.queues, nudges);
  } catch (caught) {
    services.log.warn(`Compliance nudge not sent (reconcile will catch up): ${toError(caught).message}`);
  }
}

/** Relays, in the background, the device events the writes recorded (those that changed status or risk level). */
export function relayDeviceEvents(services: Partial<Pick<Services, 'events'>>, writes: readonly (Pick<DeviceWrite, 'before' | 'after'> | undefined)[]): void {
  const { events } = services;
  if (!events) return;
  const partitions = new Map<string, string>();
  for (const write of writes) {
    if (!write || (write.before.status === write.after.status && write.before.riskLevel === write.after.riskLevel)) continue;
    partitions.set(devicePartitionKey(write.after.tenantId, write.after.deviceId), write.after.tenantId);
  }
  for (const [partitionKey, tenantId] of partitions) events.nudge(tenantId, 'devices', partitionKey);
}

/** Sends the compliance nudge for a device write, after the write. A failed send is logged: reconcile re-nudges. */
import { sendNudges } from '../compliance/nudges.js';
import { toError } from '../errors.js';
import type { Services } from '../services.js';
import type { DeviceWrite } from './deviceRepository.js';

export async function nudgeAfter(services: Pick<Services, 'queues' | 'log'>, writes: readonly (DeviceWrite | undefined)[]): Promise<void> {
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

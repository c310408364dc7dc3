/**
 * A nudge that could not be pushed after every allowed delivery: recorded in `deadLetters` (`{deviceId}|{version}`),
 * counted in the tenant's error report (kind `dead-letter`), and marked on the device (`deadLetteredVersion`) so the
 * console shows it out of sync. The reconcile timer leaves a dead-lettered version alone; the device's next change
 * (a new version) is pushed again.
 */
import type { Clock } from '../base/clock.js';
import { mutateDevice } from '../devices/deviceRepository.js';
import { recordError } from '../errorReports/errorReports.js';
import { redact } from '../errorReports/errorReports.js';
import { toError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { TableStore } from '../storage/index.js';
import type { Nudge } from '../devices/complianceNudges.js';
import type { EventRecorder } from '../events/event.js';
import { eventDevice } from '../events/event.js';

/** The targets named by a push's errors (`intune: ...`, `entra: ...`); Intune when none is named. */
function failedTargets(errors: readonly string[]): ('intune' | 'entra')[] {
  const targets = new Set<'intune' | 'entra'>();
  for (const error of errors) {
    if (error.startsWith('intune:')) targets.add('intune');
    if (error.startsWith('entra:')) targets.add('entra');
  }
  return targets.size > 0 ? [...targets] : ['intune'];
}

export const deadLetterRowKey = (deviceId: string, version: number): string => `${deviceId}|${version}`;

export async function recordDeadLetter(
  deps: { tables: TableStore; clock: Clock; log: Logger; events?: EventRecorder },
  nudge: Nudge,
  details: { reason: string; deliveryCount: number; errors?: readonly string[] },
): Promise<void> {
  const at = deps.clock.now().toISOString();
  const reason = redact(details.reason);
  try {
    await deps.tables.table('deadLetters').upsertEntity(
      {
        partitionKey: nudge.tenantId,
        rowKey: deadLetterRowKey(nudge.deviceId, nudge.version),
        deviceId: nudge.deviceId,
        version: nudge.version,
        reason,
        at,
        deliveryCount: details.deliveryCount,
      },
      'Replace',
    );
    const marked = await mutateDevice(deps.tables, nudge.tenantId, nudge.deviceId, (current) =>
      current.version === nudge.version && current.deadLetteredVersion !== nudge.version
        ? { ...current, deadLetteredVersion: nudge.version }
        : undefined,
      undefined,
      deps.clock.now(),
    );
    // The push failed for good: once per device version (a redelivered dead letter finds the version marked).
    if (marked && deps.events) {
      const device = eventDevice(marked.after);
      await deps.events.record(
        nudge.tenantId,
        failedTargets(details.errors ?? [details.reason]).map((target) => ({
          type: 'device.enforcement_failed' as const,
          occurredAt: at,
          data: { device, target, reason },
        })),
      );
    }
  } catch (caught) {
    deps.log.error(`Could not record the dead letter of device ${nudge.deviceId}: ${toError(caught).message}`);
  }
  await recordError(deps, nudge.tenantId, {
    kind: 'dead-letter',
    message: `Device ${nudge.deviceId} (version ${nudge.version}) could not be updated in Intune/Entra ID after ${details.deliveryCount} attempts: ${reason}`,
  });
}

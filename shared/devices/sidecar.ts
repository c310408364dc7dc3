/**
 * The device-write seam: every write of a device row (`mutateDevice`, `replaceDevice`, `putDevice` in
 * deviceRepository.ts, and discovery's batches in shared/enrollment/sync.ts) sends, in the same entity group
 * transaction as the device row, the actions `sidecarActions` returns for that change. They are rows in the device's
 * own partition of `devices` whose RowKeys start with `~` (docs/DATA-MODEL.md, "Rows beside the device row"), so
 * they are right exactly when the device row is, and no device read sees them (`tenantDevicesFilter` bounds
 * `RowKey lt '~'`).
 *
 * What is composed here:
 * - the index rows of the disconnect sweep and reconcile (`deviceIndexActions`, shared/devices/deviceIndex.ts);
 * - the device's timeline rows (its events with the same ids, pushes, activations, rotations: deviceTimeline.ts);
 * - the delta row of the tenant's device counters when what the device counts as changes (deviceCounters.ts);
 * - the device's event rows (shared/events/deviceEvents.ts): add them with one line in `sidecarActions` below,
 *   `...(after ? deviceEventActions(before, after, at) : []),` (and its import; nothing else). Each function must
 *   be pure, return actions only for the device's own partition, never two actions on one RowKey, and nothing
 *   when the change does not concern it (the agent's hot path then stays one round trip).
 *
 * A device's actions are never split across transactions: callers submit the device action and these together
 * (at most 100 actions: the index adds at most 4).
 */
import type { TransactionAction } from '@azure/data-tables';
import type { Device } from './device.js';
import { deviceIndexActions } from './deviceIndex.js';
import { deviceEventOutboxActions, deviceEvents } from './deviceEvents.js';
import { deviceTimelineActions } from './deviceTimeline.js';
import { deviceCounterActions } from './deviceCounters.js';

/**
 * The extra transaction actions for one device-row change: `before` is the row as read (undefined on create),
 * `after` the row about to be written (undefined on delete), `at` the time of the write.
 */
export function sidecarActions(before: Device | undefined, after: Device | undefined, at: Date): TransactionAction[] {
  const events = after ? deviceEvents(before, after, at) : [];
  return [
    ...deviceIndexActions(before, after),
    ...(after ? deviceEventOutboxActions(after, events) : []),
    ...deviceTimelineActions(before, after, at, events),
    ...deviceCounterActions(before, after, at),
  ];
}

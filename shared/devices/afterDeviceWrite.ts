/**
 * After a device write: sends the compliance nudge (a failed send is logged: reconcile re-nudges), and when the write
 * changed the device's status or risk level (so its event rows were written with it, shared/events/deviceEvents.ts)
 * relays those events into the feed in the background, so webhooks and feed readers see them at once (the push
 * relays them too, for a process that stops first).
 */
import { sendNudges } from './complianceNudges.js';
import { toError } from '../base/errors.js';
import type { CorePorts } from '../ports.js';
import type { EventRuntime } from '../events/runtime.js';
import { devicePartitionKey } from './device.js';
import type { DeviceWrite } from './deviceRepository.js';

/** Without `events` (a process that relays nothing itself) the push relays the events later. */
type RelayDeps = { readonly events?: Pick<EventRuntime, 'nudge'> };

export type NudgeAfterDeps = Pick<CorePorts, 'queues' | 'log'> & RelayDeps;

export async function nudgeAfter(deps: NudgeAfterDeps, writes: readonly (DeviceWrite | undefined)[]): Promise<void> {
  relayDeviceEvents(deps, writes);
  const nudges = writes
    .filter((write): write is DeviceWrite => write !== undefined && write.nudge)
    .map(({ after }) => ({ tenantId: after.tenantId, deviceId: after.deviceId, version: after.version }));
  if (nudges.length === 0) return;
  try {
    await sendNudges(deps.queues, nudges);
  } catch (caught) {
    deps.log.warn(`Compliance nudge not sent (reconcile will catch up): ${toError(caught).message}`);
  }
}

/** Relays, in the background, the device events the writes recorded (those that changed status or risk level). */
export function relayDeviceEvents(deps: RelayDeps, writes: readonly (Pick<DeviceWrite, 'before' | 'after'> | undefined)[]): void {
  const { events } = deps;
  if (!events) return;
  const partitions = new Map<string, string>();
  for (const write of writes) {
    if (!write || (write.before.status === write.after.status && write.before.riskLevel === write.after.riskLevel)) continue;
    partitions.set(devicePartitionKey(write.after.tenantId, write.after.deviceId), write.after.tenantId);
  }
  for (const [partitionKey, tenantId] of partitions) events.nudge(tenantId, 'devices', partitionKey);
}

/**
 * Relay nudges held back until `flush`, so the writes of one request (a report's threat batch, then its device write)
 * are relayed by one run of the relay (one feed write, one hand-over to subscribers) rather than one run each. The
 * events are in storage either way; `flush` belongs in a `finally`.
 */
export function holdRelayNudges<E extends Pick<EventRuntime, 'nudge'>>(events: E): { readonly events: E; flush(): void } {
  type Nudge = Parameters<EventRuntime['nudge']>;
  const held = new Map<string, Nudge>();
  const hold = (...[tenantId, table, partitionKey, written]: Nudge): void => {
    const key = `${tenantId}|${table}|${partitionKey}`;
    const before = held.get(key);
    // Two writes of one partition: their rows together, carried only if both carried theirs from exclusive writes.
    const earlier = before ? before[3] : { rows: [], exclusive: true };
    const both = earlier && written ? { rows: [...earlier.rows, ...written.rows], exclusive: earlier.exclusive && written.exclusive } : undefined;
    held.set(key, [tenantId, table, partitionKey, both]);
  };
  return {
    events: { ...events, nudge: hold },
    flush: () => {
      // In one synchronous pass: the relay takes every partition nudged before its run starts.
      for (const nudge of held.values()) events.nudge(...nudge);
      held.clear();
    },
  };
}


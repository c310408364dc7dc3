/**
 * The events a change of a device row records (`device.discovered`, `device.status_changed`, `device.risk_changed`),
 * as outbox rows written in the same entity group transaction as the device row (docs/DATA-MODEL.md, "Rows beside
 * the device row"). Pure: the device-write seam (shared/devices/sidecar.ts) calls it with the row before and after.
 */
import type { TransactionAction } from '@azure/data-tables';
import { devicePartitionKey, type Device } from './device.js';
import { eventDevice, toEvent, type EventDraft, type ServiceEvent } from '../events/event.js';
import { outboxEntity } from '../events/outboxRow.js';

/** The event drafts for a (before, after) change of one device row: none when neither status nor risk changed. */
export function deviceEventDrafts(before: Device | undefined, after: Device, at: Date): EventDraft[] {
  const occurredAt = at.toISOString();
  const device = eventDevice(after);
  if (before === undefined) {
    return [{ type: 'device.discovered', occurredAt, data: { device, previous: { status: after.status, riskLevel: after.riskLevel } } }];
  }
  const previous = { status: before.status, riskLevel: before.riskLevel };
  const drafts: EventDraft[] = [];
  if (before.status !== after.status) drafts.push({ type: 'device.status_changed', occurredAt, data: { device, previous } });
  if (before.riskLevel !== after.riskLevel) drafts.push({ type: 'device.risk_changed', occurredAt, data: { device, previous } });
  return drafts;
}

/** The events of a change, with ids. */
export function deviceEvents(before: Device | undefined, after: Device, at: Date): ServiceEvent[] {
  return deviceEventDrafts(before, after, at).map((draft) => toEvent(after.tenantId, draft));
}

/**
 * The transaction actions that record the change's events: one `create` of an outbox row (`~e|{eventId}`) per event,
 * in the device's partition. A create, so a retried transaction that already committed cannot write an event twice.
 */
export function deviceEventActions(before: Device | undefined, after: Device, at: Date): TransactionAction[] {
  const partitionKey = devicePartitionKey(after.tenantId, after.deviceId);
  return deviceEvents(before, after, at).map((event): TransactionAction => ['create', outboxEntity('devices', partitionKey, event)]);
}

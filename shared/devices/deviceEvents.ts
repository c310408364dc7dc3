/**
 * The events a change of a device row records (`device.discovered`, `device.status_changed`, `device.risk_changed`),
 * as outbox rows written in the same entity group transaction as the device row (docs/DATA-MODEL.md, "Rows beside
 * the device row"). Pure: the device-write seam (shared/devices/sidecar.ts) calls it with the row before and after.
 */
import type { TransactionAction } from '@azure/data-tables';
import { devicePartitionKey, storedOverride, type Device } from './device.js';
import { eventDevice, toEvent, type EventDraft, type ServiceEvent } from '../events/event.js';
import { outboxEntity } from '../events/outboxRow.js';

/** `device.override_started` / `_ended` when the row's override begins, ends or is replaced (one per override). */
function overrideDrafts(before: Device, after: Device, occurredAt: string): EventDraft[] {
  const was = storedOverride(before);
  const is = storedOverride(after);
  if (was?.createdAt === is?.createdAt) return [];
  const device = eventDevice(after);
  const summary = (override: NonNullable<typeof was>) => ({
    riskLevel: override.riskLevel,
    reason: override.reason,
    expiresAt: override.expiresAt,
    createdBy: override.createdBy,
  });
  const drafts: EventDraft[] = [];
  if (was) {
    const endedBy = is ? is.createdBy : (after.overrideEndedBy ?? 'expiry');
    drafts.push({ type: 'device.override_ended', occurredAt, data: { device, override: summary(was), endedBy } });
  }
  if (is) drafts.push({ type: 'device.override_started', occurredAt, data: { device, override: summary(is) } });
  return drafts;
}

/** The event drafts for a (before, after) change of one device row: none when neither status, risk nor override changed. */
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
  drafts.push(...overrideDrafts(before, after, occurredAt));
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
  return deviceEventOutboxActions(after, deviceEvents(before, after, at));
}

/** The outbox rows of events already made for a change (the seam makes them once, for the outbox and the timeline). */
export function deviceEventOutboxActions(after: Device, events: readonly ServiceEvent[]): TransactionAction[] {
  const partitionKey = devicePartitionKey(after.tenantId, after.deviceId);
  return events.map((event): TransactionAction => ['create', outboxEntity('devices', partitionKey, event)]);
}

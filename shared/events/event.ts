/**
 * The event model (CONTRACT.md, "Events and webhooks"): every change the service makes to a tenant's devices, threats,
 * settings and health is an event `{ id, type, occurredAt, tenantId, data }`. Events are what the feed
 * (`GET /api/v1/events`), webhooks and the alert mail are built from, so they never disagree.
 *
 * The schemas here are the single source of the event types and of the OpenAPI document. How events are stored and
 * published is in shared/events/runtime.ts and docs/DATA-MODEL.md ("Events").
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { deviceStatusSchema, riskLevelSchema, threatCategories, classificationSchema } from '../domain/index.js';

export const eventTypes = [
  'threat.detected',
  'threat.resolved',
  'device.discovered',
  'device.status_changed',
  'device.risk_changed',
  'device.enforcement_failed',
  'audit.recorded',
  'connector.health_changed',
  'device.override_started',
  'device.override_ended',
  'device.attestation_failed',
] as const;
export const eventTypeSchema = z.enum(eventTypes);
export type EventType = z.infer<typeof eventTypeSchema>;

/** The device an event is about, as it is after the change. */
export const eventDeviceSchema = z
  .object({
    deviceId: z.string(),
    intuneDeviceId: z.string(),
    deviceName: z.string(),
    userPrincipalName: z.string(),
    platform: z.enum(['ios', 'android']),
    status: deviceStatusSchema,
    riskLevel: riskLevelSchema,
  });
export type EventDevice = z.infer<typeof eventDeviceSchema>;

export const eventThreatSchema = z
  .object({
    id: z.string(),
    classification: classificationSchema,
    category: z.enum(threatCategories),
    /** The risk level under the tenant's classification policy when the event occurred. */
    riskLevel: riskLevelSchema,
    name: z.string().optional(),
    packageName: z.string().optional(),
    detectedAt: z.string(),
    resolvedAt: z.string().optional(),
  });
export type EventThreat = z.infer<typeof eventThreatSchema>;

export const threatEventDataSchema = z.object({ device: eventDeviceSchema, threat: eventThreatSchema });
export const deviceChangeDataSchema = z.object({
  device: eventDeviceSchema,
  /** The device before the change; for `device.discovered`, the same as `device`. */
  previous: z.object({ status: deviceStatusSchema, riskLevel: riskLevelSchema }),
});
export const enforcementFailedDataSchema = z.object({
  device: eventDeviceSchema,
  target: z.enum(['intune', 'entra']),
  reason: z.string(),
});
export const auditRecordedDataSchema = z.object({
  actor: z.object({ id: z.string(), name: z.string() }),
  action: z.string(),
  target: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});
export const healthStatusSchema = z.enum(['healthy', 'degraded', 'unhealthy']);
export const healthChangedDataSchema = z.object({
  status: healthStatusSchema,
  previous: healthStatusSchema,
  checks: z.array(
    z.looseObject({ name: z.string(), status: healthStatusSchema, detail: z.string(), checkedAt: z.string() }),
  ),
});

export const eventOverrideSchema = z.object({
  riskLevel: riskLevelSchema,
  reason: z.string(),
  expiresAt: z.string(),
  createdBy: z.string(),
});
export const overrideEventDataSchema = z.object({
  device: eventDeviceSchema,
  override: eventOverrideSchema,
  /** How an override ended: `expiry`, or the name of the user who ended (or replaced) it. */
  endedBy: z.string().optional(),
});

/** An activation refused because the device's attestation did not verify (`agentTrust.attestation: required`). */
export const attestationFailedDataSchema = z.object({
  device: eventDeviceSchema,
  format: z.enum(['android-key', 'apple-app-attest', 'none']).describe('The attestation format sent (`none`: no attestation).'),
  reason: z.string(),
});

const envelope = {
  /** Unique and stable: a redelivery or a re-read of the feed carries the same id. */
  id: z.string(),
  occurredAt: z.string(),
  tenantId: z.string(),
};

export const serviceEventSchema = z
  .discriminatedUnion('type', [
    z.object({ ...envelope, type: z.literal('threat.detected'), data: threatEventDataSchema }),
    z.object({ ...envelope, type: z.literal('threat.resolved'), data: threatEventDataSchema }),
    z.object({ ...envelope, type: z.literal('device.discovered'), data: deviceChangeDataSchema }),
    z.object({ ...envelope, type: z.literal('device.status_changed'), data: deviceChangeDataSchema }),
    z.object({ ...envelope, type: z.literal('device.risk_changed'), data: deviceChangeDataSchema }),
    z.object({ ...envelope, type: z.literal('device.enforcement_failed'), data: enforcementFailedDataSchema }),
    z.object({ ...envelope, type: z.literal('audit.recorded'), data: auditRecordedDataSchema }),
    z.object({ ...envelope, type: z.literal('connector.health_changed'), data: healthChangedDataSchema }),
    z.object({ ...envelope, type: z.literal('device.override_started'), data: overrideEventDataSchema }),
    z.object({ ...envelope, type: z.literal('device.override_ended'), data: overrideEventDataSchema }),
    z.object({ ...envelope, type: z.literal('device.attestation_failed'), data: attestationFailedDataSchema }),
  ]);
export type ServiceEvent = z.infer<typeof serviceEventSchema>;
export type EventOf<T extends EventType> = Extract<ServiceEvent, { type: T }>;
/** An event before it has an id and a tenant: what a change produces. */
export type EventDraft = { [T in EventType]: { type: T; occurredAt: string; data: EventOf<T>['data'] } }[EventType];

let minted = 0;

/**
 * A new event id: the time it occurred (13 digits of ms), a per-process counter (8 hex digits: ids minted together
 * keep their order) and 6 random bytes, so ids sort by time (retention deletes the dedupe rows by a RowKey range),
 * an outbox range reads in the order events were made, and ids never collide.
 */
export function newEventId(occurredAt: Date | string, random: string = randomBytes(6).toString('hex')): string {
  const ms = new Date(occurredAt).getTime();
  minted = (minted + 1) % 0x1_0000_0000;
  return `evt_${String(Math.max(0, ms)).padStart(13, '0')}${minted.toString(16).padStart(8, '0')}${random}`;
}

/** The milliseconds an event id was minted for (NaN when it is not one of ours). */
export function eventIdTime(id: string): number {
  const match = /^evt_(\d{13})/.exec(id);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
}

export function toEvent(tenantId: string, draft: EventDraft, id: string = newEventId(draft.occurredAt)): ServiceEvent {
  return serviceEventSchema.parse({ id, tenantId, type: draft.type, occurredAt: draft.occurredAt, data: draft.data });
}

/** The `device` summary of an event, from anything shaped like a device row. */
export function eventDevice(device: {
  deviceId: string;
  intuneDeviceId: string;
  deviceName: string;
  userPrincipalName: string;
  platform: 'ios' | 'android';
  status: EventDevice['status'];
  riskLevel: EventDevice['riskLevel'];
}): EventDevice {
  return {
    deviceId: device.deviceId,
    intuneDeviceId: device.intuneDeviceId,
    deviceName: device.deviceName,
    userPrincipalName: device.userPrincipalName,
    platform: device.platform,
    status: device.status,
    riskLevel: device.riskLevel,
  };
}

/**
 * An event as the feed holds it: the event and its position in the tenant's feed (positions sort in publication
 * order and never repeat).
 */
export interface PublishedEvent {
  readonly position: string;
  readonly event: ServiceEvent;
}

/**
 * The port through which published events reach other capabilities (webhooks register one that fans events out to
 * deliveries). Its contract:
 *
 * - **At least once.** `deliver` is called after the events are in the tenant's feed. The relay records how far each
 *   subscriber got (by name) only after `deliver` resolves; if it throws, or the process stops first, the same
 *   events are delivered again later (by the next relay run or the safety net). Deduplicate by `event.id`.
 * - **In order per tenant.** One call carries one tenant's events in feed order, and a tenant's calls never overlap
 *   within a process; the next call starts after the last position acknowledged. Across processes two relays may
 *   deliver the same batch twice (at least once), never out of order within a batch.
 * - **Stable ids.** Every event carries its `id`, the same on every delivery and in the feed.
 * - **Quick.** `deliver` should only hand events on (e.g. enqueue deliveries), not wait on slow endpoints: it runs on
 *   the relay, which the agent API's writes nudge.
 */
export interface EventSubscriber {
  /** Stable name; the relay keeps this subscriber's progress under it (letters, digits, `-`). */
  readonly name: string;
  deliver(tenantId: string, events: readonly PublishedEvent[]): Promise<void>;
}

/**
 * Records events that are not written together with a device or threat row (`device.enforcement_failed`,
 * `audit.recorded`, `connector.health_changed`): durably in the tenant's outbox, then published. Resolves once the
 * event is stored (publication follows without losing it).
 */
export interface EventRecorder {
  record(tenantId: string, drafts: readonly EventDraft[]): Promise<readonly ServiceEvent[]>;
}

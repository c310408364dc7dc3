/**
 * A device's timeline (docs/DATA-MODEL.md, "Device timeline"): one row per thing that happened to the device, kept in
 * the device's own partition and written in the same transaction as the change it records, so the console reads a
 * device's history newest first with one bounded range query per table instead of filtering the tenant's feed.
 *
 * - `devices`: `~t|{deviceId}|{13-digit inverted ms}|{random}`: the device's events (same ids as the feed), pushes to
 *   Intune and Entra ID (value told, answer), activations and credential rotations; written through the device-write
 *   seam (sidecar.ts).
 * - `threats`: the same keys for the threat events, written in the threat batch of the report (threatStore.ts).
 *
 * Fields: `at`, `kind`, `summary` (one line in words), `eventId?`, `data` (JSON). Other writers (overrides,
 * attestation verdicts) add rows of their own `kind` with `timelineAction`.
 */
import { randomBytes } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import type { ServiceEvent } from '../events/event.js';
import { devicePartitionKey, type Device } from './device.js';

export const timelineKinds = ['event', 'push', 'activation', 'credential-rotation', 'override', 'attestation'] as const;
export type TimelineKind = (typeof timelineKinds)[number];

const maxMs = 9_999_999_999_999;

export function timelinePrefix(deviceId: string): string {
  return `~t|${deviceId}|`;
}

/** RowKeys sort newest first: the time inverted, then a random tail (two rows of one millisecond both stay). */
export function timelineRowKey(deviceId: string, at: Date): string {
  const inverted = String(maxMs - Math.max(0, Math.min(maxMs, at.getTime()))).padStart(13, '0');
  return `${timelinePrefix(deviceId)}${inverted}|${randomBytes(4).toString('hex')}`;
}

export interface TimelineEntry {
  readonly at: string;
  readonly kind: TimelineKind;
  readonly summary: string;
  readonly eventId?: string;
  readonly data: unknown;
}

/** The `create` of one timeline row in the device's partition of `table`. */
export function timelineAction(tenantId: string, deviceId: string, entry: TimelineEntry): TransactionAction {
  return [
    'create',
    {
      partitionKey: devicePartitionKey(tenantId, deviceId),
      rowKey: timelineRowKey(deviceId, new Date(entry.at)),
      at: entry.at,
      kind: entry.kind,
      summary: entry.summary,
      ...(entry.eventId ? { eventId: entry.eventId } : {}),
      // Table Storage strings hold 64 KiB: a larger payload keeps its summary only.
      data: truncated(JSON.stringify(entry.data ?? null)),
    },
  ];
}

function truncated(text: string): string {
  return text.length > 30_000 ? JSON.stringify({ truncated: true }) : text;
}

/** One line in words for an event about a device. */
export function eventSummary(event: ServiceEvent): string {
  switch (event.type) {
    case 'threat.detected':
      return `Threat detected: ${event.data.threat.name ?? event.data.threat.classification} (${event.data.threat.classification})`;
    case 'threat.resolved':
      return `Threat resolved: ${event.data.threat.name ?? event.data.threat.classification} (${event.data.threat.classification})`;
    case 'device.discovered':
      return `Discovered through the enrollment groups (${event.data.device.status})`;
    case 'device.status_changed':
      return `Status changed from ${event.data.previous.status} to ${event.data.device.status}`;
    case 'device.risk_changed':
      return `Risk level changed from ${event.data.previous.riskLevel} to ${event.data.device.riskLevel}`;
    case 'device.enforcement_failed':
      return `A push to ${event.data.target === 'intune' ? 'Intune' : 'Entra ID'} failed: ${event.data.reason}`;
    case 'device.override_started':
      return `Risk override to ${event.data.override.riskLevel} by ${event.data.override.createdBy} until ${event.data.override.expiresAt}: ${event.data.override.reason}`;
    case 'device.override_ended':
      return `Risk override to ${event.data.override.riskLevel} ended (${event.data.endedBy})`;
    case 'device.attestation_failed':
      return `Activation refused: attestation (${event.data.format}) did not verify: ${event.data.reason}`;
    default:
      return event.type;
  }
}

/** Timeline rows for events recorded with a change (same ids as the feed). */
export function eventTimelineActions(tenantId: string, deviceId: string, events: readonly ServiceEvent[]): TransactionAction[] {
  return events.map((event) =>
    timelineAction(tenantId, deviceId, { at: event.occurredAt, kind: 'event', summary: eventSummary(event), eventId: event.id, data: { type: event.type, ...event.data } }),
  );
}

function pushEntry(target: 'Intune' | 'Entra ID', value: string | undefined, result: string | undefined, version: number | undefined, at: string): TimelineEntry {
  const told = value === undefined || value === '' ? 'nothing' : `"${value}"`;
  const answer = result === 'sent' ? 'accepted' : result === 'skipped' ? 'skipped (already told)' : result === 'device-gone' ? 'the device is gone' : result === 'error' ? 'failed' : (result ?? 'unknown');
  return { at, kind: 'push', summary: `Told ${target} ${told}: ${answer}`, data: { target: target === 'Intune' ? 'intune' : 'entra', value: value ?? null, result: result ?? null, version: version ?? null } };
}

function activationSummary(device: Device): string {
  const binding = device.keyThumbprint ? 'key-bound credential (DPoP)' : 'bearer credential';
  const verdict = device.attestationStatus ?? 'not-checked';
  const reason = device.attestationReason ? `: ${device.attestationReason}` : '';
  return `Agent activated (app ${device.appVersion ?? 'unknown version'}; ${binding}; attestation ${verdict}${reason})`;
}

function activationData(device: Device): Record<string, unknown> {
  return {
    appVersion: device.appVersion ?? null,
    osVersion: device.osVersion,
    keyBound: device.keyThumbprint !== undefined,
    attestation: { format: device.attestationFormat ?? null, status: device.attestationStatus ?? 'not-checked', reason: device.attestationReason ?? null },
  };
}

/**
 * The timeline rows a device-row change calls for besides its events: a push recorded (Intune or Entra ID), an
 * activation, a silent credential rotation. Pure; nothing for most writes.
 */
export function deviceTimelineActions(before: Device | undefined, after: Device | undefined, at: Date, events: readonly ServiceEvent[]): TransactionAction[] {
  if (!after) return [];
  const { tenantId, deviceId } = after;
  const actions = eventTimelineActions(tenantId, deviceId, events);
  if (after.intuneAt !== undefined && after.intuneAt !== before?.intuneAt) {
    actions.push(timelineAction(tenantId, deviceId, pushEntry('Intune', after.intuneState, after.intuneResult, after.intuneVersion, after.intuneAt)));
  }
  if (after.entraAt !== undefined && after.entraAt !== before?.entraAt) {
    actions.push(timelineAction(tenantId, deviceId, pushEntry('Entra ID', after.entraValue, after.entraResult, after.entraVersion, after.entraAt)));
  }
  if (after.activatedAt !== undefined && after.activatedAt !== before?.activatedAt) {
    actions.push(timelineAction(tenantId, deviceId, { at: after.activatedAt, kind: 'activation', summary: activationSummary(after), data: activationData(after) }));
  } else if (after.credentialRotationNonce !== undefined && after.credentialRotationNonce !== before?.credentialRotationNonce) {
    actions.push(
      timelineAction(tenantId, deviceId, {
        at: at.toISOString(),
        kind: 'credential-rotation',
        summary: `Device credential renewed (valid until ${after.credentialExpiresAt ?? 'unknown'})`,
        data: { expiresAt: after.credentialExpiresAt ?? null },
      }),
    );
  }
  return actions;
}

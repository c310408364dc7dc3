/**
 * The events of a threat report: `threat.detected` for each threat the report opens (new, or back after being
 * resolved) and `threat.resolved` for each it resolves. A re-grade changes no threat and records no threat event.
 * Written as `e|` outbox rows in the report's threat batch (shared/devices/threatStore.ts).
 */
import { storedOverride, type Device } from './device.js';
import {
  classificationCatalog,
  gradeDevice,
  threatRiskLevel,
  type AppRuleLevels,
  type ClassificationPolicy,
  type StoredThreat,
} from '../domain/index.js';
import { eventDevice, toEvent, type EventThreat, type ServiceEvent } from '../events/event.js';

const categoryOf = new Map(classificationCatalog.map((entry) => [entry.classification, entry.category]));

export function eventThreat(threat: StoredThreat, policy: ClassificationPolicy, rules?: AppRuleLevels): EventThreat {
  return {
    id: threat.threatId,
    classification: threat.classification,
    category: categoryOf.get(threat.classification) ?? 'application',
    riskLevel: threatRiskLevel(threat, policy, rules),
    ...(threat.name === undefined ? {} : { name: threat.name }),
    ...(threat.packageName === undefined ? {} : { packageName: threat.packageName }),
    detectedAt: threat.detectedAt,
    ...(threat.resolvedAt === undefined ? {} : { resolvedAt: threat.resolvedAt }),
  };
}

export interface ThreatChange {
  readonly opened: readonly StoredThreat[];
  readonly resolved: readonly StoredThreat[];
  readonly open: readonly StoredThreat[];
}

/**
 * The events of a report's threat changes. `device` is the device as the report found it; the summary carries the
 * risk level the open threats give it, and `active` for a device the report brings back from `disconnected`.
 */
export function threatEvents(device: Device, policy: ClassificationPolicy, change: ThreatChange, at: Date, rules?: AppRuleLevels): ServiceEvent[] {
  const summary = eventDevice({
    ...device,
    status: device.status === 'disconnected' ? 'active' : device.status,
    riskLevel: gradeDevice({ openThreats: change.open, policy, rules, override: storedOverride(device), now: at }).riskLevel,
  });
  const occurredAt = at.toISOString();
  return [
    ...change.opened.map((threat) =>
      toEvent(device.tenantId, { type: 'threat.detected', occurredAt, data: { device: summary, threat: eventThreat(threat, policy, rules) } }),
    ),
    ...change.resolved.map((threat) =>
      toEvent(device.tenantId, { type: 'threat.resolved', occurredAt, data: { device: summary, threat: eventThreat(threat, policy, rules) } }),
    ),
  ];
}

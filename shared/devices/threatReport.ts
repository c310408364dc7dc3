/**
 * A threat report: the complete set of threats active on the device now. Applied only if its sequence is above
 * the last applied one and its report id is new (see threatStore.ts for how concurrent reports are ordered);
 * then the device's risk is recomputed under the tenant's policy, the device row updated (version rule), the
 * compliance nudge sent; newly opened threats are recorded as `threat.detected` events (the mail timer's alerts come
 * from those). The threat events and the device events of one report go to the relay together, after both writes.
 * What a report costs in storage requests: docs/SCALE.md, "Threat reports through the whole stack".
 */
import { deviceRiskLevel, type RiskLevel } from '../domain/index.js';
import { withThreatLevel } from './device.js';
import type { CorePorts } from '../ports.js';
import type { DevicePrincipal } from './deviceAuth.js';
import { checkInIsFresh, checkInOnly, checkInWriteIntervalMs, credentialRevoked, writeCheckIn, type CheckInDeps } from './heartbeat.js';
import type { ThreatReportBody } from './schemas.js';
import { applyThreatReport } from './threatStore.js';
import { threatStateKey } from './threatCache.js';
import { devicePartitionKey } from './device.js';
import { threatEvents } from './threatEvents.js';
import { holdRelayNudges } from './afterDeviceWrite.js';
import { readDevice } from './deviceRepository.js';

export interface ThreatReportResult {
  readonly deviceId: string;
  readonly riskLevel: RiskLevel;
  readonly applied: boolean;
}

/** The report's observation time, never later than the service's clock (history times come from it). */
function observedAt(report: ThreatReportBody, now: Date): string {
  const observed = new Date(report.observedAt);
  return (observed.getTime() < now.getTime() ? observed : now).toISOString();
}

type ThreatReportDeps = CheckInDeps & Pick<CorePorts, 'clock'>;

export async function receiveThreatReport(
  services: ThreatReportDeps,
  principal: DevicePrincipal,
  report: ThreatReportBody,
): Promise<ThreatReportResult> {
  const { tenantId, deviceId } = principal;
  const key = threatStateKey(tenantId, deviceId);
  return services.devices.lock(key, async () => {
    // The threat events and the device events of the report go to the feed in one relay run.
    const relay = holdRelayNudges(services.events);
    try {
      return await applyReport({ ...services, events: relay.events }, principal, report, key);
    } finally {
      relay.flush();
    }
  });
}

async function applyReport(services: ThreatReportDeps, principal: DevicePrincipal, report: ThreatReportBody, key: string): Promise<ThreatReportResult> {
  const { tenantId, deviceId } = principal;
  // The row the last report left, unless the credential changed since (a re-activation or a rotation wrote a newer row).
  const reported = services.devices.reportedDevices.latest(key);
  const start = reported && reported.credentialHash === principal.device.credentialHash ? reported : principal.device;
  const clockNow = services.clock.now();
  const now = clockNow.toISOString();
  const outcome = await applyThreatReport(services.tables, services.devices.threatStates, {
    tenantId,
    deviceId,
    session: principal.session,
    // Reports are tied to the credential session (kept across silent rotations), not to one credential.
    credentialHash: principal.sessionHash,
    reportId: report.reportId,
    sequence: report.sequence,
    threats: report.threats,
    observedAt: observedAt(report, clockNow),
    now,
    events: {
      events: (change) => threatEvents(start, principal.tenant.policy, change, clockNow, principal.tenant.appRules),
      prepare: () => services.events.prepare(tenantId, 'threats', devicePartitionKey(tenantId, deviceId)),
    },
  });
  if (outcome.applied && outcome.events > 0) services.events.nudge(tenantId, 'threats', devicePartitionKey(tenantId, deviceId), outcome.outbox);

  if (!outcome.applied && outcome.revoked) throw credentialRevoked();
  if (!outcome.applied) {
    // A stale or repeated report changes no threat, sequence or grade; it still shows the agent is alive, so a
    // disconnected device becomes active (check-ins being coalesced, an active one that checked in moments ago
    // is not written at all).
    const write = await writeCheckIn(services, principal, now, undefined, start);
    services.devices.reportedDevices.set(key, write?.after ?? start);
    return { deviceId, riskLevel: (write?.after ?? start).riskLevel, applied: false };
  }

  const { policy, appRules } = principal.tenant;
  // The threats' half of the grade; the device's override (if any) decides the effective level (one precedence).
  const threatLevel = deviceRiskLevel(outcome.open, policy, appRules);
  const pushed = services.devices.pushNudged;
  // A new grade is written; after a push of this process's last write, from the row as it is now.
  const fresh =
    pushed.has(key) && start.threatRiskLevel !== threatLevel ? await readDevice(services.tables, tenantId, deviceId, services.devices.parsedDevices) : undefined;
  const write = await writeCheckIn(services, principal, now, (current, base) => {
    // A later report already recorded its result: only the check-in is ours to write.
    if (current.lastSequence >= outcome.lastSequence) return checkInOnly(current, base, now, checkInWriteIntervalMs(services));
    const next = withThreatLevel({ ...base, lastSequence: outcome.lastSequence, lastReportAt: now, hasReport: true }, threatLevel, clockNow);
    // Same grade, same status, checked in moments ago: the `s|` row holds the sequence and the count of open
    // threats. The write is skipped only when no earlier report can still overwrite the row with an older grade:
    // the row records a sequence from which on every report went through this process (under its per-device lock).
    const unchanged =
      current.lastSequence >= outcome.ownSince &&
      current.hasReport &&
      current.status === next.status &&
      current.riskLevel === next.riskLevel &&
      current.threatRiskLevel === next.threatRiskLevel;
    return unchanged && checkInIsFresh(current, now, checkInWriteIntervalMs(services)) ? undefined : next;
  }, fresh ?? start);
  const device = write?.after ?? fresh ?? start;
  services.devices.reportedDevices.set(key, device);
  if (write?.nudge) pushed.set(key, true);
  else if (write || fresh) pushed.delete(key);
  // A change of grade or status recorded device events with the row: relayed with the threat events (above).

  // Alerts for newly opened threats are queued from the published `threat.detected` events (notifications.ts).
  return { deviceId, riskLevel: write ? write.after.riskLevel : withThreatLevel(fresh ?? start, threatLevel, clockNow).riskLevel, applied: true };
}

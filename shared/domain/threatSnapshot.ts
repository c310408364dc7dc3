import type { Classification } from './classifications.js';

/** A threat as stored for a device. Open while `resolvedAt` is absent. Times are ISO 8601 strings. */
export interface StoredThreat {
  threatId: string;
  classification: Classification;
  name?: string;
  packageName?: string;
  /** When the agent says it detected the threat. */
  detectedAt: string;
  /** When the service first saw it in a report (kept across resolve and reopen). */
  firstSeenAt: string;
  /** When the service last saw it in a report. */
  lastSeenAt: string;
  resolvedAt?: string;
}

/** A threat as the agent reports it in a threat report. */
export interface ReportedThreat {
  id: string;
  classification: Classification;
  name?: string;
  packageName?: string;
  detectedAt: string;
}

export interface SnapshotResult {
  /** Every stored row after the snapshot: the prior rows in their order, then newly seen threats in report order. */
  threats: StoredThreat[];
  /** Threats that were not open before and are now (new, or reopened after being resolved). */
  opened: StoredThreat[];
  /** Threats that were open and are absent from the snapshot, now resolved. */
  resolved: StoredThreat[];
  /** Every row whose stored form changed (to be written). */
  changed: StoredThreat[];
}

export function isOpen(threat: StoredThreat): boolean {
  return threat.resolvedAt === undefined;
}

/** The open threats among stored rows. */
export function activeThreats(threats: readonly StoredThreat[]): StoredThreat[] {
  return threats.filter(isOpen);
}

function sameThreat(a: StoredThreat, b: StoredThreat): boolean {
  return (
    a.threatId === b.threatId &&
    a.classification === b.classification &&
    a.name === b.name &&
    a.packageName === b.packageName &&
    a.detectedAt === b.detectedAt &&
    a.firstSeenAt === b.firstSeenAt &&
    a.lastSeenAt === b.lastSeenAt &&
    a.resolvedAt === b.resolvedAt
  );
}

function seen(reported: ReportedThreat, firstSeenAt: string, observedAt: string): StoredThreat {
  const row: StoredThreat = {
    threatId: reported.id,
    classification: reported.classification,
    detectedAt: reported.detectedAt,
    firstSeenAt,
    lastSeenAt: observedAt,
  };
  if (reported.name !== undefined) row.name = reported.name;
  if (reported.packageName !== undefined) row.packageName = reported.packageName;
  return row;
}

/**
 * Applies a complete snapshot of the threats active on a device now.
 * A reported threat that was not open is opened (a resolved one is reopened, keeping its first-seen time);
 * an open one still reported takes the reported details and `lastSeenAt = observedAt`;
 * an open one missing from the snapshot is resolved at `observedAt`. An empty snapshot resolves every open threat.
 * Inputs are not modified. When a threat id is reported twice, the last entry wins.
 */
export function applySnapshot(
  stored: readonly StoredThreat[],
  reported: readonly ReportedThreat[],
  observedAt: string,
): SnapshotResult {
  const reportedById = new Map<string, ReportedThreat>();
  for (const threat of reported) reportedById.set(threat.id, threat);

  const threats: StoredThreat[] = [];
  const opened: StoredThreat[] = [];
  const resolved: StoredThreat[] = [];
  const changed: StoredThreat[] = [];
  const storedIds = new Set<string>();

  for (const before of stored) {
    storedIds.add(before.threatId);
    const report = reportedById.get(before.threatId);
    let after: StoredThreat;
    if (report !== undefined) {
      after = seen(report, before.firstSeenAt, observedAt);
      if (!isOpen(before)) opened.push(after);
    } else if (isOpen(before)) {
      after = { ...before, resolvedAt: observedAt };
      resolved.push(after);
    } else {
      after = { ...before };
    }
    threats.push(after);
    if (!sameThreat(before, after)) changed.push(after);
  }

  for (const report of reportedById.values()) {
    if (storedIds.has(report.id)) continue;
    const row = seen(report, observedAt, observedAt);
    threats.push(row);
    opened.push(row);
    changed.push(row);
  }

  return { threats, opened, resolved, changed };
}

/**
 * Re-grading devices after a tenant changes the level of threat classifications: the devices with an open threat of
 * a changed classification are found through the threat index (`threats`, RowKey range `c|{classification}|`), each
 * one's risk is recomputed from its open threats under the new policy, and only those whose risk changed are written
 * and nudged. The preview runs the same computation and writes nothing. A re-grade job runs slice by slice through
 * the `device-slices` queue (shared/slices/sliceJobs.ts).
 */
import { odata } from '@azure/data-tables';
import { queueAlerts, type PendingAlert } from '../alerts/pendingAlerts.js';
import { statusOf, toError } from '../base/errors.js';
import { mapLimit } from '../base/mapLimit.js';
import { sendNudges } from '../devices/complianceNudges.js';
import { credentialedDeviceBuckets, withVersionRule, type Device } from '../devices/device.js';
import { readDevice, replaceDevice } from '../devices/deviceRepository.js';
import { listDeviceThreats } from '../devices/threatRows.js';
import {
  classificationCatalog,
  compareRisk,
  deviceRiskLevel,
  isOpen,
  policyFrom,
  type Classification,
  type ClassificationOverrides,
  type ClassificationPolicy,
  type RiskLevel,
  type StoredThreat,
} from '../domain/index.js';
import type { CorePorts } from '../ports.js';
import { runSlice, sliceBuckets, type SliceMessage, type SliceOutcome } from '../slices/sliceJobs.js';
import { ConcurrencyExhausted, type TableStore } from '../storage/index.js';
import { readOverrides, readTenantConfig } from '../tenants/tenantConfig.js';

/** Writing re-graded devices: their rows, their nudges, the alerts of those whose risk rose. */
export type RegradeDeps = Pick<CorePorts, 'tables' | 'queues' | 'clock' | 'log'>;

export interface RegradedDevice {
  readonly device: Device;
  readonly open: readonly StoredThreat[];
  readonly from: RiskLevel;
  readonly to: RiskLevel;
}

/** What a change of levels would do, as the console's preview shows it. */
export interface RegradePreview {
  /** Devices whose risk level would change. */
  devicesChanged: number;
  /** Counts by `old→new` risk level, e.g. `{ "low→high": 3 }`. */
  byChange: Record<string, number>;
  /** Up to 20 of the devices that would change. */
  sample: { deviceId: string; deviceName: string; from: RiskLevel; to: RiskLevel }[];
}

const maxSample = 20;
const deviceConcurrency = 16;
/** Index range queries in flight at once while collecting re-grade candidates. */
const indexQueryConcurrency = 16;

/**
 * Device ids with an open threat of any of the classifications, from the index: one RowKey range query per
 * classification in each device partition of the tenant (threat rows live in their device's partition), so only
 * index rows of those classifications are read, never a device's other rows.
 */
export async function devicesWithOpenThreats(
  tables: TableStore,
  tenantId: string,
  classifications: readonly Classification[],
  buckets: readonly string[] = credentialedDeviceBuckets,
): Promise<string[]> {
  const ids = new Set<string>();
  const table = tables.table('threats');
  const ranges = classifications.flatMap((classification) =>
    buckets.map((bucket) => ({ classification, partitionKey: `${tenantId}|${bucket}` })),
  );
  await mapLimit(ranges, indexQueryConcurrency, async ({ classification, partitionKey }) => {
    // `}` sorts right after `|`, so [`c|X|`, `c|X}`) is exactly the rows of classification X.
    const low = `c|${classification}|`;
    const high = `c|${classification}}`;
    const rows = table.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${low} and RowKey lt ${high}`, select: ['RowKey'] },
    });
    for await (const row of rows) {
      const deviceId = typeof row.rowKey === 'string' ? row.rowKey.slice(low.length).split('|')[0] : undefined;
      if (deviceId) ids.add(deviceId);
    }
  });
  return [...ids].sort();
}

/** The device's risk under `policy`, from its open threats as stored now. */
async function regradeOne(tables: TableStore, tenantId: string, deviceId: string, policy: ClassificationPolicy): Promise<RegradedDevice | undefined> {
  const device = await readDevice(tables, tenantId, deviceId);
  if (!device) return undefined;
  const open = (await listDeviceThreats(tables, tenantId, deviceId)).filter(isOpen);
  return { device, open, from: device.riskLevel, to: deviceRiskLevel(open, policy) };
}

/** Which classifications change level between two policies. */
export function changedClassifications(before: ClassificationPolicy, after: ClassificationPolicy): Classification[] {
  return classificationCatalog.map((entry) => entry.classification).filter((c) => before[c] !== after[c]);
}

/** Devices are re-graded in chunks, so writes and pushes of the first ones overlap the reads of the rest. */
const chunkSize = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** The devices whose risk level differs under `after` (only those with an open threat of a changed classification). */
export async function regradeCandidates(
  tables: TableStore,
  tenantId: string,
  before: ClassificationPolicy,
  after: ClassificationPolicy,
  onChunk?: (changed: RegradedDevice[]) => Promise<void>,
): Promise<RegradedDevice[]> {
  const changed = changedClassifications(before, after);
  if (changed.length === 0) return [];
  const deviceIds = await devicesWithOpenThreats(tables, tenantId, changed);
  const all: RegradedDevice[] = [];
  for (const chunk of chunks(deviceIds, chunkSize)) {
    const graded = await mapLimit(chunk, deviceConcurrency, (deviceId) => regradeOne(tables, tenantId, deviceId, after));
    const differing = graded.filter((item): item is RegradedDevice => item !== undefined && item.from !== item.to);
    all.push(...differing);
    if (onChunk) await onChunk(differing);
  }
  return all;
}

export function summarize(changes: readonly RegradedDevice[]): RegradePreview {
  const byChange: Record<string, number> = {};
  for (const change of changes) {
    const key = `${change.from}→${change.to}`;
    byChange[key] = (byChange[key] ?? 0) + 1;
  }
  return {
    devicesChanged: changes.length,
    byChange,
    sample: changes.slice(0, maxSample).map((change) => ({
      deviceId: change.device.deviceId,
      deviceName: change.device.deviceName,
      from: change.from,
      to: change.to,
    })),
  };
}

/** What a change of levels would do to the tenant's devices. Writes nothing. */
export async function previewRegrade(
  tables: TableStore,
  tenantId: string,
  changes: ClassificationOverrides,
): Promise<RegradePreview> {
  const overrides = await readOverrides(tables, tenantId);
  const before = policyFrom(overrides);
  const after = policyFrom({ ...overrides, ...changes });
  return summarize(await regradeCandidates(tables, tenantId, before, after));
}

/**
 * Writes the new risk of each candidate (ETag; a lost race re-reads the device and its threats), nudges the
 * devices whose risk changed, and queues a `regrade` alert for those whose risk rose. Returns how many changed.
 */
export async function applyRegrade(
  deps: RegradeDeps,
  tenantId: string,
  policy: ClassificationPolicy,
  candidates: readonly RegradedDevice[],
): Promise<number> {
  const written = await mapLimit(candidates, deviceConcurrency, async (candidate) => {
    let current: RegradedDevice | undefined = candidate;
    for (let attempt = 1; current; attempt += 1) {
      if (current.from === current.to) return undefined;
      const { device, nudge } = withVersionRule(current.device, { ...current.device, riskLevel: current.to });
      try {
        const after = await replaceDevice(deps.tables, { ...device, etag: current.device.etag }, current.device, deps.clock.now());
        return { after, nudge, from: current.from, open: current.open };
      } catch (caught) {
        const status = statusOf(caught);
        if (status !== 412 && status !== 404) throw caught;
        if (attempt >= 8) throw new ConcurrencyExhausted(deps.tables.physicalName('devices'), tenantId, candidate.device.deviceId, attempt);
        current = await regradeOne(deps.tables, tenantId, candidate.device.deviceId, policy);
      }
    }
    return undefined;
  });
  const changed = written.filter((item) => item !== undefined);
  try {
    await sendNudges(
      deps.queues,
      changed.filter((item) => item.nudge).map(({ after }) => ({ tenantId, deviceId: after.deviceId, version: after.version })),
    );
  } catch (caught) {
    deps.log.warn(`Re-grade nudges not sent (reconcile will catch up): ${toError(caught).message}`);
  }
  const now = deps.clock.now().toISOString();
  const alerts: PendingAlert[] = [];
  for (const item of changed) {
    if (compareRisk(item.after.riskLevel, item.from) <= 0 || item.after.riskLevel === 'none') continue;
    // The threat that now sets the device's level names the alert.
    const threat = item.open.find((open) => policy[open.classification] === item.after.riskLevel);
    if (!threat) continue;
    alerts.push({
      reason: 'regrade',
      deviceId: item.after.deviceId,
      deviceName: item.after.deviceName,
      userPrincipalName: item.after.userPrincipalName,
      classification: threat.classification,
      threatName: threat.name ?? '',
      riskLevel: item.after.riskLevel,
      at: now,
      queuedAt: now,
    });
  }
  if (alerts.length > 0) {
    try {
      await queueAlerts(deps.tables, tenantId, alerts);
    } catch (caught) {
      deps.log.warn(`Re-grade alerts not queued for tenant ${tenantId}: ${toError(caught).message}`);
    }
  }
  return changed.length;
}

/**
 * One slice of a re-grade: the devices of the slice's partitions with an open threat of the job's classifications,
 * re-graded under the tenant's policy as stored when the slice runs, chunk by chunk.
 */
export async function runRegradeSlice(deps: RegradeDeps, message: SliceMessage): Promise<SliceOutcome> {
  const { tenantId } = message;
  const classifications = message.classifications ?? [];
  const { policy } = await readTenantConfig(deps.tables, tenantId);
  return runSlice(deps, message, {
    items: async () =>
      (await devicesWithOpenThreats(deps.tables, tenantId, classifications, sliceBuckets(message.slice, message.slices))).map((id) => ({ id })),
    plan: async (chunk) => {
      const graded = await mapLimit(chunk, deviceConcurrency, ({ id }) => regradeOne(deps.tables, tenantId, id, policy));
      const changed = graded.filter((item): item is RegradedDevice => item !== undefined && item.from !== item.to);
      return { changed: changed.length, apply: async () => void (await applyRegrade(deps, tenantId, policy, changed)) };
    },
  });
}

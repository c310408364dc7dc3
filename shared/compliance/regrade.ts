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
import { sendNudges, type Nudge } from '../devices/complianceNudges.js';
import { credentialedDeviceBuckets, devicePartitionKey, storedOverride, threatLevelOf, withThreatLevel, withVersionRule, type Device } from '../devices/device.js';
import { readDevice, replaceDevice } from '../devices/deviceRepository.js';
import { listDeviceThreats, listThreatsOfDevices, packageKey } from '../devices/threatRows.js';
import {
  classificationCatalog,
  compareRisk,
  gradeDevice,
  isOpen,
  threatRiskLevel,
  type AppRuleLevels,
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
import { appRuleLevels, listAppRules } from '../tenants/appRules.js';

/** Writing re-graded devices: their rows, their nudges, the alerts of those whose risk rose. */
export type RegradeDeps = Pick<CorePorts, 'tables' | 'queues' | 'clock' | 'log'>;

export interface RegradedDevice {
  readonly device: Device;
  readonly open: readonly StoredThreat[];
  readonly from: RiskLevel;
  readonly to: RiskLevel;
  /** The open threats' level (differs from `to` while an override lasts). */
  readonly threatTo: RiskLevel;
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

/** Storage requests a slice keeps in flight at once (reads, threat queries, writes). */
export interface RegradeConcurrency {
  readonly devices: number;
  readonly partitions: number;
  readonly indexQueries: number;
}

/** The preview answers a console request over the whole tenant: as many requests at once as it usefully can. */
const previewConcurrency: RegradeConcurrency = { devices: deviceConcurrency, partitions: 8, indexQueries: indexQueryConcurrency };

/**
 * A slice runs beside the tenant's other slices (16 per instance) and the pushes of the devices it nudges, against
 * the same storage account. The re-grade produces devices far faster than Intune takes them (200 per 20 s), so its
 * slices grade and write with few requests in flight each: a push's reads and records then wait behind fewer of
 * them, and the first windows after a change carry what the limit allows instead of waiting for the re-grade to
 * finish. Finding the slice's devices comes before any push and keeps the index queries' concurrency.
 */
const sliceConcurrency: RegradeConcurrency = { devices: 4, partitions: 2, indexQueries: indexQueryConcurrency };

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
  concurrency: number = indexQueryConcurrency,
): Promise<string[]> {
  const ids = new Set<string>();
  const table = tables.table('threats');
  const ranges = classifications.flatMap((classification) =>
    buckets.map((bucket) => ({ classification, partitionKey: `${tenantId}|${bucket}` })),
  );
  await mapLimit(ranges, concurrency, async ({ classification, partitionKey }) => {
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

/**
 * Device ids with an open threat of any of the packages, from the package index (`p|{packageName}|`): one RowKey
 * range query per package in each device partition of the tenant.
 */
export async function devicesWithOpenPackages(
  tables: TableStore,
  tenantId: string,
  packages: readonly string[],
  buckets: readonly string[] = credentialedDeviceBuckets,
  concurrency: number = indexQueryConcurrency,
): Promise<string[]> {
  const ids = new Set<string>();
  const table = tables.table('threats');
  const ranges = packages.flatMap((packageName) => buckets.map((bucket) => ({ packageName, partitionKey: `${tenantId}|${bucket}` })));
  await mapLimit(ranges, concurrency, async ({ packageName, partitionKey }) => {
    const low = `p|${packageKey(packageName)}|`;
    const high = `p|${packageKey(packageName)}}`;
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

/** How a re-grade grades: the policy, the app rules, and the time overrides are judged at. */
export interface Grading {
  readonly policy: ClassificationPolicy;
  readonly rules: AppRuleLevels;
  readonly now: Date;
}

/** The tenant's grading as stored now: its policy (one point read) and, when it has any, its app rules. */
export async function readGrading(tables: TableStore, tenantId: string, now: Date): Promise<Grading> {
  const config = await readTenantConfig(tables, tenantId);
  const rules = config.appRuleCount > 0 ? appRuleLevels(await listAppRules(tables, tenantId)) : new Map<string, RiskLevel>();
  return { policy: config.policy, rules, now };
}

/** The device's grade under `grading`, from its open threats as stored now (one precedence: shared/domain/deviceRisk.ts). */
async function regradeOne(tables: TableStore, tenantId: string, deviceId: string, grading: Grading): Promise<RegradedDevice | undefined> {
  const device = await readDevice(tables, tenantId, deviceId);
  if (!device) return undefined;
  const open = (await listDeviceThreats(tables, tenantId, deviceId)).filter(isOpen);
  const graded = gradeDevice({ openThreats: open, policy: grading.policy, rules: grading.rules, override: storedOverride(device), now: grading.now });
  return { device, open, from: device.riskLevel, to: graded.riskLevel, threatTo: graded.threatRiskLevel };
}

/**
 * The grades of a chunk of devices: each device row by a point read, and the threats of the chunk's devices with one
 * range query per device partition (`listThreatsOfDevices`) rather than one per device. Devices that do not exist are
 * left out; the order of `deviceIds` is kept.
 */
async function regradeChunk(
  tables: TableStore,
  tenantId: string,
  deviceIds: readonly string[],
  grading: Grading,
  concurrency: RegradeConcurrency = previewConcurrency,
): Promise<(RegradedDevice | undefined)[]> {
  const byPartition = new Map<string, string[]>();
  for (const deviceId of deviceIds) {
    const partitionKey = devicePartitionKey(tenantId, deviceId);
    const list = byPartition.get(partitionKey);
    if (list) list.push(deviceId);
    else byPartition.set(partitionKey, [deviceId]);
  }
  const threats = new Map<string, readonly StoredThreat[]>();
  const [devices] = await Promise.all([
    mapLimit(deviceIds, concurrency.devices, (deviceId) => readDevice(tables, tenantId, deviceId)),
    mapLimit([...byPartition], concurrency.partitions, async ([partitionKey, ids]) => {
      for (const [deviceId, list] of await listThreatsOfDevices(tables, partitionKey, ids)) threats.set(deviceId, list);
    }),
  ]);
  return devices.map((device) => {
    if (!device) return undefined;
    const open = (threats.get(device.deviceId) ?? []).filter(isOpen);
    const graded = gradeDevice({ openThreats: open, policy: grading.policy, rules: grading.rules, override: storedOverride(device), now: grading.now });
    return { device, open, from: device.riskLevel, to: graded.riskLevel, threatTo: graded.threatRiskLevel };
  });
}

/** Whether a re-graded device needs a write: its effective level or its threats' level changed. */
function differs(item: RegradedDevice | undefined): item is RegradedDevice {
  return item !== undefined && (item.from !== item.to || threatLevelOf(item.device) !== item.threatTo);
}

/** Which classifications change level between two policies. */
export function changedClassifications(before: ClassificationPolicy, after: ClassificationPolicy): Classification[] {
  return classificationCatalog.map((entry) => entry.classification).filter((c) => before[c] !== after[c]);
}

/** Nudges sent together while a chunk is written: one Intune `$batch` (20 requests). */
const nudgeGroupSize = 20;

/** Devices are re-graded in chunks, so writes and pushes of the first ones overlap the reads of the rest. */
const chunkSize = 500;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * The devices whose risk level differs under `after` (only those with an open threat of a changed classification,
 * or of one of `packages`).
 */
export async function regradeCandidates(
  tables: TableStore,
  tenantId: string,
  before: ClassificationPolicy,
  after: Grading,
  onChunk?: (changed: RegradedDevice[]) => Promise<void>,
  packages: readonly string[] = [],
): Promise<RegradedDevice[]> {
  const changed = changedClassifications(before, after.policy);
  if (changed.length === 0 && packages.length === 0) return [];
  const deviceIds = [
    ...new Set([
      ...(changed.length > 0 ? await devicesWithOpenThreats(tables, tenantId, changed) : []),
      ...(packages.length > 0 ? await devicesWithOpenPackages(tables, tenantId, packages) : []),
    ]),
  ].sort();
  const all: RegradedDevice[] = [];
  for (const chunk of chunks(deviceIds, chunkSize)) {
    const graded = await regradeChunk(tables, tenantId, chunk, after);
    // The preview reports changes of the effective level (what Intune would be told).
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

/** What a change of levels would do to the tenant's devices (app rules and overrides applied). Writes nothing. */
export async function previewRegrade(
  tables: TableStore,
  tenantId: string,
  changes: ClassificationOverrides,
  now: Date = new Date(),
): Promise<RegradePreview> {
  const grading = await readGrading(tables, tenantId, now);
  const overrides = await readOverrides(tables, tenantId);
  const before = policyFrom(overrides);
  const after = policyFrom({ ...overrides, ...changes });
  return summarize(await regradeCandidates(tables, tenantId, before, { ...grading, policy: after }));
}

/**
 * What setting (`riskLevel`) or removing (`null`) the app rule of one package would do to the tenant's devices: the
 * devices with an open threat of that package, graded with the rule changed. Writes nothing.
 */
export async function previewAppRule(
  tables: TableStore,
  tenantId: string,
  packageName: string,
  riskLevel: RiskLevel | null,
  now: Date = new Date(),
): Promise<RegradePreview> {
  const grading = await readGrading(tables, tenantId, now);
  const rules = new Map(grading.rules);
  if (riskLevel === null) rules.delete(packageName);
  else rules.set(packageName, riskLevel);
  return summarize(await regradeCandidates(tables, tenantId, grading.policy, { ...grading, rules }, undefined, [packageName]));
}

/**
 * Writes the new risk of each candidate (ETag; a lost race re-reads the device and its threats), nudges the
 * devices whose risk changed, and queues a `regrade` alert for those whose risk rose. Returns how many changed.
 */
export async function applyRegrade(
  deps: RegradeDeps,
  tenantId: string,
  grading: Grading,
  candidates: readonly RegradedDevice[],
  concurrency: number = deviceConcurrency,
): Promise<number> {
  // Nudges go out as the devices are written, one Intune `$batch` worth at a time, so the push of a chunk's first
  // devices starts while the rest of the chunk (and the slice's next chunks) are still being re-graded.
  const waiting: Nudge[] = [];
  const flush = async (all: boolean): Promise<void> => {
    while (waiting.length >= nudgeGroupSize || (all && waiting.length > 0)) {
      const group = waiting.splice(0, nudgeGroupSize);
      try {
        await sendNudges(deps.queues, group);
      } catch (caught) {
        deps.log.warn(`Re-grade nudges not sent (reconcile will catch up): ${toError(caught).message}`);
      }
    }
  };
  const written = await mapLimit(candidates, concurrency, async (candidate) => {
    let current: RegradedDevice | undefined = candidate;
    for (let attempt = 1; current; attempt += 1) {
      if (!differs(current)) return undefined;
      // The threats' level is written; the override (if active) keeps the effective level (one precedence).
      const { device, nudge } = withVersionRule(current.device, withThreatLevel(current.device, current.threatTo, grading.now));
      try {
        const after = await replaceDevice(deps.tables, { ...device, etag: current.device.etag }, current.device, deps.clock.now());
        if (nudge) {
          waiting.push({ tenantId, deviceId: after.deviceId, version: after.version });
          await flush(false);
        }
        return { after, nudge, from: current.from, open: current.open };
      } catch (caught) {
        const status = statusOf(caught);
        if (status !== 412 && status !== 404) throw caught;
        if (attempt >= 8) throw new ConcurrencyExhausted(deps.tables.physicalName('devices'), tenantId, candidate.device.deviceId, attempt);
        current = await regradeOne(deps.tables, tenantId, candidate.device.deviceId, grading);
      }
    }
    return undefined;
  });
  const applied = written.filter((item) => item !== undefined);
  // Only a change of the effective level counts (and alerts); a change of the threats' level under an override does not.
  const changed = applied.filter((item) => item.after.riskLevel !== item.from);
  await flush(true);
  const now = deps.clock.now().toISOString();
  const alerts: PendingAlert[] = [];
  for (const item of changed) {
    if (compareRisk(item.after.riskLevel, item.from) <= 0 || item.after.riskLevel === 'none') continue;
    // The threat that now sets the device's level names the alert.
    const threat = item.open.find((open) => threatRiskLevel(open, grading.policy, grading.rules) === item.after.riskLevel);
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
  const packages = message.packages ?? [];
  const grading = await readGrading(deps.tables, tenantId, deps.clock.now());
  return runSlice(deps, message, {
    items: async () => {
      const buckets = sliceBuckets(message.slice, message.slices);
      const ids = new Set([
        ...(classifications.length > 0
          ? await devicesWithOpenThreats(deps.tables, tenantId, classifications, buckets, sliceConcurrency.indexQueries)
          : []),
        ...(packages.length > 0 ? await devicesWithOpenPackages(deps.tables, tenantId, packages, buckets, sliceConcurrency.indexQueries) : []),
      ]);
      return [...ids].sort().map((id) => ({ id }));
    },
    plan: async (chunk) => {
      const graded = await regradeChunk(deps.tables, tenantId, chunk.map(({ id }) => id), grading, sliceConcurrency);
      const toWrite = graded.filter(differs);
      const changed = toWrite.filter((item) => item.from !== item.to);
      return { changed: changed.length, apply: async () => void (await applyRegrade(deps, tenantId, grading, toWrite, sliceConcurrency.devices)) };
    },
  });
}

/**
 * Threat classifications as a tenant grades them (`classificationOverrides`, one row per classification whose
 * level differs from the default), and re-grading: a change finds the devices with an open threat of a changed
 * classification through the threat index (`threats`, RowKey range `c|{classification}|`), recomputes each one's
 * risk from its open threats under the new policy, and writes and nudges only those whose risk changed. The
 * preview runs the same computation and writes nothing.
 */
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { sendNudges } from '../compliance/nudges.js';
import { credentialedDeviceBuckets, withVersionRule, type Device } from '../devices/device.js';
import { readDevice, replaceDevice } from '../devices/deviceRepository.js';
import { loadOverrides } from '../devices/tenantContext.js';
import { listDeviceThreats } from '../devices/threatStore.js';
import {
  classificationCatalog,
  classificationSchema,
  compareRisk,
  deviceRiskLevel,
  isOpen,
  policyFrom,
  policyRows,
  riskLevelSchema,
  type Classification,
  type ClassificationOverrides,
  type ClassificationPolicy,
  type PolicyRow,
  type RiskLevel,
  type StoredThreat,
} from '../domain/index.js';
import { statusOf, toError } from '../errors.js';
import { queueAlerts, type PendingAlert } from '../notifications.js';
import type { Services } from '../services.js';
import { ConcurrencyExhausted, type TableStore } from '../storage/index.js';
import { mapLimit } from '../mapLimit.js';

export const classificationItemSchema = z.object({
  classification: classificationSchema,
  category: z.enum(['application', 'device', 'network', 'web']),
  riskLevel: riskLevelSchema,
  defaultRiskLevel: riskLevelSchema,
});

export const classificationListSchema = z.object({ items: z.array(classificationItemSchema) });

export const classificationParamsSchema = z.object({ classification: classificationSchema });

export const classificationUpdateSchema = z.strictObject({
  riskLevel: riskLevelSchema.describe('The risk level every threat of this classification counts as.'),
});

export const classificationUpdateResponseSchema = z.object({
  item: classificationItemSchema,
  devicesChanged: z.int().describe('Devices whose risk level changed because of the change.'),
});

export const previewBodySchema = z.strictObject({
  changes: z
    .partialRecord(classificationSchema, riskLevelSchema)
    .refine((changes) => Object.keys(changes).length > 0, { message: 'name at least one classification' })
    .describe('The levels to try, by classification.'),
});

export const sampleDeviceSchema = z.object({
  deviceId: z.string(),
  deviceName: z.string(),
  from: riskLevelSchema,
  to: riskLevelSchema,
});

export const previewResponseSchema = z.object({
  devicesChanged: z.int().describe('Devices whose risk level would change.'),
  byChange: z.record(z.string(), z.int()).describe('Counts by `old→new` risk level, e.g. `{ "low→high": 3 }`.'),
  sample: z.array(sampleDeviceSchema).max(20).describe('Up to 20 of the devices that would change.'),
});
export type RegradePreview = z.output<typeof previewResponseSchema>;

export const resetResponseSchema = z.object({
  items: z.array(classificationItemSchema),
  devicesChanged: z.int(),
});

const maxSample = 20;
const deviceConcurrency = 16;

export async function listClassifications(tables: TableStore, tenantId: string): Promise<PolicyRow[]> {
  return policyRows(await loadOverrides(tables, tenantId));
}

const defaults: ReadonlyMap<Classification, RiskLevel> = new Map(
  classificationCatalog.map((entry) => [entry.classification, entry.defaultRiskLevel]),
);

function rowFor(classification: Classification, overrides: ClassificationOverrides): PolicyRow {
  const row = policyRows(overrides).find((item) => item.classification === classification);
  if (!row) throw new Error(`unknown classification ${classification}`);
  return row;
}

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
): Promise<string[]> {
  const ids = new Set<string>();
  const table = tables.table('threats');
  const ranges = classifications.flatMap((classification) =>
    credentialedDeviceBuckets.map((bucket) => ({ classification, partitionKey: `${tenantId}|${bucket}` })),
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

export interface RegradedDevice {
  readonly device: Device;
  readonly open: readonly StoredThreat[];
  readonly from: RiskLevel;
  readonly to: RiskLevel;
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

/** Re-grades and writes, chunk by chunk: each chunk's devices are pushed as soon as they are written. */
async function regradeAndApply(
  services: Pick<Services, 'tables' | 'queues' | 'clock' | 'log'>,
  tenantId: string,
  before: ClassificationPolicy,
  after: ClassificationPolicy,
): Promise<number> {
  let devicesChanged = 0;
  await regradeCandidates(services.tables, tenantId, before, after, async (changed) => {
    devicesChanged += await applyRegrade(services, tenantId, after, changed);
  });
  return devicesChanged;
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
  const overrides = await loadOverrides(tables, tenantId);
  const before = policyFrom(overrides);
  const after = policyFrom({ ...overrides, ...changes });
  return summarize(await regradeCandidates(tables, tenantId, before, after));
}

/**
 * Writes the new risk of each candidate (ETag; a lost race re-reads the device and its threats), nudges the
 * devices whose risk changed, and queues a `regrade` alert for those whose risk rose. Returns how many changed.
 */
export async function applyRegrade(
  services: Pick<Services, 'tables' | 'queues' | 'clock' | 'log'>,
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
        const after = await replaceDevice(services.tables, { ...device, etag: current.device.etag }, current.device, services.clock.now());
        return { after, nudge, from: current.from, open: current.open };
      } catch (caught) {
        const status = statusOf(caught);
        if (status !== 412 && status !== 404) throw caught;
        if (attempt >= 8) throw new ConcurrencyExhausted(services.tables.physicalName('devices'), tenantId, candidate.device.deviceId, attempt);
        current = await regradeOne(services.tables, tenantId, candidate.device.deviceId, policy);
      }
    }
    return undefined;
  });
  const changed = written.filter((item) => item !== undefined);
  try {
    await sendNudges(
      services.queues,
      changed.filter((item) => item.nudge).map(({ after }) => ({ tenantId, deviceId: after.deviceId, version: after.version })),
    );
  } catch (caught) {
    services.log.warn(`Re-grade nudges not sent (reconcile will catch up): ${toError(caught).message}`);
  }
  const now = services.clock.now().toISOString();
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
      await queueAlerts(services.tables, tenantId, alerts);
    } catch (caught) {
      services.log.warn(`Re-grade alerts not queued for tenant ${tenantId}: ${toError(caught).message}`);
    }
  }
  return changed.length;
}

/** Writes the tenant's overrides to be exactly `next` (a level equal to the default is stored as no row). */
async function writeOverrides(tables: TableStore, tenantId: string, changes: ClassificationOverrides, by: string, at: string): Promise<void> {
  const table = tables.table('classificationOverrides');
  for (const [classification, riskLevel] of Object.entries(changes) as [Classification, RiskLevel][]) {
    if (defaults.get(classification) === riskLevel) {
      await table.deleteEntity(tenantId, classification).catch((caught: unknown) => {
        if (statusOf(caught) !== 404) throw caught;
      });
    } else {
      await table.upsertEntity({ partitionKey: tenantId, rowKey: classification, riskLevel, updatedAt: at, updatedBy: by }, 'Replace');
    }
  }
}

/** Changes one classification's level (audited), then re-grades the devices it affects. */
export async function setClassificationLevel(
  services: Services,
  principal: ConsolePrincipal,
  classification: Classification,
  riskLevel: RiskLevel,
): Promise<{ item: PolicyRow; devicesChanged: number }> {
  const tenantId = principal.tenantId;
  return audited(
    services,
    principal,
    { action: 'classification.update', target: classification, request: { riskLevel } },
    async () => {
      const overrides = await loadOverrides(services.tables, tenantId);
      const before = policyFrom(overrides);
      const nextOverrides = { ...overrides, [classification]: riskLevel };
      const after = policyFrom(nextOverrides);
      await writeOverrides(services.tables, tenantId, { [classification]: riskLevel }, principal.userId, services.clock.now().toISOString());
      services.devices.tenants.invalidate(tenantId);
      const devicesChanged = await regradeAndApply(services, tenantId, before, after);
      return {
        before: { riskLevel: before[classification] },
        after: { riskLevel: after[classification], devicesChanged },
        item: rowFor(classification, nextOverrides),
        devicesChanged,
      };
    },
  );
}

/** Every classification back to its default (audited), then re-grades the devices affected. */
export async function resetClassifications(
  services: Services,
  principal: ConsolePrincipal,
): Promise<{ items: PolicyRow[]; devicesChanged: number }> {
  const tenantId = principal.tenantId;
  return audited(services, principal, { action: 'classification.reset', target: 'threat-classifications' }, async () => {
    const overrides = await loadOverrides(services.tables, tenantId);
    const before = policyFrom(overrides);
    const after = policyFrom({});
    const back: ClassificationOverrides = {};
    for (const classification of Object.keys(overrides) as Classification[]) back[classification] = defaults.get(classification) ?? 'none';
    await writeOverrides(services.tables, tenantId, back, principal.userId, services.clock.now().toISOString());
    services.devices.tenants.invalidate(tenantId);
    const devicesChanged = await regradeAndApply(services, tenantId, before, after);
    return { before: overrides, after: {}, items: policyRows({}), devicesChanged };
  });
}

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
import { sendNudges } from '../devices/nudges.js';
import { credentialedDeviceBuckets, withVersionRule, type Device } from '../devices/device.js';
import { readDevice, replaceDevice } from '../devices/deviceRepository.js';
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
import { statusOf, toError } from '../base/errors.js';
import { queueAlerts, type PendingAlert } from '../alerts/pendingAlerts.js';
import type { Services } from '../app/services.js';
import { ConcurrencyExhausted, NO_CHANGE, type TableStore } from '../storage/index.js';
import { readOverrides, readTenantConfig, updateTenantConfig } from '../tenants/tenantConfig.js';
import {
  createJob,
  defaultSliceCount,
  jobIdSchema,
  jobStatusSchema,
  newJobId,
  readJob,
  runSlice,
  sendSlices,
  sliceBuckets,
  type SliceJob,
  type SliceJobStatus,
  type SliceMessage,
  type SliceOutcome,
} from '../slices/sliceJobs.js';
import { mapLimit } from '../base/mapLimit.js';

export const classificationItemSchema = z.object({
  classification: classificationSchema,
  category: z.enum(['application', 'device', 'network', 'web']),
  riskLevel: riskLevelSchema,
  defaultRiskLevel: riskLevelSchema,
});

/** A re-grade job as the console follows it. */
export const regradeSchema = z
  .object({
    id: z.string().describe('The job id: follow it with `GET /api/v1/console/threat-classifications/regrades/{id}`.'),
    status: jobStatusSchema.describe('`running` until every slice of the tenant\'s devices is re-graded, then `completed`.'),
    devicesChanged: z.int().describe('Devices whose risk level changed so far (final once `completed`).'),
    devicesTotal: z
      .int()
      .describe('Devices with an open threat of the changed classification(s) found so far; final once `completed`.'),
    classifications: z.array(classificationSchema).describe('The classifications whose devices are re-graded.'),
    createdAt: z.string().describe('When the change was saved.'),
    completedAt: z.string().optional().describe('When the last slice finished.'),
  })
  .describe('A re-grade running as a queued job.');
export type Regrade = z.output<typeof regradeSchema>;

export const classificationListSchema = z.object({ items: z.array(classificationItemSchema) });

export const classificationParamsSchema = z.object({ classification: classificationSchema });

export const classificationUpdateSchema = z.strictObject({
  riskLevel: riskLevelSchema.describe('The risk level every threat of this classification counts as.'),
});

export const classificationUpdateResponseSchema = z.object({
  item: classificationItemSchema,
  regrade: regradeSchema,
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
  regrade: regradeSchema,
});

const maxSample = 20;
const deviceConcurrency = 16;

export async function listClassifications(tables: TableStore, tenantId: string): Promise<PolicyRow[]> {
  return policyRows(await readOverrides(tables, tenantId));
}

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

export const regradeParamsSchema = z.object({ id: jobIdSchema.describe('A re-grade id from a PUT or reset answer.') });

/** Re-grade slices start once every instance's cached policy has expired, so reports graded by the old one are redone. */
function regradeNotBefore(services: Pick<Services, 'clock' | 'devices'>): Date {
  return new Date(services.clock.now().getTime() + services.devices.tenantCacheMs + 1_000);
}

function regradeOf(status: SliceJobStatus): Regrade {
  return {
    id: status.job.id,
    status: status.status,
    devicesChanged: status.devicesChanged,
    devicesTotal: status.devicesTotal,
    classifications: [...(status.job.classifications ?? [])],
    createdAt: status.job.createdAt,
    ...(status.completedAt ? { completedAt: status.completedAt } : {}),
  };
}

/** Records a re-grade job of the classifications (the job row, before the policy is written). */
async function startRegrade(services: Services, principal: ConsolePrincipal, classifications: readonly Classification[]): Promise<SliceJob> {
  const now = services.clock.now();
  const job: SliceJob = {
    tenantId: principal.tenantId,
    id: newJobId('regrade', now),
    kind: 'regrade',
    slices: classifications.length > 0 ? defaultSliceCount : 0,
    classifications: [...classifications],
    createdAt: now.toISOString(),
    createdBy: principal.userId,
  };
  await createJob(services.tables, job);
  return job;
}

/** Sends the job's slices; a failure is logged, and reading the job later sends the slices that never started. */
async function sendRegradeSlices(services: Services, job: SliceJob): Promise<void> {
  try {
    await sendSlices(services.queues, job, undefined, regradeNotBefore(services));
  } catch (caught) {
    services.log.warn(`Re-grade ${job.id} of tenant ${job.tenantId}: slices not sent yet (sent when the job is next read): ${toError(caught).message}`);
  }
}

function runningRegrade(job: SliceJob): Regrade {
  return {
    id: job.id,
    status: job.slices === 0 ? 'completed' : 'running',
    devicesChanged: 0,
    devicesTotal: 0,
    classifications: [...(job.classifications ?? [])],
    createdAt: job.createdAt,
    ...(job.slices === 0 ? { completedAt: job.createdAt } : {}),
  };
}

/**
 * Changes one classification's level (audited) and answers at once with the re-grade job of the devices it
 * affects, which runs through the `device-slices` queue. A PUT of the level already in force re-grades too (so
 * re-sending a PUT repairs devices a lost job left behind).
 */
export async function setClassificationLevel(
  services: Services,
  principal: ConsolePrincipal,
  classification: Classification,
  riskLevel: RiskLevel,
): Promise<{ item: PolicyRow; regrade: Regrade }> {
  const tenantId = principal.tenantId;
  return audited(
    services,
    principal,
    { action: 'classification.update', target: classification, request: { riskLevel } },
    async () => {
      const job = await startRegrade(services, principal, [classification]);
      const saved = await updateTenantConfig(services.tables, tenantId, (current) =>
        current.policy[classification] === riskLevel
          ? NO_CHANGE
          : { overrides: { ...current.overrides, [classification]: riskLevel }, by: principal.userId, at: job.createdAt },
      );
      services.devices.tenants.invalidate(tenantId);
      await sendRegradeSlices(services, job);
      return {
        before: { riskLevel: saved.before.policy[classification] },
        after: { riskLevel: saved.after.policy[classification], regradeId: job.id },
        item: rowFor(classification, saved.after.overrides),
        regrade: runningRegrade(job),
      };
    },
  );
}

/** Every classification back to its default (audited); answers at once with the re-grade job of the devices affected. */
export async function resetClassifications(
  services: Services,
  principal: ConsolePrincipal,
): Promise<{ items: PolicyRow[]; regrade: Regrade }> {
  const tenantId = principal.tenantId;
  return audited(services, principal, { action: 'classification.reset', target: 'threat-classifications' }, async () => {
    const planned = Object.keys((await readTenantConfig(services.tables, tenantId)).overrides) as Classification[];
    let job = await startRegrade(services, principal, planned);
    const saved = await updateTenantConfig(services.tables, tenantId, (current) =>
      Object.keys(current.overrides).length === 0 ? NO_CHANGE : { overrides: {}, by: principal.userId, at: job.createdAt },
    );
    const reset = Object.keys(saved.before.overrides) as Classification[];
    if (reset.some((classification) => !planned.includes(classification))) {
      // Another change landed between the read and the write: re-grade what this reset really changed.
      job = await startRegrade(services, principal, [...new Set([...planned, ...reset])]);
    }
    services.devices.tenants.invalidate(tenantId);
    await sendRegradeSlices(services, job);
    return { before: saved.before.overrides, after: { regradeId: job.id }, items: policyRows({}), regrade: runningRegrade(job) };
  });
}

/**
 * A re-grade job and its progress (one range query of its rows), or undefined for an id the tenant does not have.
 * Slices that never started a minute after they were due (their send failed) are sent again.
 */
export async function getRegrade(services: Services, tenantId: string, id: string): Promise<Regrade | undefined> {
  const status = await readJob(services.tables, tenantId, id);
  if (!status || status.job.kind !== 'regrade') return undefined;
  const due = Date.parse(status.job.createdAt) + services.devices.tenantCacheMs + 1_000;
  if (status.slicesNotStarted.length > 0 && services.clock.now().getTime() - due > 60_000) {
    await sendSlices(services.queues, status.job, status.slicesNotStarted).catch((caught: unknown) => {
      services.log.warn(`Re-grade ${id} of tenant ${tenantId}: slices not sent again: ${toError(caught).message}`);
    });
  }
  return regradeOf(status);
}

/**
 * One slice of a re-grade: the devices of the slice's partitions with an open threat of the job's classifications,
 * re-graded under the tenant's policy as stored when the slice runs, chunk by chunk.
 */
export async function runRegradeSlice(services: Services, message: SliceMessage): Promise<SliceOutcome> {
  const { tenantId } = message;
  const classifications = message.classifications ?? [];
  const { policy } = await readTenantConfig(services.tables, tenantId);
  return runSlice(services, message, {
    items: async () =>
      (await devicesWithOpenThreats(services.tables, tenantId, classifications, sliceBuckets(message.slice, message.slices))).map((id) => ({ id })),
    plan: async (chunk) => {
      const graded = await mapLimit(chunk, deviceConcurrency, ({ id }) => regradeOne(services.tables, tenantId, id, policy));
      const changed = graded.filter((item): item is RegradedDevice => item !== undefined && item.from !== item.to);
      return { changed: changed.length, apply: async () => void (await applyRegrade(services, tenantId, policy, changed)) };
    },
  });
}

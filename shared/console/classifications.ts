/**
 * Threat classifications as a tenant grades them (`classificationOverrides`, one row per classification whose
 * level differs from the default), as the console reads and changes them. A change answers at once with a re-grade
 * job of the devices it affects; the job runs through the `device-slices` queue (shared/compliance/regrade.ts).
 */
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import type { DeviceRuntime } from '../devices/runtime.js';
import {
  classificationSchema,
  policyRows,
  riskLevelSchema,
  type Classification,
  type ClassificationOverrides,
  type PolicyRow,
  type RiskLevel,
} from '../domain/index.js';
import { toError } from '../base/errors.js';
import type { EventRecorder } from '../events/event.js';
import type { CorePorts } from '../ports.js';
import { NO_CHANGE, type TableStore } from '../storage/index.js';
import { readOverrides, readTenantConfig, updateTenantConfig } from '../tenants/tenantConfig.js';
import {
  createJob,
  defaultSliceCount,
  jobIdSchema,
  jobStatusSchema,
  newJobId,
  readJob,
  sendSlices,
  type SliceJob,
  type SliceJobStatus,
} from '../slices/sliceJobs.js';

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
    packages: z
      .array(z.string())
      .optional()
      .describe('For an app rule change: the package names whose devices are re-graded.'),
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

export const resetResponseSchema = z.object({
  items: z.array(classificationItemSchema),
  regrade: regradeSchema,
});

/**
 * Starting and following re-grade jobs: the job rows and slice messages, and the device API's cached policies,
 * which a change drops in this process and which the slices wait out on other instances.
 */
export type RegradeJobDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'queues'> & {
  readonly devices: Pick<DeviceRuntime, 'tenants' | 'tenantCacheMs'>;
};
/** A change of levels, audited (`events` records the audit entry's event). */
export type ClassificationChangeDeps = RegradeJobDeps & { readonly events: EventRecorder };

export async function listClassifications(tables: TableStore, tenantId: string): Promise<PolicyRow[]> {
  return policyRows(await readOverrides(tables, tenantId));
}

function rowFor(classification: Classification, overrides: ClassificationOverrides): PolicyRow {
  const row = policyRows(overrides).find((item) => item.classification === classification);
  if (!row) throw new Error(`unknown classification ${classification}`);
  return row;
}

export const regradeParamsSchema = z.object({ id: jobIdSchema.describe('A re-grade id from a PUT or reset answer.') });

/** Re-grade slices start once every instance's cached policy has expired, so reports graded by the old one are redone. */
function regradeNotBefore(services: Pick<RegradeJobDeps, 'clock' | 'devices'>): Date {
  return new Date(services.clock.now().getTime() + services.devices.tenantCacheMs + 1_000);
}

function regradeOf(status: SliceJobStatus): Regrade {
  return {
    id: status.job.id,
    status: status.status,
    devicesChanged: status.devicesChanged,
    devicesTotal: status.devicesTotal,
    classifications: [...(status.job.classifications ?? [])],
    ...(status.job.packages ? { packages: [...status.job.packages] } : {}),
    createdAt: status.job.createdAt,
    ...(status.completedAt ? { completedAt: status.completedAt } : {}),
  };
}

/**
 * Records a re-grade job of the classifications, or of the packages whose app rule changes (the job row, before the
 * policy or rule is written).
 */
export async function startRegrade(
  services: Pick<CorePorts, 'tables' | 'clock'>,
  principal: ConsolePrincipal,
  classifications: readonly Classification[],
  packages?: readonly string[],
): Promise<SliceJob> {
  const now = services.clock.now();
  const job: SliceJob = {
    tenantId: principal.tenantId,
    id: newJobId('regrade', now),
    kind: 'regrade',
    slices: classifications.length > 0 || (packages?.length ?? 0) > 0 ? defaultSliceCount : 0,
    classifications: [...classifications],
    ...(packages ? { packages: [...packages] } : {}),
    createdAt: now.toISOString(),
    createdBy: principal.userId,
  };
  await createJob(services.tables, job);
  return job;
}

/** Sends the job's slices; a failure is logged, and reading the job later sends the slices that never started. */
export async function sendRegradeSlices(services: RegradeJobDeps, job: SliceJob): Promise<void> {
  try {
    await sendSlices(services.queues, job, undefined, regradeNotBefore(services));
  } catch (caught) {
    services.log.warn(`Re-grade ${job.id} of tenant ${job.tenantId}: slices not sent yet (sent when the job is next read): ${toError(caught).message}`);
  }
}

export function runningRegrade(job: SliceJob): Regrade {
  return {
    id: job.id,
    status: job.slices === 0 ? 'completed' : 'running',
    devicesChanged: 0,
    devicesTotal: 0,
    classifications: [...(job.classifications ?? [])],
    ...(job.packages ? { packages: [...job.packages] } : {}),
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
  services: ClassificationChangeDeps,
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
  services: ClassificationChangeDeps,
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
  }).then(({ items, regrade }) => ({ items, regrade }));
}

/**
 * A re-grade job and its progress (one range query of its rows), or undefined for an id the tenant does not have.
 * Slices that never started a minute after they were due (their send failed) are sent again.
 */
export async function getRegrade(services: RegradeJobDeps, tenantId: string, id: string): Promise<Regrade | undefined> {
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

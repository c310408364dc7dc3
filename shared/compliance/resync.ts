/**
 * When a tenant changes what is enforced (state sync switches, the Intune target, the Entra attribute), every
 * device's desired targets change although no device changed: nudge them all, so each is pushed under the new
 * settings. The push reads the tenant's settings for every batch, so the nudges need no delay. The nudging runs as
 * a job in slices through the `device-slices` queue (shared/slices/sliceJobs.ts), so a large tenant is nudged by
 * many instances side by side and a settings PUT answers at once.
 *
 * The tenant's row (shared/tenants/tenantConfig.ts) counts these changes (`enforcementRevision`, bumped in the same write as the change)
 * and records the last one every device was nudged for (`resyncedRevision`). The reconcile timer resyncs a tenant
 * whose revision is ahead, so a resync cut short (a failed send, a stopped process) is finished later.
 */
import { z } from 'zod';
import type { ConnectorSettings } from '../domain/index.js';
import type { CorePorts } from '../ports.js';
import { listAll, NO_CHANGE, type TableStore } from '../storage/index.js';
import { readTenantConfig, updateTenantConfig } from '../tenants/tenantConfig.js';
import { sendNudges, type Nudge } from '../devices/complianceNudges.js';
import {
  createJob,
  defaultSliceCount,
  readJob,
  resyncJobId,
  runSlice,
  sendSlices,
  sliceDeviceFilter,
  type SliceJob,
  type SliceMessage,
  type SliceOutcome,
} from '../slices/sliceJobs.js';

/** What a resync uses: the tenant's rows, the queues its nudges and slices go on, and the time. */
type ResyncDeps = Pick<CorePorts, 'tables' | 'queues' | 'clock'>;

const deviceVersionSchema = z.object({ version: z.number().int().default(1) });

async function readRevisions(tables: TableStore, tenantId: string): Promise<{ enforcementRevision: number; resyncedRevision: number }> {
  const { enforcementRevision, resyncedRevision } = await readTenantConfig(tables, tenantId);
  return { enforcementRevision, resyncedRevision };
}

async function markResynced(tables: TableStore, tenantId: string, revision: number): Promise<void> {
  await updateTenantConfig(tables, tenantId, (current) =>
    current.resyncedRevision >= revision ? NO_CHANGE : { resyncedRevision: revision },
  );
}

/** Resyncs the tenant if a change of what is enforced has not yet reached every device; returns the slices sent. */
export async function resyncIfBehind(services: ResyncDeps, tenantId: string): Promise<number> {
  const { enforcementRevision, resyncedRevision } = await readRevisions(services.tables, tenantId);
  return enforcementRevision > resyncedRevision ? startResync(services, tenantId, enforcementRevision) : 0;
}

export function enforcementChanged(before: ConnectorSettings, after: ConnectorSettings): boolean {
  return (
    JSON.stringify([before.stateSync, before.enforcement]) !== JSON.stringify([after.stateSync, after.enforcement])
  );
}

/**
 * Starts the resync of the tenant's current enforcement revision as a job in slices (`device-slices`), each of
 * which nudges the devices of its partitions; returns how many slices were sent. The job of a revision is one job:
 * starting it again sends only the slices that never started, and one already completed is recorded as done.
 */
export async function resyncTenantDevices(services: ResyncDeps, tenantId: string): Promise<number> {
  const { enforcementRevision } = await readRevisions(services.tables, tenantId);
  return startResync(services, tenantId, enforcementRevision);
}

async function startResync(services: ResyncDeps, tenantId: string, revision: number): Promise<number> {
  const id = resyncJobId(revision);
  const existing = await readJob(services.tables, tenantId, id);
  if (existing?.status === 'completed') {
    await markResynced(services.tables, tenantId, revision);
    return 0;
  }
  const now = services.clock.now();
  const job: SliceJob = existing?.job ?? {
    tenantId,
    id,
    kind: 'resync',
    slices: defaultSliceCount,
    revision,
    stamp: Math.floor(now.getTime() / 1000),
    createdAt: now.toISOString(),
  };
  if (!existing) await createJob(services.tables, job);
  const only = existing ? existing.slicesNotStarted : undefined;
  await sendSlices(services.queues, job, only);
  return only?.length ?? job.slices;
}

/** One slice of a resync: nudges every device of the slice's partitions, chunk by chunk. */
export async function runResyncSlice(services: ResyncDeps, message: SliceMessage): Promise<SliceOutcome> {
  const { tenantId } = message;
  return runSlice(services, message, {
    items: async () => {
      const devices: { id: string; version: number }[] = [];
      for await (const row of listAll(services.tables.table('devices'), {
        schema: deviceVersionSchema,
        filter: sliceDeviceFilter(tenantId, message.slice, message.slices),
        select: ['version'],
      })) {
        devices.push({ id: row.rowKey, version: row.version });
      }
      return devices;
    },
    plan: (chunk) =>
      Promise.resolve({
        changed: chunk.length,
        apply: () =>
          sendNudges(
            services.queues,
            chunk.map(
              (device): Nudge => ({
                tenantId,
                deviceId: device.id,
                version: device.version,
                ...(message.stamp ? { resync: message.stamp } : {}),
                // The revision keeps two resyncs started within one second apart (their stamps are equal).
                ...(message.stamp && message.revision !== undefined ? { revision: message.revision } : {}),
              }),
            ),
          ),
      }),
  });
}

/** Records that every device was nudged for the revision (once the resync job has completed). */
export async function finishResync(tables: TableStore, tenantId: string, revision: number): Promise<void> {
  await markResynced(tables, tenantId, revision);
}

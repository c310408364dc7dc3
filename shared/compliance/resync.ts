/**
 * When a tenant changes what is enforced (state sync switches, the Intune target, the Entra attribute), every
 * device's desired targets change although no device changed: nudge them all, so each is pushed under the new
 * settings. The push reads the tenant's settings for every batch, so the nudges need no delay.
 *
 * The tenant's row (shared/tenants/tenantConfig.ts) counts these changes (`enforcementRevision`, bumped in the same write as the change)
 * and records the last one every device was nudged for (`resyncedRevision`). The reconcile timer resyncs a tenant
 * whose revision is ahead, so a resync cut short (a failed send, a stopped process) is finished later.
 */
import { z } from 'zod';
import type { ConnectorSettings } from '../domain/index.js';
import type { Services } from '../services.js';
import { tenantDevicesFilter } from '../devices/device.js';
import { listAll, NO_CHANGE, type TableStore } from '../storage/index.js';
import { readTenantConfig, updateTenantConfig } from '../tenants/tenantConfig.js';
import { sendNudges, type Nudge } from './nudges.js';

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

/** Resyncs the tenant if a change of what is enforced has not yet reached every device; returns the nudges sent. */
export async function resyncIfBehind(services: Pick<Services, 'tables' | 'queues' | 'clock'>, tenantId: string): Promise<number> {
  const { enforcementRevision, resyncedRevision } = await readRevisions(services.tables, tenantId);
  return enforcementRevision > resyncedRevision ? resyncTenantDevices(services, tenantId) : 0;
}

export function enforcementChanged(before: ConnectorSettings, after: ConnectorSettings): boolean {
  return (
    JSON.stringify([before.stateSync, before.enforcement]) !== JSON.stringify([after.stateSync, after.enforcement])
  );
}

/** Nudges every device of the tenant, then records the revision it did so for; returns how many. */
export async function resyncTenantDevices(services: Pick<Services, 'tables' | 'queues' | 'clock'>, tenantId: string): Promise<number> {
  const { enforcementRevision } = await readRevisions(services.tables, tenantId);
  const resync = Math.floor(services.clock.now().getTime() / 1000);
  const nudges: Nudge[] = [];
  for await (const row of listAll(services.tables.table('devices'), {
    schema: deviceVersionSchema,
    filter: tenantDevicesFilter(tenantId),
    select: ['version'],
  })) {
    nudges.push({ tenantId, deviceId: row.rowKey, version: row.version, resync });
  }
  await sendNudges(services.queues, nudges);
  await markResynced(services.tables, tenantId, enforcementRevision);
  return nudges.length;
}

/**
 * When a tenant changes what is enforced (state sync switches, the Intune target, the Entra attribute), every
 * device's desired targets change although no device changed: nudge them all, so each is pushed under the new
 * settings. The nudges are delivered after the queue function's settings cache has expired everywhere.
 *
 * The tenant's settings row counts these changes (`enforcementRevision`, bumped in the same write as the change)
 * and records the last one every device was nudged for (`resyncedRevision`). The reconcile timer resyncs a tenant
 * whose revision is ahead, so a resync cut short (a failed send, a stopped process) is finished later.
 */
import { z } from 'zod';
import type { ConnectorSettings } from '../domain/index.js';
import type { Services } from '../services.js';
import { tenantDevicesFilter } from '../devices/device.js';
import { listAll, NO_CHANGE, readEntity, updateEntity, type TableStore } from '../storage/index.js';
import { sendNudges, type Nudge } from './nudges.js';
import { defaultSettingsCacheMs } from './push.js';

const deviceVersionSchema = z.object({ version: z.number().int().default(1) });

/** The tenant's settings row (`connectorSettings`, RowKey `settings`), as far as resyncs are concerned. */
const settingsRowKey = 'settings';
const revisionsSchema = z.looseObject({
  enforcementRevision: z.number().int().optional(),
  resyncedRevision: z.number().int().optional(),
});

export interface EnforcementRevisions {
  readonly enforcementRevision?: number | undefined;
  readonly resyncedRevision?: number | undefined;
}

/** The revision fields a settings write keeps, with `enforcementRevision` bumped when what is enforced changed. */
export function revisionsAfter(current: EnforcementRevisions | undefined, changed: boolean): EnforcementRevisions {
  const kept: { enforcementRevision?: number; resyncedRevision?: number } = {};
  const revision = (current?.enforcementRevision ?? 0) + (changed ? 1 : 0);
  if (revision > 0) kept.enforcementRevision = revision;
  if (current?.resyncedRevision !== undefined) kept.resyncedRevision = current.resyncedRevision;
  return kept;
}

async function readRevisions(tables: TableStore, tenantId: string): Promise<{ enforcementRevision: number; resyncedRevision: number }> {
  const row = await readEntity(tables.table('connectorSettings'), revisionsSchema, tenantId, settingsRowKey);
  return { enforcementRevision: row?.enforcementRevision ?? 0, resyncedRevision: row?.resyncedRevision ?? 0 };
}

async function markResynced(tables: TableStore, tenantId: string, revision: number): Promise<void> {
  await updateEntity(
    tables.table('connectorSettings'),
    tenantId,
    settingsRowKey,
    (current) => {
      if (!current || (current.resyncedRevision ?? 0) >= revision) return NO_CHANGE;
      const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...fields } = current;
      return { ...fields, resyncedRevision: revision };
    },
    { schema: revisionsSchema },
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
  const now = services.clock.now();
  const resync = Math.floor(now.getTime() / 1000);
  const notBefore = new Date(now.getTime() + defaultSettingsCacheMs + 1_000);
  const nudges: Nudge[] = [];
  for await (const row of listAll(services.tables.table('devices'), {
    schema: deviceVersionSchema,
    filter: tenantDevicesFilter(tenantId),
    select: ['version'],
  })) {
    nudges.push({ tenantId, deviceId: row.rowKey, version: row.version, resync });
  }
  await sendNudges(services.queues, nudges, notBefore);
  await markResynced(services.tables, tenantId, enforcementRevision);
  return nudges.length;
}

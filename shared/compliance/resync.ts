/**
 * When a tenant changes what is enforced (state sync switches, the Intune target, the Entra attribute), every
 * device's desired targets change although no device changed: nudge them all, so each is pushed under the new
 * settings. The nudges are delivered after the queue function's settings cache has expired everywhere.
 */
import { z } from 'zod';
import type { ConnectorSettings } from '../domain/index.js';
import type { Services } from '../services.js';
import { tenantDevicesFilter } from '../devices/device.js';
import { listAll } from '../storage/index.js';
import { sendNudges, type Nudge } from './nudges.js';
import { defaultSettingsCacheMs } from './push.js';

const deviceVersionSchema = z.object({ version: z.number().int().default(1) });

export function enforcementChanged(before: ConnectorSettings, after: ConnectorSettings): boolean {
  return (
    JSON.stringify([before.stateSync, before.enforcement]) !== JSON.stringify([after.stateSync, after.enforcement])
  );
}

/** Nudges every device of the tenant; returns how many. */
export async function resyncTenantDevices(services: Services, tenantId: string): Promise<number> {
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
  return nudges.length;
}

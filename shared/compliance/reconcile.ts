/**
 * The safety net: for every active tenant, re-nudge each device whose last version is not yet pushed to every
 * target (`syncPending`), so a nudge lost in transit or a crash between a device write and its nudge loses nothing.
 * A version that was dead-lettered is left alone (it is reported; the device's next change is pushed again).
 * Nudges use the plain id `{deviceId}:{version}`, so one still in the queue is not duplicated.
 */
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { toError } from '../errors.js';
import type { QueueSenders } from '../queue.js';
import type { Logger } from '../services.js';
import { tenantDevicesFilter } from '../devices/device.js';
import { listAll, type TableStore } from '../storage/index.js';
import { listActiveTenants } from '../tenants/tenantRepository.js';
import { sendNudges, type Nudge } from './nudges.js';
import { resyncIfBehind } from './resync.js';

const pendingRowSchema = z.object({
  version: z.number().int().default(1),
  deadLetteredVersion: z.number().int().optional(),
});

export interface ReconcileSummary {
  tenants: number;
  nudged: number;
  /** Tenants whose pass failed (logged; the next run tries again). */
  failedTenants: number;
}

/** The nudges due for one tenant: one per device with `syncPending`. */
export async function pendingNudges(tables: TableStore, tenantId: string): Promise<Nudge[]> {
  const nudges: Nudge[] = [];
  const rows = listAll(tables.table('devices'), {
    schema: pendingRowSchema,
    filter: `${tenantDevicesFilter(tenantId)} and syncPending eq true`,
    select: ['version', 'deadLetteredVersion'],
  });
  for await (const row of rows) {
    if (row.deadLetteredVersion === row.version) continue;
    nudges.push({ tenantId, deviceId: row.rowKey, version: row.version });
  }
  return nudges;
}

export async function reconcile(deps: { tables: TableStore; queues: QueueSenders; log: Logger; clock: Clock }): Promise<ReconcileSummary> {
  const tenants = await listActiveTenants(deps.tables);
  const summary: ReconcileSummary = { tenants: tenants.length, nudged: 0, failedTenants: 0 };
  for (const tenant of tenants) {
    try {
      const nudges = await pendingNudges(deps.tables, tenant.tenantId);
      await sendNudges(deps.queues, nudges);
      summary.nudged += nudges.length;
      // A change of what is enforced that has not reached every device yet.
      summary.nudged += await resyncIfBehind(deps, tenant.tenantId);
    } catch (caught) {
      summary.failedTenants += 1;
      deps.log.error(`Reconcile: tenant ${tenant.tenantId} failed: ${toError(caught).message}`);
    }
  }
  return summary;
}

/**
 * The tenant-level facts discovery reads and reports: the poll interval from the connector settings, and the
 * connection health (`lastEnrollmentSyncAt`, `lastEnrollmentSyncResult`, last error) on the tenant's row.
 */
import type { Clock } from '../base/clock.js';
import { toError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { TableStore } from '../storage/index.js';
import { updateTenantHealth, type Tenant } from '../tenants/tenantRepository.js';

/**
 * Timer ticks land a little after the minute and a run records its start, so a tenant polled every N minutes is
 * due from N minutes minus this tolerance after its last run (else every other tick would just miss it).
 */
export const dueToleranceMs = 30_000;

/** Whether a tenant's enrollment poll interval has passed since its last sync (or it never synced). */
export function isSyncDue(tenant: Pick<Tenant, 'lastEnrollmentSyncAt'>, pollMinutes: number, now: Date): boolean {
  const last = tenant.lastEnrollmentSyncAt ? Date.parse(tenant.lastEnrollmentSyncAt) : Number.NaN;
  if (Number.isNaN(last)) return true;
  return now.getTime() - last >= pollMinutes * 60_000 - dueToleranceMs;
}

/** Reports a run into the tenant's connection health. Never throws (health is advisory). */
export async function recordSyncHealth(
  deps: { tables: TableStore; clock: Clock; log: Logger },
  tenantId: string,
  run: { at: string; result: 'ok' | 'partial' | 'failed'; error?: string },
): Promise<void> {
  try {
    await updateTenantHealth(deps.tables, tenantId, {
      lastEnrollmentSyncAt: run.at,
      lastEnrollmentSyncResult: run.result,
      ...(run.error
        ? { lastErrorAt: deps.clock.now().toISOString(), lastErrorKind: 'enrollment-sync', lastErrorMessage: run.error.slice(0, 500) }
        : {}),
    });
  } catch (caught) {
    deps.log.warn(`Could not record the enrollment sync health of tenant ${tenantId}: ${toError(caught).message}`);
  }
}

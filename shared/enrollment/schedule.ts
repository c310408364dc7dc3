/**
 * The enrollment timer's work: every active tenant whose `enrollmentPollMinutes` have passed since its last sync is
 * synced, a few tenants at a time. One tenant's failure never stops the others.
 */
import { toError } from '../base/errors.js';
import { listActiveTenants } from '../tenants/tenantRepository.js';
import { syncTenant, type EnrollmentDeps, type SyncOptions, type SyncOutcome } from './sync.js';
import { isSyncDue } from './tenantState.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';

export interface ScheduledRun {
  /** Active tenants looked at. */
  readonly tenants: number;
  /** Outcomes of the tenants that were due. */
  readonly outcomes: readonly SyncOutcome[];
}

export async function runDueEnrollmentSyncs(
  deps: EnrollmentDeps,
  options: SyncOptions & { concurrency?: number } = {},
): Promise<ScheduledRun> {
  const tenants = await listActiveTenants(deps.tables);
  const now = deps.clock.now();
  const due: string[] = [];
  for (const tenant of tenants) {
    try {
      const settings = await readConnectorSettings(deps.tables, tenant.tenantId);
      if (isSyncDue(tenant, settings.enrollmentPollMinutes, now)) due.push(tenant.tenantId);
    } catch (caught) {
      deps.log.warn(`Could not tell whether tenant ${tenant.tenantId} is due a sync: ${toError(caught).message}`);
    }
  }
  const outcomes: SyncOutcome[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < due.length) {
      const tenantId = due[next] ?? '';
      next += 1;
      outcomes.push(await syncTenant(deps, tenantId, options));
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, due.length)) }, () => worker()));
  return { tenants: tenants.length, outcomes };
}

/**
 * Changing a tenant's connector settings (on the tenant's row, read by shared/tenants/tenantConfig.ts):
 * a partial update from a full-access console user, every change audited.
 */
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { applySettingsUpdate } from '../domain/index.js';
import type { ConnectorSettings, ConnectorSettingsUpdate } from '../domain/index.js';
import type { DeviceRuntime } from '../devices/runtime.js';
import type { EventRecorder } from '../events/event.js';
import type { CorePorts } from '../ports.js';
import { NO_CHANGE } from '../storage/index.js';
import { toError } from '../base/errors.js';
import { enforcementChanged, resyncTenantDevices } from '../compliance/resync.js';
import { updateTenantConfig } from '../tenants/tenantConfig.js';
import { applyJobPeriods } from '../jobs/request.js';
import { requireVerifiedDomains } from './verifiedDomains.js';

/**
 * Changing settings: the audited write (`events` records the audit entry's event), the tenant's cached context
 * dropped in this process, and the resync and job periods that follow.
 */
export type SettingsUpdateDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'queues' | 'graph'> & {
  readonly events: EventRecorder;
  readonly devices: Pick<DeviceRuntime, 'tenants'>;
};

/**
 * Applies a partial update (already validated), audited with before and after; returns the settings now in force.
 * The settings, the revision of what is enforced and the row's `configVersion` change in one ETag write, so every
 * push that starts once this has answered reads the new settings.
 */
export async function updateConnectorSettings(
  services: SettingsUpdateDeps,
  principal: ConsolePrincipal,
  update: ConnectorSettingsUpdate,
): Promise<ConnectorSettings> {
  // Refused before anything is written, the audit entry included.
  if (update.errorReportRecipients) {
    await requireVerifiedDomains(services, principal.tenantId, update.errorReportRecipients, 'errorReportRecipients');
  }
  const { before, after } = await audited(
    services,
    principal,
    { action: 'connector.update', target: 'connector', request: update },
    async () => {
      const result = await updateTenantConfig(services.tables, principal.tenantId, (current) => {
        const next = applySettingsUpdate(current.settings, update);
        if (JSON.stringify(next) === JSON.stringify(current.settings)) return NO_CHANGE;
        return {
          settings: next,
          at: services.clock.now().toISOString(),
          by: principal.upn || principal.userId,
          ...(enforcementChanged(current.settings, next) ? { enforcementRevision: current.enforcementRevision + 1 } : {}),
        };
      });
      services.devices.tenants.invalidate(principal.tenantId);
      return { before: result.before.settings, after: result.after.settings };
    },
  );
  if (enforcementChanged(before, after)) {
    try {
      await resyncTenantDevices(services, principal.tenantId);
    } catch (caught) {
      // The change is saved and counted: the reconcile timer finishes the resync.
      services.log.warn(`Resync of tenant ${principal.tenantId} after a settings change failed; reconcile retries it: ${toError(caught).message}`);
    }
  }
  // A new poll or heartbeat interval moves the tenant's due rows for those jobs.
  try {
    await applyJobPeriods(services, principal.tenantId, before, after);
  } catch (caught) {
    services.log.warn(`Tenant ${principal.tenantId}: the new job periods were not applied to its schedule: ${toError(caught).message}`);
  }
  return after;
}

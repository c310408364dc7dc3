/**
 * A tenant's connector settings (`connectorSettings`, RowKey `settings`): read with defaults filled in, changed by a
 * partial update from a full-access console user, every change audited.
 */
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { applySettingsUpdate, connectorSettingsSchema, defaultConnectorSettings } from '../domain/index.js';
import type { ConnectorSettings, ConnectorSettingsUpdate } from '../domain/index.js';
import type { Services } from '../services.js';
import type { TableStore } from '../storage/index.js';
import { NO_CHANGE, readEntity, updateEntity } from '../storage/index.js';
import { toError } from '../errors.js';
import { enforcementChanged, resyncTenantDevices, revisionsAfter } from '../compliance/resync.js';
import { applyJobPeriods } from '../jobs/request.js';

export const settingsRowKey = 'settings';

const settingsRowSchema = z.looseObject({
  settings: z.string(),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
  enforcementRevision: z.number().int().optional(),
  resyncedRevision: z.number().int().optional(),
});

function parseSettings(text: string | undefined): ConnectorSettings {
  if (text === undefined) return structuredClone(defaultConnectorSettings);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return structuredClone(defaultConnectorSettings);
  }
  const parsed = connectorSettingsSchema.safeParse(json);
  return parsed.success ? parsed.data : structuredClone(defaultConnectorSettings);
}

/** The tenant's settings; the defaults for anything never set. */
export async function getConnectorSettings(tables: TableStore, tenantId: string): Promise<ConnectorSettings> {
  const row = await readEntity(tables.table('connectorSettings'), settingsRowSchema, tenantId, settingsRowKey);
  return parseSettings(row?.settings);
}

/** Applies a partial update (already validated), audited with before and after; returns the settings now in force. */
export async function updateConnectorSettings(
  services: Services,
  principal: ConsolePrincipal,
  update: ConnectorSettingsUpdate,
): Promise<ConnectorSettings> {
  const { before, after } = await audited(
    services,
    principal,
    { action: 'connector.update', target: 'connector', request: update },
    async () => {
      let before: ConnectorSettings = structuredClone(defaultConnectorSettings);
      let next: ConnectorSettings = before;
      await updateEntity(
        services.tables.table('connectorSettings'),
        principal.tenantId,
        settingsRowKey,
        (current) => {
          before = parseSettings(current?.settings);
          next = applySettingsUpdate(before, update);
          if (current && JSON.stringify(next) === JSON.stringify(before)) return NO_CHANGE;
          return {
            settings: JSON.stringify(next),
            updatedAt: services.clock.now().toISOString(),
            updatedBy: principal.upn || principal.userId,
            ...revisionsAfter(current, enforcementChanged(before, next)),
          };
        },
        { schema: settingsRowSchema },
      );
      return { before, after: next };
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

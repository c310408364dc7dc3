/**
 * The heartbeat-check timer's work, for every active tenant: the disconnect sweep, and the connector heartbeat to
 * Intune when it is due (every `heartbeatFrequencyMinutes`, for tenants enforcing through the Intune partner API).
 * One tenant's failure never stops the others.
 */
import { recordError } from '../errorReports/errorReports.js';
import { toError } from '../base/errors.js';
import { toGraphError } from '../graph/graphError.js';
import type { CorePorts } from '../ports.js';
import { listActiveTenants, updateTenantHealth, type Tenant } from '../tenants/tenantRepository.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { ConnectorNotIdentified, heartbeatDue, sendConnectorHeartbeat } from './connectorHeartbeat.js';
import { sweepDisconnected } from './disconnectSweep.js';
import { checkInWriteIntervalMs } from '../devices/heartbeat.js';

export type ConnectorHeartbeatOutcome = 'sent' | 'failed' | 'not-due' | 'not-enforced';

export interface TenantHeartbeatCheck {
  readonly tenantId: string;
  readonly disconnected: number;
  readonly connectorHeartbeat: ConnectorHeartbeatOutcome;
  /** Set when the tenant's check failed outright. */
  readonly error?: string;
}

/** What the heartbeat check uses: Intune (the heartbeat), the tenants' rows and devices, the queues and the log. */
export type HeartbeatCheckDeps = Pick<CorePorts, 'config' | 'clock' | 'log' | 'tables' | 'queues' | 'graph'>;

export interface HeartbeatCheckOptions {
  /** The partner's connector id in Intune, when known (otherwise the tenant's only connector is used). */
  readonly connectorId?: string;
}

function heartbeatFailure(caught: unknown): string {
  if (caught instanceof ConnectorNotIdentified) return caught.message;
  const error = toGraphError(caught);
  return `${error.code} (${error.status}): ${error.message}`;
}

export async function connectorHeartbeat(
  services: Pick<CorePorts, 'graph' | 'log' | 'tables' | 'clock'>,
  tenant: Tenant,
  now: Date,
  options: HeartbeatCheckOptions,
): Promise<ConnectorHeartbeatOutcome> {
  const at = now.toISOString();
  try {
    await sendConnectorHeartbeat(services.graph.intune(tenant.tenantId), now, options.connectorId);
  } catch (caught) {
    const message = `Connector heartbeat to Intune failed: ${heartbeatFailure(caught)}`;
    services.log.warn(`Tenant ${tenant.tenantId}: ${message}`);
    await updateTenantHealth(services.tables, tenant.tenantId, {
      lastConnectorHeartbeatAt: at,
      lastConnectorHeartbeatResult: 'failed',
      lastErrorAt: at,
      lastErrorKind: 'connector-heartbeat',
      lastErrorMessage: message,
    });
    await recordError(services, tenant.tenantId, { kind: 'connector-heartbeat', message });
    return 'failed';
  }
  await updateTenantHealth(services.tables, tenant.tenantId, { lastConnectorHeartbeatAt: at, lastConnectorHeartbeatResult: 'ok' });
  return 'sent';
}

export async function checkTenant(
  services: HeartbeatCheckDeps,
  tenant: Tenant,
  options: HeartbeatCheckOptions = {},
): Promise<TenantHeartbeatCheck> {
  const now = services.clock.now();
  const settings = await readConnectorSettings(services.tables, tenant.tenantId);
  const disconnected = await sweepDisconnected(services, tenant.tenantId, settings.disconnectedAfterDays, now, checkInWriteIntervalMs(services));
  let outcome: ConnectorHeartbeatOutcome = 'not-enforced';
  if (settings.enforcement.intunePartner) {
    const due = heartbeatDue(
      { at: tenant.lastConnectorHeartbeatAt, result: tenant.lastConnectorHeartbeatResult },
      settings.heartbeatFrequencyMinutes,
      now,
    );
    outcome = due ? await connectorHeartbeat(services, tenant, now, options) : 'not-due';
  }
  return { tenantId: tenant.tenantId, disconnected, connectorHeartbeat: outcome };
}

export async function runHeartbeatCheck(services: HeartbeatCheckDeps, options: HeartbeatCheckOptions = {}): Promise<TenantHeartbeatCheck[]> {
  const tenants = await listActiveTenants(services.tables);
  const results: TenantHeartbeatCheck[] = [];
  const queue = [...tenants];
  const worker = async (): Promise<void> => {
    for (let tenant = queue.shift(); tenant; tenant = queue.shift()) {
      try {
        results.push(await checkTenant(services, tenant, options));
      } catch (caught) {
        const message = toError(caught).message;
        services.log.error(`Heartbeat check failed for tenant ${tenant.tenantId}: ${message}`);
        results.push({ tenantId: tenant.tenantId, disconnected: 0, connectorHeartbeat: 'failed', error: message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, tenants.length) }, worker));
  return results;
}

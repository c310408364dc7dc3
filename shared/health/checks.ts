/**
 * The checks of connector health, each reading its figures through the slice that owns them: consent (the probe),
 * discovery (the tenant's row and its enrollment groups), the Intune connector (read from Intune), the push backlog
 * (devices), dead letters (compliance) and webhook endpoints (webhooks). A check that cannot run is `degraded`.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { toError } from '../base/errors.js';
import { countDeadLetters } from '../compliance/deadLetterCounts.js';
import { readPendingPushes } from '../devices/pendingPushes.js';
import { listGroupStates } from '../enrollment/groupHealth.js';
import { redact } from '../errorReports/errorReports.js';
import { findConnectorId } from '../heartbeat/connectorHeartbeat.js';
import type { CorePorts } from '../ports.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { getTenant } from '../tenants/tenantRepository.js';
import { listEndpointStates } from '../webhooks/endpointStates.js';
import { missingPermissions, requiredPermissions } from '../onboarding/permissions.js';
import { worst, type CheckResult, type HealthCheck, type HealthReport, type HealthStatus } from './report.js';
import type { HealthRuntime } from './runtime.js';

export type HealthCheckDeps = Pick<CorePorts, 'tables' | 'clock' | 'graph' | 'config'> & { readonly health: Pick<HealthRuntime, 'probeConsent'> };

const minute = 60_000;
const hour = 60 * minute;

function ago(ms: number): string {
  if (ms < 2 * minute) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 2 * hour) return `${Math.round(ms / minute)} min`;
  if (ms < 48 * hour) return `${Math.round(ms / hour)} h`;
  return `${Math.round(ms / (24 * hour))} days`;
}

async function consentCheck(deps: HealthCheckDeps, tenantId: string): Promise<CheckResult> {
  const probe = await deps.health.probeConsent(tenantId);
  if (probe.ok) {
    // As at consent: the token must carry every application permission the connector needs.
    const missing = missingPermissions(probe.roles, requiredPermissions(deps.config));
    if (missing.length === 0) {
      return { name: 'consent', status: 'healthy', detail: 'An app-only token for Microsoft Graph was obtained for this tenant, with every permission the connector needs.' };
    }
    return {
      name: 'consent',
      status: 'unhealthy',
      detail: `The app's token for this tenant lacks these Microsoft Graph application permissions: ${missing.join(', ')}. An administrator must grant them (admin consent) before the connector can work.`,
    };
  }
  return {
    name: 'consent',
    status: 'unhealthy',
    detail: `No app-only token could be obtained (${probe.detail}). Admin consent may have been revoked: an administrator must grant it again, and until then nothing reaches Intune or Entra ID.`,
  };
}

async function discoveryCheck(deps: HealthCheckDeps, tenantId: string, pollMinutes: number, now: Date): Promise<CheckResult> {
  const tenant = await getTenant(deps.tables, tenantId);
  const groups = await listGroupStates(deps.tables, tenantId);
  const unresolved = groups.filter((group) => group.status !== undefined && group.status !== 'resolved' && group.status !== 'unchecked');
  const problems: string[] = [];
  let status: HealthStatus = 'healthy';
  const lastAt = tenant?.lastEnrollmentSyncAt;
  const result = tenant?.lastEnrollmentSyncResult;
  if (!lastAt) {
    status = 'degraded';
    problems.push('Discovery has not run yet.');
  } else {
    const age = now.getTime() - Date.parse(lastAt);
    if (result === 'failed') {
      status = 'unhealthy';
      problems.push(`The last discovery run (${ago(age)} ago) failed${tenant?.lastErrorKind === 'enrollment-sync' && tenant.lastErrorMessage ? `: ${tenant.lastErrorMessage}` : ''}.`);
    } else if (result === 'partial') {
      status = worst([status, 'degraded']);
      problems.push(`The last discovery run (${ago(age)} ago) was partial: some groups could not be read.`);
    }
    const expected = Math.max(3 * pollMinutes, 15) * minute;
    if (age > expected) {
      status = worst([status, 'degraded']);
      problems.push(`Discovery last ran ${ago(age)} ago; it should run every ${pollMinutes} min.`);
    }
  }
  if (groups.length === 0) {
    status = worst([status, 'degraded']);
    problems.push('No enrollment groups are configured, so no device is discovered.');
  } else if (unresolved.length > 0) {
    status = worst([status, 'degraded']);
    const names = unresolved.slice(0, 5).map((group) => `"${group.displayName}" (${group.status ?? 'unknown'})`);
    problems.push(`${unresolved.length} enrollment group${unresolved.length === 1 ? '' : 's'} did not resolve: ${names.join(', ')}${unresolved.length > 5 ? ', ...' : ''}.`);
  }
  if (problems.length > 0) return { name: 'discovery', status, detail: problems.join(' ') };
  return {
    name: 'discovery',
    status,
    detail: `Last run ${ago(now.getTime() - Date.parse(lastAt ?? now.toISOString()))} ago (${result ?? 'ok'}); ${groups.length} enrollment group${groups.length === 1 ? '' : 's'} resolved.`,
  };
}

const connectorSchema = z.looseObject({
  id: z.string(),
  partnerState: z.string().optional(),
  lastHeartbeatDateTime: z.string().nullable().optional(),
  partnerUnresponsivenessThresholdInDays: z.number().int().nullable().optional(),
});

/**
 * How long without a heartbeat before the check warns: half of Intune's threshold at most, and at least three
 * heartbeat intervals (so one late heartbeat is not a warning). With the defaults (7 days, every 60 min): 3 hours,
 * almost 7 days before Intune would stop using the partner's data.
 */
export function heartbeatWarnAfterMs(thresholdDays: number, heartbeatFrequencyMinutes: number): number {
  return Math.min((thresholdDays * 24 * hour) / 2, Math.max(3 * heartbeatFrequencyMinutes, 60) * minute);
}

async function readConnector(intune: Client, knownId: string | undefined): Promise<z.output<typeof connectorSchema>> {
  const id = await findConnectorId(intune, knownId);
  const raw: unknown = await intune.api(`/deviceManagement/mobileThreatDefenseConnectors/${encodeURIComponent(id)}`).get();
  const parsed = connectorSchema.safeParse(raw);
  if (!parsed.success) throw new Error('Intune answered the connector read with an unexpected shape.');
  return parsed.data;
}

async function intuneConnectorCheck(
  deps: HealthCheckDeps,
  tenantId: string,
  settings: { intunePartner: boolean; heartbeatFrequencyMinutes: number },
  now: Date,
): Promise<CheckResult> {
  const name = 'intuneConnector';
  if (!settings.intunePartner) return { name, status: 'healthy', detail: 'Not used: Intune partner enforcement is off for this tenant.' };
  let connector: z.output<typeof connectorSchema>;
  try {
    connector = await readConnector(deps.graph.intune(tenantId), deps.config.INTUNE_MTD_CONNECTOR_ID);
  } catch (caught) {
    return { name, status: 'degraded', detail: `The Mobile Threat Defense connector could not be read from Intune: ${redact(toError(caught).message)}` };
  }
  const state = connector.partnerState ?? 'unknown';
  const thresholdDays = connector.partnerUnresponsivenessThresholdInDays ?? 7;
  const lastMs = connector.lastHeartbeatDateTime ? Date.parse(connector.lastHeartbeatDateTime) : Number.NaN;
  const hasHeartbeat = Number.isFinite(lastMs) && new Date(lastMs).getUTCFullYear() >= 2000;
  const age = hasHeartbeat ? now.getTime() - lastMs : Number.POSITIVE_INFINITY;
  const thresholdMs = thresholdDays * 24 * hour;
  const left = thresholdMs - age;
  if (state === 'unresponsive') {
    return { name, status: 'unhealthy', detail: `Intune marks the partner unresponsive (no heartbeat for ${thresholdDays} days): it no longer uses our threat data for compliance.` };
  }
  if (state === 'unavailable' || state === 'notSetUp' || state === 'error') {
    return { name, status: 'unhealthy', detail: `Intune reports the connector as "${state}": an Intune administrator must set up or repair the Mobile Threat Defense connector.` };
  }
  if (!hasHeartbeat || state === 'available') {
    return { name, status: 'degraded', detail: `The connector is "${state}" in Intune and has ${hasHeartbeat ? `not been enabled (last heartbeat ${ago(age)} ago)` : 'never received a heartbeat'}.` };
  }
  if (age >= thresholdMs) {
    return { name, status: 'unhealthy', detail: `No heartbeat for ${ago(age)}: past Intune's ${thresholdDays}-day threshold, Intune stops using the partner's data.` };
  }
  if (age >= heartbeatWarnAfterMs(thresholdDays, settings.heartbeatFrequencyMinutes)) {
    return { name, status: 'degraded', detail: `No heartbeat for ${ago(age)} (expected every ${settings.heartbeatFrequencyMinutes} min); Intune stops using the partner's data after ${thresholdDays} days without one, in ${ago(left)}.` };
  }
  return { name, status: 'healthy', detail: `"${state}"; last heartbeat ${ago(age)} ago (Intune's threshold: ${thresholdDays} days).` };
}

/** Pages of the pending-push index read at most per check (1,000 rows a page). */
const backlogPages = 5;

/**
 * The devices waiting for a push. Bounded: at most 5 pages of the pending-push index; beyond them the count is a
 * floor and the oldest wait is the oldest among the rows read (the detail says so).
 */
async function pushBacklogCheck(deps: HealthCheckDeps, tenantId: string, now: Date): Promise<CheckResult> {
  const name = 'pushBacklog';
  const { waiting, oldestNudgedMs, truncated } = await readPendingPushes(deps.tables, tenantId, backlogPages);
  if (waiting === 0) return { name, status: 'healthy', detail: 'No device is waiting for a push to Intune or Entra ID.' };
  const wait = oldestNudgedMs !== undefined ? Math.max(0, now.getTime() - oldestNudgedMs) : 0;
  const status: HealthStatus = wait > 2 * hour ? 'unhealthy' : wait > 15 * minute ? 'degraded' : 'healthy';
  return {
    name,
    status,
    detail:
      `${truncated ? `More than ${waiting}` : String(waiting)} device${waiting === 1 ? ' is' : 's are'} waiting for a push; ` +
      `the oldest${truncated ? ' of those read' : ''} was nudged ${ago(wait)} ago.`,
  };
}

async function deadLettersCheck(deps: HealthCheckDeps, tenantId: string, now: Date): Promise<CheckResult> {
  const name = 'deadLetters';
  const { recent, total, more } = await countDeadLetters(deps.tables, tenantId, new Date(now.getTime() - 24 * hour));
  if (recent > 0) {
    return {
      name,
      status: 'degraded',
      detail: `${recent} device update${recent === 1 ? ' was' : 's were'} dead-lettered in the last 24 h after every retry failed; those devices show as out of sync and are pushed again on their next change.`,
    };
  }
  return { name, status: 'healthy', detail: total === 0 ? 'No dead-lettered messages.' : `No dead-lettered messages in the last 24 h (${total}${more ? '+' : ''} older).` };
}

async function webhooksCheck(deps: HealthCheckDeps, tenantId: string): Promise<CheckResult> {
  const name = 'webhooks';
  const endpoints = await listEndpointStates(deps.tables, tenantId);
  if (endpoints.length === 0) return { name, status: 'healthy', detail: 'No webhook endpoints.' };
  const failing = endpoints.filter((endpoint) => endpoint.enabled && endpoint.failingSince !== undefined);
  const gone = endpoints.filter((endpoint) => !endpoint.enabled && (endpoint.disabledReason ?? '').includes('410'));
  if (failing.length === 0 && gone.length === 0) {
    return { name, status: 'healthy', detail: `${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}, none failing.` };
  }
  const parts = [
    ...failing.slice(0, 5).map((endpoint) => `${endpoint.url} failing since ${endpoint.failingSince ?? '?'} (${endpoint.lastFailure ?? 'no detail'})`),
    ...gone.slice(0, 5).map((endpoint) => `${endpoint.url} disabled after answering 410 Gone`),
  ];
  return { name, status: 'degraded', detail: `${failing.length + gone.length} of ${endpoints.length} endpoints need attention: ${parts.join('; ')}.` };
}

async function guarded(name: HealthCheck['name'], run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (caught) {
    return { name, status: 'degraded', detail: `Could not be checked just now: ${redact(toError(caught).message)}` };
  }
}

/** Runs every check now (no cache). */
export async function evaluateHealth(deps: HealthCheckDeps, tenantId: string): Promise<HealthReport> {
  const now = deps.clock.now();
  const checkedAt = now.toISOString();
  const settings = await readConnectorSettings(deps.tables, tenantId);
  const checks = await Promise.all([
    guarded('consent', () => consentCheck(deps, tenantId)),
    guarded('discovery', () => discoveryCheck(deps, tenantId, settings.enrollmentPollMinutes, now)),
    guarded('intuneConnector', () =>
      intuneConnectorCheck(deps, tenantId, { intunePartner: settings.enforcement.intunePartner, heartbeatFrequencyMinutes: settings.heartbeatFrequencyMinutes }, now),
    ),
    guarded('pushBacklog', () => pushBacklogCheck(deps, tenantId, now)),
    guarded('deadLetters', () => deadLettersCheck(deps, tenantId, now)),
    guarded('webhooks', () => webhooksCheck(deps, tenantId)),
  ]);
  const withTime = checks.map((check) => ({ ...check, checkedAt }));
  return { status: worst(withTime.map((check) => check.status)), checks: withTime };
}

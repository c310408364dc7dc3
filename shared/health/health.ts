/**
 * Connector health for the console (`GET /api/v1/console/health`): named checks, each `healthy`, `degraded` or
 * `unhealthy`, and the worst of them as the overall status. A tenant's report is kept briefly per process, so a
 * console polling it costs little. A change of the overall status (compared with the tenant's `tenantHealth` row,
 * changed with its ETag so only one instance reports it) is an event (`connector.health_changed`) and an entry of the
 * tenant's error report, which the mail timer sends to its recipients.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Config } from '../base/config.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { pendingIndexPrefix } from '../devices/deviceIndex.js';
import { recordError, redact } from '../errorReports/errorReports.js';
import { statusOf, toError } from '../base/errors.js';
import { healthStatusSchema, serviceEventSchema, toEvent, type EventOf } from '../events/event.js';
import { defaultCredentialFactory, graphScope } from '../graph/graphAccess.js';
import { findConnectorId } from '../heartbeat/connectorHeartbeat.js';
import type { Services } from '../app/services.js';
import { listPage, odata, readEntity, type Page, type StoredEntity } from '../storage/index.js';
import { getTenant } from '../tenants/tenantRepository.js';
import { listEndpointRows } from '../webhooks/endpoints.js';

export { healthStatusSchema };
export type HealthStatus = z.output<typeof healthStatusSchema>;

export const healthCheckSchema = z.object({
  name: z.enum(['consent', 'discovery', 'intuneConnector', 'pushBacklog', 'deadLetters', 'webhooks']),
  status: healthStatusSchema,
  detail: z.string(),
  checkedAt: z.string(),
});
export type HealthCheck = z.output<typeof healthCheckSchema>;

export const healthReportSchema = z.object({
  status: healthStatusSchema.describe('The worst status among the checks.'),
  checks: z.array(healthCheckSchema),
});
export type HealthReport = z.output<typeof healthReportSchema>;

const rank: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

export function worst(statuses: readonly HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((acc, status) => (rank[status] > rank[acc] ? status : acc), 'healthy');
}

export type ConsentProbe = (tenantId: string) => Promise<{ ok: true } | { ok: false; detail: string }>;

export interface HealthRuntime {
  /** Obtains a fresh app token for the tenant (no cached token), proving consent still stands. */
  readonly probeConsent: ConsentProbe;
  readonly cache: LRUCache<string, HealthReport>;
}

/** The default probe: a new credential each time, so no token cached by an earlier call can hide a revoked consent. */
export function tokenConsentProbe(config: Config): ConsentProbe {
  const credentialFor = defaultCredentialFactory(config);
  const scope = graphScope(config.GRAPH_BASE_URL);
  return async (tenantId) => {
    try {
      const token = await credentialFor(tenantId).getToken(scope);
      return token ? { ok: true } : { ok: false, detail: 'Entra ID returned no token.' };
    } catch (caught) {
      const message = toError(caught).message;
      const code = /AADSTS\d+/.exec(message)?.[0];
      return { ok: false, detail: redact(code ? `${code}: ${message.slice(message.indexOf(code) + code.length + 1).split(/\.\s/)[0] ?? ''}` : message.split('\n')[0] ?? '') };
    }
  };
}

export function createHealthRuntime(config: Config, options: { ttlMs?: number; probeConsent?: ConsentProbe } = {}): HealthRuntime {
  return {
    probeConsent: options.probeConsent ?? tokenConsentProbe(config),
    cache: new LRUCache<string, HealthReport>({ max: 10_000, ttl: Math.max(1, options.ttlMs ?? 30_000) }),
  };
}

type HealthServices = Pick<Services, 'tables' | 'clock' | 'log' | 'graph' | 'config' | 'queues' | 'health' | 'events'>;

const minute = 60_000;
const hour = 60 * minute;

function ago(ms: number): string {
  if (ms < 2 * minute) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 2 * hour) return `${Math.round(ms / minute)} min`;
  if (ms < 48 * hour) return `${Math.round(ms / hour)} h`;
  return `${Math.round(ms / (24 * hour))} days`;
}

async function consentCheck(services: HealthServices, tenantId: string): Promise<Omit<HealthCheck, 'checkedAt'>> {
  const probe = await services.health.probeConsent(tenantId);
  if (probe.ok) return { name: 'consent', status: 'healthy', detail: 'An app-only token for Microsoft Graph was obtained for this tenant.' };
  return {
    name: 'consent',
    status: 'unhealthy',
    detail: `No app-only token could be obtained (${probe.detail}). Admin consent may have been revoked: an administrator must grant it again, and until then nothing reaches Intune or Entra ID.`,
  };
}

const groupRow = z.looseObject({ displayName: z.string(), status: z.string().optional() });

async function discoveryCheck(services: HealthServices, tenantId: string, pollMinutes: number, now: Date): Promise<Omit<HealthCheck, 'checkedAt'>> {
  const tenant = await getTenant(services.tables, tenantId);
  const page = await listPage(services.tables.table('enrollmentGroups'), { schema: groupRow, filter: odata`PartitionKey eq ${tenantId}`, limit: 100 });
  const groups = page.items;
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
  services: HealthServices,
  tenantId: string,
  settings: { intunePartner: boolean; heartbeatFrequencyMinutes: number },
  now: Date,
): Promise<Omit<HealthCheck, 'checkedAt'>> {
  const name = 'intuneConnector';
  if (!settings.intunePartner) return { name, status: 'healthy', detail: 'Not used: Intune partner enforcement is off for this tenant.' };
  let connector: z.output<typeof connectorSchema>;
  try {
    connector = await readConnector(services.graph.intune(tenantId), services.config.INTUNE_MTD_CONNECTOR_ID);
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
 * The devices waiting for a push, from the pending-push index rows beside the device rows (`~p|{nudged ms}|{deviceId}`,
 * shared/devices/deviceIndex.ts): a RowKey range in each of the tenant's device partitions, so the read examines
 * only devices that wait. Bounded: at most 5 pages; beyond them the count is a floor and the oldest wait is the
 * oldest among the rows read (the detail says so).
 */
async function pushBacklogCheck(services: HealthServices, tenantId: string, now: Date): Promise<Omit<HealthCheck, 'checkedAt'>> {
  const name = 'pushBacklog';
  const filter = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`} and RowKey ge ${pendingIndexPrefix} and RowKey lt ${`${pendingIndexPrefix.slice(0, -1)}}`}`;
  let waiting = 0;
  let oldestMs = Number.POSITIVE_INFINITY;
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<StoredEntity<Record<string, unknown>>> = await listPage(services.tables.table('devices'), {
      schema: z.record(z.string(), z.unknown()),
      filter,
      select: ['deviceId'],
      limit: 1_000,
      cursor,
    });
    for (const row of page.items) {
      waiting += 1;
      const ms = Number(row.rowKey.slice(pendingIndexPrefix.length, pendingIndexPrefix.length + 13));
      if (Number.isFinite(ms) && ms > 0 && ms < oldestMs) oldestMs = ms;
    }
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < backlogPages);
  if (waiting === 0) return { name, status: 'healthy', detail: 'No device is waiting for a push to Intune or Entra ID.' };
  const wait = Number.isFinite(oldestMs) ? Math.max(0, now.getTime() - oldestMs) : 0;
  const truncated = cursor !== null;
  const status: HealthStatus = wait > 2 * hour ? 'unhealthy' : wait > 15 * minute ? 'degraded' : 'healthy';
  return {
    name,
    status,
    detail:
      `${truncated ? `More than ${waiting}` : String(waiting)} device${waiting === 1 ? ' is' : 's are'} waiting for a push; ` +
      `the oldest${truncated ? ' of those read' : ''} was nudged ${ago(wait)} ago.`,
  };
}

const deadLetterRow = z.looseObject({ at: z.string().optional() });

async function deadLettersCheck(services: HealthServices, tenantId: string, now: Date): Promise<Omit<HealthCheck, 'checkedAt'>> {
  const name = 'deadLetters';
  const page = await listPage(services.tables.table('deadLetters'), { schema: deadLetterRow, filter: odata`PartitionKey eq ${tenantId}`, select: ['at'], limit: 1_000 });
  const recent = page.items.filter((row) => row.at !== undefined && now.getTime() - Date.parse(row.at) < 24 * hour).length;
  if (recent > 0) {
    return {
      name,
      status: 'degraded',
      detail: `${recent} device update${recent === 1 ? ' was' : 's were'} dead-lettered in the last 24 h after every retry failed; those devices show as out of sync and are pushed again on their next change.`,
    };
  }
  const total = page.items.length;
  return { name, status: 'healthy', detail: total === 0 ? 'No dead-lettered messages.' : `No dead-lettered messages in the last 24 h (${total}${page.nextCursor ? '+' : ''} older).` };
}

async function webhooksCheck(services: HealthServices, tenantId: string): Promise<Omit<HealthCheck, 'checkedAt'>> {
  const name = 'webhooks';
  const endpoints = await listEndpointRows(services, tenantId);
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

async function guarded(name: HealthCheck['name'], run: () => Promise<Omit<HealthCheck, 'checkedAt'>>): Promise<Omit<HealthCheck, 'checkedAt'>> {
  try {
    return await run();
  } catch (caught) {
    return { name, status: 'degraded', detail: `Could not be checked just now: ${redact(toError(caught).message)}` };
  }
}

const healthRowSchema = z.object({
  status: healthStatusSchema,
  changedAt: z.string(),
  checkedAt: z.string(),
  /** The `connector.health_changed` event of the last change until it is recorded and reported (JSON). */
  pendingEvent: z.string().optional(),
});
export const healthRowKey = 'status';

/** Runs every check now (no cache). */
export async function evaluateHealth(services: HealthServices, tenantId: string): Promise<HealthReport> {
  const now = services.clock.now();
  const checkedAt = now.toISOString();
  const settings = await readConnectorSettings(services.tables, tenantId);
  const checks = await Promise.all([
    guarded('consent', () => consentCheck(services, tenantId)),
    guarded('discovery', () => discoveryCheck(services, tenantId, settings.enrollmentPollMinutes, now)),
    guarded('intuneConnector', () =>
      intuneConnectorCheck(services, tenantId, { intunePartner: settings.enforcement.intunePartner, heartbeatFrequencyMinutes: settings.heartbeatFrequencyMinutes }, now),
    ),
    guarded('pushBacklog', () => pushBacklogCheck(services, tenantId, now)),
    guarded('deadLetters', () => deadLettersCheck(services, tenantId, now)),
    guarded('webhooks', () => webhooksCheck(services, tenantId)),
  ]);
  const withTime = checks.map((check) => ({ ...check, checkedAt }));
  return { status: worst(withTime.map((check) => check.status)), checks: withTime };
}

/** A change left unfinished this long (its process stopped) is finished by the next instance that looks. */
const unfinishedAfterMs = 60_000;

type HealthChanged = EventOf<'connector.health_changed'>;

function pendingChange(raw: string | undefined): HealthChanged | undefined {
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const result = serviceEventSchema.safeParse(parsed);
  return result.success && result.data.type === 'connector.health_changed' ? result.data : undefined;
}

/**
 * Compares the overall status with the tenant's `tenantHealth` row and, when it changed, records the change: the
 * row first (with its ETag, so of several instances only one reports it) carrying the change's event, then the event
 * (through the event outbox: the feed, and webhooks once) and the error report (mailed by the mail job), then the row
 * drops the event. A change whose process stopped before it was reported is reported by the next look at the row,
 * with the same event id (the feed takes an id once).
 */
export async function noteHealth(services: HealthServices, tenantId: string, report: HealthReport): Promise<void> {
  const table = services.tables.table('tenantHealth');
  let row = await readEntity(table, healthRowSchema, tenantId, healthRowKey);
  const now = services.clock.now();
  const unfinished = pendingChange(row?.pendingEvent);
  // An earlier change not reported yet: reported before a newer one replaces it, or once its process is surely gone.
  if (row && unfinished && (row.status !== report.status || now.getTime() - Date.parse(row.changedAt) >= unfinishedAfterMs)) {
    await reportChange(services, tenantId, unfinished, row.etag);
    row = await readEntity(table, healthRowSchema, tenantId, healthRowKey);
  }
  const previous: HealthStatus = row?.status ?? 'healthy';
  if (previous === report.status) return;
  const at = now.toISOString();
  const event = toEvent(tenantId, { type: 'connector.health_changed', occurredAt: at, data: { status: report.status, previous, checks: report.checks } });
  if (event.type !== 'connector.health_changed') return;
  const entity = { partitionKey: tenantId, rowKey: healthRowKey, status: report.status, changedAt: at, checkedAt: at, pendingEvent: JSON.stringify(event) };
  let etag: string | undefined;
  try {
    etag = row ? (await table.updateEntity(entity, 'Replace', { etag: row.etag })).etag : (await table.createEntity(entity)).etag;
  } catch (caught) {
    // Another instance recorded this change first.
    if (statusOf(caught) === 412 || statusOf(caught) === 409) return;
    throw caught;
  }
  await reportChange(services, tenantId, event, etag);
}

/** Records a health change's event and error report, then clears it from the row (unless the row moved on). */
async function reportChange(services: HealthServices, tenantId: string, event: HealthChanged, etag: string | undefined): Promise<void> {
  const { status, previous, checks } = event.data;
  await services.events.recordEvents(tenantId, [event]);
  const reasons = checks.filter((check) => check.status !== 'healthy').map((check) => `${check.name}: ${check.detail}`);
  await recordError(services, tenantId, {
    kind: 'connector-health',
    message: `Connector health changed from ${previous} to ${status}${reasons.length > 0 ? ` (${reasons.join(' | ')})` : ''}`,
  });
  if (!etag) return;
  try {
    await services.tables
      .table('tenantHealth')
      .updateEntity({ partitionKey: tenantId, rowKey: healthRowKey, status, changedAt: event.occurredAt, checkedAt: event.occurredAt }, 'Replace', { etag });
  } catch (caught) {
    if (statusOf(caught) !== 412 && statusOf(caught) !== 404) throw caught;
  }
}

/** The tenant's health, from the brief per-process cache when fresh. */
export async function tenantHealth(services: HealthServices, tenantId: string): Promise<HealthReport> {
  const cached = services.health.cache.get(tenantId);
  if (cached) return cached;
  const report = await evaluateHealth(services, tenantId);
  services.health.cache.set(tenantId, report);
  try {
    await noteHealth(services, tenantId, report);
  } catch (caught) {
    services.log.error(`Could not record a health change for tenant ${tenantId}: ${toError(caught).message}`);
  }
  return report;
}

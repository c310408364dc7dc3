/**
 * The tenant's last known overall health (`tenantHealth` row) and its changes. A change of the overall status,
 * written with the row's ETag so only one instance reports it, is an event (`connector.health_changed`) and an entry
 * of the tenant's error report, which the mail job sends to its recipients.
 */
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { recordError } from '../errorReports/errorReports.js';
import { healthStatusSchema, serviceEventSchema, toEvent, type EventOf } from '../events/event.js';
import type { EventRuntime } from '../events/runtime.js';
import type { CorePorts } from '../ports.js';
import { readEntity } from '../storage/index.js';
import { updateTenantIndex } from '../tenants/providerIndex.js';
import type { HealthReport, HealthStatus } from './report.js';

export type HealthChangeDeps = Pick<CorePorts, 'tables' | 'clock' | 'log'> & { readonly events: Pick<EventRuntime, 'recordEvents'> };

const healthRowSchema = z.object({
  status: healthStatusSchema,
  changedAt: z.string(),
  checkedAt: z.string(),
  /** The `connector.health_changed` event of the last change until it is recorded and reported (JSON). */
  pendingEvent: z.string().optional(),
});
export const healthRowKey = 'status';

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
export async function noteHealth(deps: HealthChangeDeps, tenantId: string, report: HealthReport): Promise<void> {
  const table = deps.tables.table('tenantHealth');
  let row = await readEntity(table, healthRowSchema, tenantId, healthRowKey);
  const now = deps.clock.now();
  const unfinished = pendingChange(row?.pendingEvent);
  // An earlier change not reported yet: reported before a newer one replaces it, or once its process is surely gone.
  if (row && unfinished && (row.status !== report.status || now.getTime() - Date.parse(row.changedAt) >= unfinishedAfterMs)) {
    await reportChange(deps, tenantId, unfinished, row.etag);
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
  // The provider's tenant list shows the change at once (the hourly refresh would repair a miss).
  try {
    await updateTenantIndex(deps.tables, tenantId, { health: report.status }, now);
  } catch (caught) {
    deps.log.warn(`Tenant ${tenantId}: the provider's index was not told the health change: ${caught instanceof Error ? caught.message : 'error'}`);
  }
  await reportChange(deps, tenantId, event, etag);
}

/** Records a health change's event and error report, then clears it from the row (unless the row moved on). */
async function reportChange(deps: HealthChangeDeps, tenantId: string, event: HealthChanged, etag: string | undefined): Promise<void> {
  const { status, previous, checks } = event.data;
  await deps.events.recordEvents(tenantId, [event]);
  const reasons = checks.filter((check) => check.status !== 'healthy').map((check) => `${check.name}: ${check.detail}`);
  await recordError(deps, tenantId, {
    kind: 'connector-health',
    message: `Connector health changed from ${previous} to ${status}${reasons.length > 0 ? ` (${reasons.join(' | ')})` : ''}`,
  });
  if (!etag) return;
  try {
    await deps.tables
      .table('tenantHealth')
      .updateEntity({ partitionKey: tenantId, rowKey: healthRowKey, status, changedAt: event.occurredAt, checkedAt: event.occurredAt }, 'Replace', { etag });
  } catch (caught) {
    if (statusOf(caught) !== 412 && statusOf(caught) !== 404) throw caught;
  }
}

/**
 * Threat alerts waiting for the mail timer; mail is sent later, so mail trouble never slows the threat pipeline.
 * Threat alerts are built from the tenant's published `threat.detected` events (the `alert-mail` event subscriber),
 * so the mail and the event feed never disagree: every alert names the event it came from (`eventId`), and a
 * redelivered event queues the same row again (keyed by the event id). A re-grade (a device whose risk rose after a
 * classification change) queues its rows in its own path.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { riskLevelSchema } from '../domain/index.js';
import { submitInBatches, type TableStore } from '../storage/index.js';
import { eventIdTime, type EventSubscriber, type ServiceEvent } from '../events/event.js';
import { markDue } from '../jobs/dueIndex.js';

export const pendingAlertSchema = z.object({
  /** `threat`: a new threat on one device; `regrade`: a device whose risk rose after a classification change. */
  reason: z.enum(['threat', 'regrade']),
  deviceId: z.string(),
  deviceName: z.string().default(''),
  userPrincipalName: z.string().default(''),
  classification: z.string(),
  threatName: z.string().default(''),
  riskLevel: riskLevelSchema,
  /** When the threat was detected (or the re-grade happened). */
  at: z.string(),
  queuedAt: z.string(),
  /** The `threat.detected` event the alert was built from. */
  eventId: z.string().optional(),
});
export type PendingAlert = z.infer<typeof pendingAlertSchema>;

/** RowKeys sort by queue time, so the mail timer reads the oldest first. */
export function pendingAlertRowKey(queuedAt: Date): string {
  return `a|${queuedAt.getTime().toString().padStart(13, '0')}|${randomBytes(6).toString('hex')}`;
}

/**
 * Queues alerts for one tenant (level `none` is never queued; one batch per 100 rows) and makes the tenant's mail job
 * due (one point read when it is due already), so mail reads only tenants with something to send.
 */
export async function queueAlerts(tables: TableStore, tenantId: string, alerts: readonly PendingAlert[]): Promise<void> {
  const rows = alerts.filter((alert) => alert.riskLevel !== 'none');
  if (rows.length === 0) return;
  await submitInBatches(
    tables.table('notifications'),
    rows.map((alert) => ['create', { partitionKey: tenantId, rowKey: pendingAlertRowKey(new Date(alert.queuedAt)), ...alert }]),
  );
  const earliest = Math.min(...rows.map((alert) => Date.parse(alert.queuedAt)).filter((at) => Number.isFinite(at)));
  await markDue(tables, tenantId, 'mail', Number.isFinite(earliest) ? earliest : Date.now());
}

/** The row key of an alert built from an event: the same on every delivery of the event. */
export function eventAlertRowKey(eventId: string): string {
  const ms = eventIdTime(eventId);
  return `a|${String(Number.isNaN(ms) ? 0 : ms).padStart(13, '0')}|${eventId}`;
}

/** The alerts events call for: one per `threat.detected` whose threat is graded above `none`. */
export function alertsFromEvents(events: readonly ServiceEvent[], queuedAt: string): PendingAlert[] {
  const alerts: PendingAlert[] = [];
  for (const event of events) {
    if (event.type !== 'threat.detected' || event.data.threat.riskLevel === 'none') continue;
    const { device, threat } = event.data;
    alerts.push({
      reason: 'threat',
      deviceId: device.deviceId,
      deviceName: device.deviceName,
      userPrincipalName: device.userPrincipalName,
      classification: threat.classification,
      threatName: threat.name ?? '',
      riskLevel: threat.riskLevel,
      at: threat.detectedAt,
      queuedAt,
      eventId: event.id,
    });
  }
  return alerts;
}

/**
 * The event subscriber that queues threat alerts for the mail timer. Merged by event id, so a redelivery neither adds
 * a second alert nor forgets which admins were already mailed.
 */
export function alertMailSubscriber(tables: TableStore, now: () => Date): EventSubscriber {
  return {
    name: 'alert-mail',
    deliver: async (tenantId, published) => {
      const alerts = alertsFromEvents(
        published.map((item) => item.event),
        now().toISOString(),
      );
      if (alerts.length === 0) return;
      await submitInBatches(
        tables.table('notifications'),
        alerts.map((alert) => ['upsert', { partitionKey: tenantId, rowKey: eventAlertRowKey(alert.eventId ?? ''), ...alert }, 'Merge']),
      );
      // The tenant's mail job comes due, as for every queued alert (queueAlerts).
      await markDue(tables, tenantId, 'mail', now().getTime());
    },
  };
}

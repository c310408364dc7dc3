/**
 * Threat alerts waiting for the mail timer. A report (a newly opened threat) or a re-grade (a device whose risk rose)
 * queues rows here in the request's path; mail is sent later, so mail trouble never slows the threat pipeline.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { riskLevelSchema } from './domain/index.js';
import { submitInBatches, type TableStore } from './storage/index.js';
import { markDue } from './jobs/dueIndex.js';

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

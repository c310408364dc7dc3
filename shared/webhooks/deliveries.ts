/**
 * The delivery log: one row per (endpoint, event) in table `webhookDeliveries`, PartitionKey
 * `{tenantId}|{endpointId}`, RowKey the delivery id, which sorts newest first. The row holds the exact body that is
 * signed and posted, the state of the current round of attempts, and every attempt made. It is the truth; queue
 * messages only wake it (docs/DATA-MODEL.md, "Webhooks").
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { listPage, odata, readEntity, type StoredEntity, type TransactionAction } from '../storage/index.js';
import type { CorePorts } from '../ports.js';
import { statusOf } from '../base/errors.js';

export const deliveryStatuses = ['pending', 'sending', 'retrying', 'delivered', 'failed'] as const;
export const deliveryStatusSchema = z.enum(deliveryStatuses);
export type DeliveryStatus = z.output<typeof deliveryStatusSchema>;

/** An event as webhooks carry it (CONTRACT.md, "Events and webhooks"). */
export const webhookEventSchema = z.object({
  id: z.string().min(1).max(100),
  type: z.string().min(1),
  occurredAt: z.string(),
  tenantId: z.string(),
  data: z.unknown(),
});
export type WebhookEvent = z.output<typeof webhookEventSchema>;

export const attemptRecordSchema = z.object({
  at: z.string(),
  round: z.number().int(),
  attempt: z.number().int(),
  statusCode: z.number().int().optional(),
  error: z.string().optional(),
  durationMs: z.number().int().optional(),
});
export type AttemptRecord = z.output<typeof attemptRecordSchema>;

export const deliveryRowSchema = z.object({
  eventId: z.string(),
  eventType: z.string(),
  /** The JSON body exactly as signed and posted. */
  body: z.string(),
  createdAt: z.string(),
  status: deliveryStatusSchema,
  /** 1, plus one per manual redelivery. */
  round: z.number().int(),
  /** Attempts started in this round (0 before the first). */
  attempt: z.number().int(),
  /** JSON array of AttemptRecord, oldest first (the last 30). */
  attempts: z.string(),
  nextAttemptAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  failedAt: z.string().optional(),
  failure: z.string().optional(),
});
export type DeliveryRow = z.output<typeof deliveryRowSchema>;
export type StoredDelivery = StoredEntity<DeliveryRow>;

export const maxAttemptRecords = 30;

export function deliveriesTable(deps: Pick<CorePorts, 'tables'>) {
  return deps.tables.table('webhookDeliveries');
}

export function deliveryPartition(tenantId: string, endpointId: string): string {
  return `${tenantId}|${endpointId}`;
}

const maxMs = 9_999_999_999_999;

/**
 * The delivery id of an event at an endpoint: the event's time inverted (newest first) and a hash of its id, so a
 * fan-out that runs twice finds the row the first one made.
 */
export function deliveryIdFor(event: Pick<WebhookEvent, 'id' | 'occurredAt'>): string {
  const ms = Date.parse(event.occurredAt);
  const inverted = String(maxMs - (Number.isFinite(ms) ? Math.max(0, ms) : 0)).padStart(13, '0');
  return `${inverted}-${createHash('sha256').update(event.id).digest('hex').slice(0, 16)}`;
}

export const deliveryIdSchema = z.string().regex(/^\d{13}-[0-9a-f]{16}$/, 'must be a delivery id');

/** An id for an event this service makes up for a test delivery, in the feed's id format. */
export function testEventId(at: Date): string {
  return `evt_${String(at.getTime()).padStart(13, '0')}${randomBytes(10).toString('hex')}`;
}

export function attemptRecords(row: Pick<DeliveryRow, 'attempts'>): AttemptRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.attempts);
  } catch {
    return [];
  }
  const records = z.array(attemptRecordSchema).safeParse(parsed);
  return records.success ? records.data : [];
}

export function withAttempt(row: Pick<DeliveryRow, 'attempts'>, record: AttemptRecord): string {
  return JSON.stringify([...attemptRecords(row), record].slice(-maxAttemptRecords));
}

export function newDeliveryRow(event: WebhookEvent, body: string, now: Date): DeliveryRow {
  return {
    eventId: event.id,
    eventType: event.type,
    body,
    createdAt: now.toISOString(),
    status: 'pending',
    round: 1,
    attempt: 0,
    attempts: '[]',
    nextAttemptAt: now.toISOString(),
  };
}

export const deliveryViewSchema = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: deliveryStatusSchema.describe(
    '`pending` (not tried yet), `sending` (an attempt is under way), `retrying` (the next attempt is at `nextAttemptAt`), `delivered`, `failed` (every attempt failed, the endpoint answered 410, or it was disabled or deleted).',
  ),
  round: z.number().int().describe('1, plus one per manual redelivery.'),
  attempts: z.array(
    z.object({
      at: z.string(),
      round: z.number().int(),
      attempt: z.number().int(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      durationMs: z.number().int().nullable(),
    }),
  ),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
  failure: z.string().nullable(),
});
export type DeliveryView = z.output<typeof deliveryViewSchema>;

export function deliveryView(row: StoredDelivery): DeliveryView {
  const done = row.status === 'delivered' || row.status === 'failed';
  return {
    id: row.rowKey,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    round: row.round,
    attempts: attemptRecords(row).map((record) => ({
      at: record.at,
      round: record.round,
      attempt: record.attempt,
      statusCode: record.statusCode ?? null,
      error: record.error ?? null,
      durationMs: record.durationMs ?? null,
    })),
    nextAttemptAt: done ? null : (row.nextAttemptAt ?? null),
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt ?? null,
    failure: row.status === 'failed' ? (row.failure ?? null) : null,
  };
}

export async function readDelivery(
  deps: Pick<CorePorts, 'tables'>,
  tenantId: string,
  endpointId: string,
  deliveryId: string,
): Promise<StoredDelivery | undefined> {
  return readEntity(deliveriesTable(deps), deliveryRowSchema, deliveryPartition(tenantId, endpointId), deliveryId);
}

/** A page of an endpoint's delivery log, newest first. Throws `InvalidCursor` for a cursor of another list. */
export async function listDeliveries(
  deps: Pick<CorePorts, 'tables'>,
  tenantId: string,
  endpointId: string,
  options: { cursor?: string | null; limit: number },
): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
  const page = await listPage(deliveriesTable(deps), {
    schema: deliveryRowSchema,
    filter: odata`PartitionKey eq ${deliveryPartition(tenantId, endpointId)}`,
    cursor: options.cursor ?? null,
    limit: options.limit,
  });
  return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
}

/**
 * Deletes the tenant's delivery rows (which carry event bodies) of events older than `EVENT_RETENTION_DAYS`, when the
 * tenant's event retention runs. Rows are keyed by the event's time, newest first, so the expired ones are the end of
 * each endpoint's partition: one range query over the tenant's partitions returns only them. Returns how many went.
 */
export async function deleteExpiredDeliveries(deps: Pick<CorePorts, 'tables' | 'clock' | 'config'>, tenantId: string): Promise<number> {
  const cutoffMs = deps.clock.now().getTime() - deps.config.EVENT_RETENTION_DAYS * 86_400_000;
  // Inverted times at or above this are events from before the cutoff.
  const expiredFrom = String(maxMs - cutoffMs + 1).padStart(13, '0');
  const table = deliveriesTable(deps);
  const byPartition = new Map<string, string[]>();
  const rows = table.listEntities({
    queryOptions: {
      filter: odata`PartitionKey gt ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`} and RowKey ge ${expiredFrom}`,
      select: ['PartitionKey', 'RowKey'],
    },
  });
  for await (const row of rows) {
    if (typeof row.partitionKey !== 'string' || typeof row.rowKey !== 'string') continue;
    const keys = byPartition.get(row.partitionKey) ?? [];
    keys.push(row.rowKey);
    byPartition.set(row.partitionKey, keys);
  }
  let deleted = 0;
  for (const [partitionKey, rowKeys] of byPartition) {
    for (let start = 0; start < rowKeys.length; start += 100) {
      const chunk = rowKeys.slice(start, start + 100);
      const actions: TransactionAction[] = chunk.map((rowKey) => ['delete', { partitionKey, rowKey }]);
      try {
        await table.submitTransaction(actions);
      } catch (caught) {
        // One row already gone (a concurrent run) fails the batch: delete them one by one.
        if (statusOf(caught) !== 404) throw caught;
        for (const rowKey of chunk) await table.deleteEntity(partitionKey, rowKey).catch((error: unknown) => { if (statusOf(error) !== 404) throw error; });
      }
      deleted += chunk.length;
    }
  }
  return deleted;
}

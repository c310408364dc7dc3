/**
 * Webhook delivery through the `webhook-deliveries` queue.
 *
 * - `events` messages (one per tenant and batch of events) fan out: for each enabled endpoint, the events of its
 *   types become one batch (batch.ts): their delivery rows are created in one transaction, already claimed for
 *   attempt 1, after the message that runs attempt 2 (the safety net) is scheduled; then each event is posted on
 *   its own, in the background. A fan-out that runs twice finds the rows and does nothing more.
 * - `batch` messages run attempt n of a batch's rows (a retry of those that failed, the safety net, an attempt put
 *   back for lack of a free slot); each row says which attempt is due, so duplicated or reordered messages do nothing.
 * - `attempt` messages wake attempt n of one delivery's round (a manual redelivery, a test event). Before posting,
 *   the attempt schedules the message that will run attempt n+1 (the safety net, at least the time-out plus a margin
 *   ahead) and claims the attempt on the row with its ETag; the post then runs in the background and records its
 *   outcome. A failure schedules attempt n+1 earlier when the backoff allows it.
 * So a process killed mid-attempt loses nothing (the next attempt is already scheduled), and a slow endpoint holds no
 * queue batch: another endpoint's or tenant's deliveries never wait for it.
 * - Every attempt resolves the host and checks every address, then connects to a checked one (no DNS rebinding
 *   between check and connect). Redirects are not followed. A 2xx within the time-out is a delivery; 410 disables
 *   the endpoint; anything else is retried on the schedule, then the delivery is marked failed.
 */
import { z } from 'zod';
import type { QueueMessage, QueueSenders } from '../queues/queue.js';
import { statusOf, toError } from '../base/errors.js';
import { NO_CHANGE, updateEntity } from '../storage/index.js';
import { batchMessageSchema, maxBatchSize, runBatch, startBatch, type BatchMessage } from './batch.js';
import {
  deliveriesTable,
  deliveryPartition,
  deliveryRowSchema,
  readDelivery,
  webhookEventSchema,
  type StoredDelivery,
  type WebhookEvent,
} from './deliveries.js';
import { endpointTypes, listEndpointRows, openSigningSecrets, readEndpoint, type StoredEndpoint } from './endpoints.js';
import {
  delayAfter,
  hash,
  maxAttempts,
  noteEndpointOutcome,
  rowAfterOutcome,
  claimedRow,
  rowEnded,
  sendOnce,
  webhookQueueName,
  type DeliveryDeps,
  type Outcome,
} from './outcome.js';
import { endpointSlot } from './runtime.js';

export { webhookQueueName, type DeliveryDeps } from './outcome.js';

const eventsMessageSchema = z.object({ kind: z.literal('events'), tenantId: z.string().min(1), events: z.array(webhookEventSchema) });
const attemptMessageSchema = z.object({
  kind: z.literal('attempt'),
  tenantId: z.string().min(1),
  endpointId: z.string().min(1),
  deliveryId: z.string().min(1),
  round: z.number().int().positive(),
  attempt: z.number().int().positive(),
});
export const webhookMessageSchema = z.discriminatedUnion('kind', [eventsMessageSchema, attemptMessageSchema, batchMessageSchema]);
export type AttemptMessage = z.output<typeof attemptMessageSchema>;

/** Largest serialized `events` message (Service Bus Standard takes 256 KiB). */
const maxEventsMessageBytes = 200 * 1024;

function attemptMessage(message: Omit<AttemptMessage, 'kind'>, tag: string, at?: Date): QueueMessage {
  return {
    messageId: `${message.endpointId}:${message.deliveryId}:${message.round}:${message.attempt}:${tag}`,
    body: { kind: 'attempt', ...message },
    ...(at ? { scheduledEnqueueTimeUtc: at } : {}),
  };
}

// ---- publishing events (the events subscriber) ----------------------------------------------------------------

/**
 * Hands events to webhook delivery: one queue message per tenant and up to ~200 KiB of events, with a message id
 * derived from the event ids, so publishing the same events again within the duplicate detection window is dropped
 * by the queue (and would find its delivery rows anyway). Costs the caller one queue send; no storage.
 */
export async function publishToWebhooks(queues: QueueSenders, events: readonly WebhookEvent[]): Promise<void> {
  if (events.length === 0) return;
  const byTenant = new Map<string, WebhookEvent[]>();
  for (const event of events) {
    const list = byTenant.get(event.tenantId) ?? [];
    list.push(event);
    byTenant.set(event.tenantId, list);
  }
  const messages: QueueMessage[] = [];
  for (const [tenantId, tenantEvents] of byTenant) {
    let chunk: WebhookEvent[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (chunk.length === 0) return;
      messages.push({ messageId: `ev:${hash(`${tenantId}|${chunk.map((event) => event.id).join(',')}`)}`, body: { kind: 'events', tenantId, events: chunk } });
      chunk = [];
      bytes = 0;
    };
    for (const event of tenantEvents) {
      const size = Buffer.byteLength(JSON.stringify(event));
      if (bytes + size > maxEventsMessageBytes) flush();
      chunk.push(event);
      bytes += size;
    }
    flush();
  }
  await queues(webhookQueueName).send(messages);
}

// ---- the queue function ---------------------------------------------------------------------------------------

/**
 * Handles a batch of `webhook-deliveries` messages. Returns once every attempt has been claimed and its successor
 * scheduled; the posts themselves run in the background (`services.webhooks.idle()` waits for them). A message
 * that is not one of ours is logged and dropped.
 */
export async function handleWebhookMessages(services: DeliveryDeps, messages: readonly unknown[]): Promise<void> {
  const eventsByTenant = new Map<string, WebhookEvent[]>();
  const attempts: AttemptMessage[] = [];
  const batches: BatchMessage[] = [];
  for (const raw of messages) {
    const parsed = webhookMessageSchema.safeParse(raw);
    if (!parsed.success) {
      services.log.warn(`${webhookQueueName}: dropped a message that is not a webhook message`);
      continue;
    }
    if (parsed.data.kind === 'attempt') attempts.push(parsed.data);
    else if (parsed.data.kind === 'batch') batches.push(parsed.data);
    else {
      const list = eventsByTenant.get(parsed.data.tenantId) ?? [];
      // An event names its own tenant: one naming another is not delivered to this tenant's endpoints.
      list.push(...parsed.data.events.filter((event) => event.tenantId === parsed.data.tenantId));
      eventsByTenant.set(parsed.data.tenantId, list);
    }
  }
  const failures: Error[] = [];
  const run = async (task: () => Promise<void>): Promise<void> => {
    try {
      await task();
    } catch (caught) {
      failures.push(toError(caught));
    }
  };
  await Promise.all([
    ...[...eventsByTenant].map(([tenantId, events]) => run(() => fanOut(services, tenantId, events))),
    ...attempts.map((message) => run(() => runAttempt(services, message))),
    ...batches.map((message) => run(() => runBatch(services, message))),
  ]);
  // Storage or queue trouble: the batch comes back (every step above is safe to repeat).
  if (failures.length > 0) throw failures[0] ?? new Error('webhook delivery failed');
}

/** One batch per endpoint (of up to 100 events) for a tenant's events: rows created together, each event posted. */
async function fanOut(services: DeliveryDeps, tenantId: string, events: readonly WebhookEvent[]): Promise<void> {
  const endpoints = (await listEndpointRows(services, tenantId)).filter((endpoint) => endpoint.enabled);
  if (endpoints.length === 0) return;
  const work: Promise<void>[] = [];
  for (const endpoint of endpoints) {
    const types = new Set(endpointTypes(endpoint));
    const due = events.filter((event) => types.has(event.type));
    for (let start = 0; start < due.length; start += maxBatchSize) {
      work.push(startBatch(services, tenantId, endpoint, due.slice(start, start + maxBatchSize)));
    }
  }
  const results = await Promise.allSettled(work);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw toError(failed.reason);
}

/** Ends a delivery without another attempt (endpoint gone or disabled, or the last attempt's outcome never came). */
async function endDelivery(services: DeliveryDeps, message: AttemptMessage, failure: string): Promise<void> {
  const now = services.clock.now().toISOString();
  await updateEntity(
    deliveriesTable(services),
    deliveryPartition(message.tenantId, message.endpointId),
    message.deliveryId,
    (row) => {
      if (!row || row.round !== message.round || row.status === 'delivered' || row.status === 'failed') return NO_CHANGE;
      const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = row;
      return rowEnded(rest, now, failure);
    },
    { schema: deliveryRowSchema },
  );
}

/**
 * Attempt `message.attempt` of a delivery's round, if it is the one due. `preloaded` saves the reads when the
 * caller has just written or read the rows.
 */
export async function runAttempt(
  services: DeliveryDeps,
  message: AttemptMessage,
  preloaded: { row?: StoredDelivery; endpoint?: StoredEndpoint } = {},
): Promise<void> {
  const row = preloaded.row ?? (await readDelivery(services, message.tenantId, message.endpointId, message.deliveryId));
  if (!row || row.round !== message.round || row.status === 'delivered' || row.status === 'failed') return;
  // Only the next attempt is due: an earlier one is done or under way, a later one is not due yet.
  if (message.attempt !== row.attempt + 1) return;
  if (message.attempt > maxAttempts(services)) {
    await endDelivery(services, message, 'No outcome was recorded for the last attempt.');
    return;
  }
  const endpoint = preloaded.endpoint ?? (await readEndpoint(services, message.tenantId, message.endpointId));
  if (!endpoint) {
    await endDelivery(services, message, 'The endpoint was deleted.');
    return;
  }
  if (!endpoint.enabled) {
    await endDelivery(services, message, `The endpoint is disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}.`);
    return;
  }
  const runtime = services.webhooks;
  const slot = endpointSlot(message.tenantId, message.endpointId);
  if (!runtime.tryAcquire(message.tenantId, slot)) {
    // Every slot is taken (by this endpoint or in all): try again shortly, without spending the attempt.
    const at = new Date(services.clock.now().getTime() + services.webhooks.deferMs);
    await services.queues(webhookQueueName).send([attemptMessage(message, `d${at.getTime()}`, at)]);
    return;
  }
  let claimed = false;
  try {
    const now = services.clock.now();
    const safetyAt = new Date(now.getTime() + Math.max(delayAfter(services, message.attempt) ?? 0, runtime.timeoutMs + runtime.safetyMarginMs));
    // The next attempt (or, after the last, the check that an outcome was recorded) is scheduled before this one runs.
    await services.queues(webhookQueueName).send([attemptMessage({ ...message, attempt: message.attempt + 1 }, 's', safetyAt)]);
    const { partitionKey: _pk, rowKey: _rk, etag, timestamp: _ts, ...rest } = row;
    const claim = claimedRow(rest, message.attempt, now, safetyAt);
    try {
      await deliveriesTable(services).updateEntity({ ...claim, partitionKey: row.partitionKey, rowKey: row.rowKey }, 'Replace', { etag });
    } catch (caught) {
      // Someone else claimed it (a duplicate message on another instance): theirs to run.
      if (statusOf(caught) === 412 || statusOf(caught) === 404) return;
      throw caught;
    }
    claimed = true;
    runtime.track(
      post(services, message, { eventId: row.eventId, body: row.body }, endpoint, now, safetyAt)
        .catch((caught: unknown) => services.log.error(`Webhook attempt ${message.deliveryId} could not record its outcome: ${toError(caught).message}`))
        .finally(() => runtime.release(message.tenantId, slot)),
    );
  } finally {
    if (!claimed) runtime.release(message.tenantId, slot);
  }
}

/** Signs and posts; then records the outcome. */
async function post(
  services: DeliveryDeps,
  message: AttemptMessage,
  payload: { eventId: string; body: string },
  endpoint: StoredEndpoint,
  startedAt: Date,
  safetyAt: Date,
): Promise<void> {
  const outcome = await sendOnce(services, endpoint, await openSigningSecrets(services, endpoint, startedAt), payload);
  await recordOutcome(services, message, endpoint, outcome, safetyAt);
}

async function recordOutcome(services: DeliveryDeps, message: AttemptMessage, endpoint: StoredEndpoint, outcome: Outcome, safetyAt: Date): Promise<void> {
  const now = services.clock.now();
  const at = now.toISOString();
  const isLast = message.attempt >= maxAttempts(services);
  const backoffAt = now.getTime() + (delayAfter(services, message.attempt) ?? 0);
  // The safety net already runs the next attempt after the time-out; run it sooner when the backoff allows.
  const sooner = backoffAt < safetyAt.getTime() - 250;
  const retryAt = new Date(sooner ? backoffAt : safetyAt.getTime());
  const written = await updateEntity(
    deliveriesTable(services),
    deliveryPartition(message.tenantId, message.endpointId),
    message.deliveryId,
    (row) => {
      if (!row || row.round !== message.round || row.attempt !== message.attempt || row.status !== 'sending') return NO_CHANGE;
      const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = row;
      return rowAfterOutcome(rest, outcome, { at, round: message.round, attempt: message.attempt, isLast, retryAt });
    },
    { schema: deliveryRowSchema },
  );
  if (!written.changed) return;
  if (outcome.kind === 'failed' && !isLast && sooner) {
    await services.queues(webhookQueueName).send([attemptMessage({ ...message, attempt: message.attempt + 1 }, 'e', retryAt)]);
  }
  await noteEndpointOutcome(services, message.tenantId, endpoint, outcome, at);
}

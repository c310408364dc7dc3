/**
 * Webhook delivery through the `webhook-deliveries` queue.
 *
 * - `events` messages (one per tenant and batch of events) fan out: each enabled endpoint subscribed to an event's
 *   type gets a delivery row (created once: a fan-out that runs twice finds it) and its first attempt at once.
 * - `attempt` messages wake attempt n of a delivery's round. Before posting, the attempt schedules the message that
 *   will run attempt n+1 (the safety net, at least the time-out plus a margin ahead) and claims the attempt on the row
 *   with its ETag; the post then runs in the background and records its outcome. A failure schedules attempt n+1
 *   earlier when the backoff allows it. So a process killed mid-attempt loses nothing (the next attempt is already
 *   scheduled), duplicated or reordered messages do nothing (the row says which attempt is due), and a slow endpoint
 *   holds no queue batch: another tenant's deliveries never wait for it.
 * - Every attempt resolves the host and checks every address, then connects to a checked one (no DNS rebinding
 *   between check and connect). Redirects are not followed. A 2xx within the time-out is a delivery; 410 disables
 *   the endpoint; anything else is retried on the schedule, then the delivery is marked failed.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CorePorts } from '../ports.js';
import type { QueueMessage, QueueSenders } from '../queues/queue.js';
import { statusOf, toError } from '../base/errors.js';
import { NO_CHANGE, updateEntity } from '../storage/index.js';
import { checkHost } from './addressGuard.js';
import {
  deliveriesTable,
  deliveryIdFor,
  deliveryPartition,
  deliveryRowSchema,
  newDeliveryRow,
  readDelivery,
  webhookEventSchema,
  withAttempt,
  type DeliveryRow,
  type StoredDelivery,
  type WebhookEvent,
} from './deliveries.js';
import { endpointRowSchema, endpointTypes, endpointsTable, listEndpointRows, openSigningSecrets, readEndpoint, type StoredEndpoint } from './endpoints.js';
import { signDelivery } from './signing.js';
import type { WebhookRuntime } from './runtime.js';

export const webhookQueueName = 'webhook-deliveries';

const eventsMessageSchema = z.object({ kind: z.literal('events'), tenantId: z.string().min(1), events: z.array(webhookEventSchema) });
const attemptMessageSchema = z.object({
  kind: z.literal('attempt'),
  tenantId: z.string().min(1),
  endpointId: z.string().min(1),
  deliveryId: z.string().min(1),
  round: z.number().int().positive(),
  attempt: z.number().int().positive(),
});
export const webhookMessageSchema = z.discriminatedUnion('kind', [eventsMessageSchema, attemptMessageSchema]);
export type AttemptMessage = z.output<typeof attemptMessageSchema>;

export type DeliveryDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'queues' | 'config' | 'secrets'> & { readonly webhooks: WebhookRuntime };

/** How long an attempt put back for lack of a free slot waits. */
const deferMs = 1_000;
/** Largest serialized `events` message (Service Bus Standard takes 256 KiB). */
const maxEventsMessageBytes = 200 * 1024;

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 22);
}

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
  for (const raw of messages) {
    const parsed = webhookMessageSchema.safeParse(raw);
    if (!parsed.success) {
      services.log.warn(`${webhookQueueName}: dropped a message that is not a webhook message`);
      continue;
    }
    if (parsed.data.kind === 'attempt') attempts.push(parsed.data);
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
  ]);
  // Storage or queue trouble: the batch comes back (every step above is safe to repeat).
  if (failures.length > 0) throw failures[0] ?? new Error('webhook delivery failed');
}

/** Creates the delivery rows of a tenant's events and starts each first attempt. */
async function fanOut(services: DeliveryDeps, tenantId: string, events: readonly WebhookEvent[]): Promise<void> {
  const endpoints = (await listEndpointRows(services, tenantId)).filter((endpoint) => endpoint.enabled);
  if (endpoints.length === 0) return;
  const work: Promise<string>[] = [];
  for (const event of events) {
    const body = JSON.stringify({ id: event.id, type: event.type, occurredAt: event.occurredAt, tenantId: event.tenantId, data: event.data });
    for (const endpoint of endpoints) {
      if (!endpointTypes(endpoint).includes(event.type)) continue;
      work.push(startDelivery(services, tenantId, endpoint, event, body));
    }
  }
  const results = await Promise.allSettled(work);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw toError(failed.reason);
}

/** Creates the delivery row (or finds the one an earlier run made) and runs its first attempt if still due. */
export async function startDelivery(
  services: DeliveryDeps,
  tenantId: string,
  endpoint: StoredEndpoint,
  event: WebhookEvent,
  body: string,
): Promise<string> {
  const deliveryId = deliveryIdFor(event);
  const partitionKey = deliveryPartition(tenantId, endpoint.rowKey);
  const row = newDeliveryRow(event, body, services.clock.now());
  let stored: StoredDelivery | undefined;
  try {
    const created = await deliveriesTable(services).createEntity({ ...row, partitionKey, rowKey: deliveryId });
    stored = { ...row, partitionKey, rowKey: deliveryId, etag: created.etag ?? '' };
  } catch (caught) {
    if (statusOf(caught) !== 409) throw caught;
    stored = await readDelivery(services, tenantId, endpoint.rowKey, deliveryId);
  }
  if (stored && stored.round === 1 && stored.attempt === 0) {
    await runAttempt(services, { kind: 'attempt', tenantId, endpointId: endpoint.rowKey, deliveryId, round: 1, attempt: 1 }, { row: stored, endpoint });
  }
  return deliveryId;
}

function delayAfter(services: DeliveryDeps, attempt: number): number | undefined {
  return services.webhooks.retrySchedule[attempt - 1];
}

function maxAttempts(services: DeliveryDeps): number {
  return services.webhooks.retrySchedule.length + 1;
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
      const { nextAttemptAt: _next, ...kept } = rest;
      return { ...kept, status: 'failed' as const, failedAt: now, failure };
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
  const slot = `${message.tenantId}|${message.endpointId}`;
  if (!runtime.tryAcquire(message.tenantId, slot)) {
    // Every slot is taken (by this endpoint or in all): try again shortly, without spending the attempt.
    const at = new Date(services.clock.now().getTime() + deferMs);
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
    const lost =
      row.status === 'sending'
        ? { attempts: withAttempt(row, { at: now.toISOString(), round: row.round, attempt: row.attempt, error: 'no outcome was recorded (the attempt was interrupted)' }) }
        : {};
    const claim: DeliveryRow = { ...rest, ...lost, status: 'sending', attempt: message.attempt, nextAttemptAt: safetyAt.toISOString() };
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

type Outcome =
  | { kind: 'delivered'; statusCode: number; durationMs: number }
  | { kind: 'gone'; statusCode: number; durationMs: number }
  | { kind: 'failed'; statusCode?: number; error: string; durationMs: number };

/** Resolves, checks, signs and posts; then records the outcome. */
async function post(
  services: DeliveryDeps,
  message: AttemptMessage,
  payload: { eventId: string; body: string },
  endpoint: StoredEndpoint,
  startedAt: Date,
  safetyAt: Date,
): Promise<void> {
  const { eventId, body } = payload;
  const runtime = services.webhooks;
  let outcome: Outcome;
  const url = new URL(endpoint.url);
  const check = await checkHost(url, { resolver: runtime.resolver, allowedPrivateHosts: services.config.WEBHOOK_ALLOWED_PRIVATE_HOSTS });
  if (!check.ok) {
    outcome = { kind: 'failed', error: `refused: ${check.reason}`, durationMs: 0 };
  } else {
    const address = check.addresses[0] ?? '';
    const headers = signDelivery(await openSigningSecrets(services, endpoint, startedAt), eventId, services.clock.now(), body);
    const result = await runtime.post({ url, address, headers: { ...headers }, body, timeoutMs: runtime.timeoutMs });
    if (result.kind === 'error') {
      outcome = { kind: 'failed', error: result.timedOut ? `no answer within ${runtime.timeoutMs / 1000} s` : result.error, durationMs: result.durationMs };
    } else if (result.status >= 200 && result.status < 300) {
      outcome = { kind: 'delivered', statusCode: result.status, durationMs: result.durationMs };
    } else if (result.status === 410) {
      outcome = { kind: 'gone', statusCode: 410, durationMs: result.durationMs };
    } else if (result.status >= 300 && result.status < 400) {
      outcome = { kind: 'failed', statusCode: result.status, error: 'redirect refused (redirects are not followed)', durationMs: result.durationMs };
    } else {
      outcome = { kind: 'failed', statusCode: result.status, error: `answered ${result.status}`, durationMs: result.durationMs };
    }
  }
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
  const record = {
    at,
    round: message.round,
    attempt: message.attempt,
    ...(outcome.kind === 'failed' ? { error: outcome.error } : {}),
    ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
    durationMs: outcome.durationMs,
  };
  const written = await updateEntity(
    deliveriesTable(services),
    deliveryPartition(message.tenantId, message.endpointId),
    message.deliveryId,
    (row) => {
      if (!row || row.round !== message.round || row.attempt !== message.attempt || row.status !== 'sending') return NO_CHANGE;
      const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, nextAttemptAt: _next, ...rest } = row;
      const attempts = withAttempt(row, record);
      if (outcome.kind === 'delivered') return { ...rest, attempts, status: 'delivered' as const, deliveredAt: at };
      if (outcome.kind === 'gone') return { ...rest, attempts, status: 'failed' as const, failedAt: at, failure: 'The endpoint answered 410 Gone and was disabled.' };
      if (isLast) return { ...rest, attempts, status: 'failed' as const, failedAt: at, failure: `Every attempt failed; the last: ${outcome.error}.` };
      return { ...rest, attempts, status: 'retrying' as const, nextAttemptAt: retryAt.toISOString() };
    },
    { schema: deliveryRowSchema },
  );
  if (!written.changed) return;
  if (outcome.kind === 'failed' && !isLast && sooner) {
    await services.queues(webhookQueueName).send([attemptMessage({ ...message, attempt: message.attempt + 1 }, 'e', retryAt)]);
  }
  await noteEndpointOutcome(services, message, endpoint, outcome, at);
}

/** Keeps the endpoint's failing state (for health and the console) and disables it on 410; writes only on a change. */
async function noteEndpointOutcome(services: DeliveryDeps, message: AttemptMessage, endpoint: StoredEndpoint, outcome: Outcome, at: string): Promise<void> {
  const failing = outcome.kind !== 'delivered';
  if (outcome.kind !== 'gone' && failing === (endpoint.failingSince !== undefined)) return;
  const lastFailure = outcome.kind === 'failed' ? (outcome.statusCode !== undefined ? `${outcome.statusCode}: ${outcome.error}` : outcome.error) : outcome.kind === 'gone' ? '410: Gone' : undefined;
  await updateEntity(
    endpointsTable(services),
    message.tenantId,
    message.endpointId,
    (row) => {
      if (!row) return NO_CHANGE;
      const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = row;
      if (outcome.kind === 'gone') {
        if (!rest.enabled) return NO_CHANGE;
        return {
          ...rest,
          enabled: false,
          disabledReason: `The endpoint answered 410 Gone at ${at}.`,
          disabledAt: at,
          failingSince: rest.failingSince ?? at,
          lastFailure: lastFailure ?? '410: Gone',
          updatedAt: at,
        };
      }
      if (failing) {
        if (rest.failingSince !== undefined) return NO_CHANGE;
        return { ...rest, failingSince: at, ...(lastFailure ? { lastFailure } : {}) };
      }
      if (rest.failingSince === undefined) return NO_CHANGE;
      const { failingSince: _since, lastFailure: _last, ...cleared } = rest;
      return cleared;
    },
    { schema: endpointRowSchema },
  );
}

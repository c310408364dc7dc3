/**
 * An endpoint's batch: the events of one fan-out due at one endpoint (at most 100, one entity group: the endpoint's
 * delivery partition), attempted together. The rows stay one per event (the delivery log, redelivery), but a batch
 * writes them in transactions: created already claimed for attempt 1, and their outcomes recorded a few at a time as
 * the posts end. One `batch` message per batch and attempt is the safety net, scheduled before anything is claimed.
 *
 * Each event is still its own POST, with its own id and signature. Posts run in the background on the endpoint's
 * slots (up to `maxInFlightPerEndpoint` at once), so a slow endpoint holds only its own slots and never the queue
 * batch. Every step is keyed by (round, attempt) on each row, as for a single delivery: a duplicated or redelivered
 * message finds its rows claimed or done and does nothing; a process stopped after posting and before recording
 * leaves those rows `sending`, and the safety net posts them again (the same ids) once the batch's time is up.
 * A 410 disables the endpoint at once; the batch's events not yet posted end failed, unposted.
 */
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { statusOf, toError } from '../base/errors.js';
import type { QueueMessage } from '../queues/queue.js';
import { NO_CHANGE, odata, transactionEtags, updateEntity, type TransactionAction } from '../storage/index.js';
import {
  deliveriesTable,
  deliveryIdFor,
  deliveryIdSchema,
  deliveryPartition,
  deliveryRowSchema,
  newDeliveryRow,
  type DeliveryRow,
  type WebhookEvent,
} from './deliveries.js';
import { formatDelivered } from '../events/ocsf.js';
import { openSigningSecrets, readEndpoint, type StoredEndpoint } from './endpoints.js';
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

/** Events of one endpoint per batch: one entity group transaction. */
export const maxBatchSize = 100;
/**
 * While a batch runs, outcomes are recorded in one write per `recordEvery` posts, or `recordWithinMs` after the first
 * one unrecorded: a process that stops leaves only the posts of that moment unrecorded (posted again, same ids).
 */
export const recordEvery = 16;
export const recordWithinMs = 200;

export const batchMessageSchema = z.object({
  kind: z.literal('batch'),
  tenantId: z.string().min(1),
  endpointId: z.string().min(1),
  round: z.number().int().positive(),
  attempt: z.number().int().positive(),
  deliveryIds: z.array(deliveryIdSchema).min(1).max(maxBatchSize),
  /** The safety net scheduled before the attempt before (dropped when this process saw that batch settle). */
  safetyNet: z.literal(true).optional(),
});
export type BatchMessage = z.output<typeof batchMessageSchema>;

export function batchMessage(message: Omit<BatchMessage, 'kind' | 'safetyNet'>, tag: string, at?: Date): QueueMessage {
  const { tenantId, endpointId, round, attempt, deliveryIds } = message;
  return {
    messageId: `b:${endpointId}:${hash(deliveryIds.join(','))}:${round}:${attempt}:${tag}`,
    body: { kind: 'batch', tenantId, endpointId, round, attempt, deliveryIds, ...(tag === 's' ? { safetyNet: true } : {}) },
    ...(at ? { scheduledEnqueueTimeUtc: at } : {}),
  };
}

/** A row as this batch knows it: its content and the ETag of its last write. */
interface Held {
  readonly row: DeliveryRow;
  readonly rowKey: string;
  readonly etag: string;
}

/**
 * The rows a batch left `retrying`, as written, by their retry: the retry claims them on these ETags without reading
 * them again (a claim that finds a row moved leaves it to whoever moved it, as a read would have shown).
 */
const retryRows = new LRUCache<string, Held[]>({ max: 10_000, ttl: 10 * 60_000 });

function retryKey(message: Pick<BatchMessage, 'endpointId' | 'round' | 'attempt' | 'deliveryIds'>): string {
  return `${message.endpointId}|${message.round}|${message.attempt}|${hash(message.deliveryIds.join(','))}`;
}

/** The message's rows: point reads for one or two, else one range query over the partition. */
async function readRows(services: DeliveryDeps, message: BatchMessage): Promise<Held[]> {
  const table = deliveriesTable(services);
  const partitionKey = deliveryPartition(message.tenantId, message.endpointId);
  const wanted = new Set(message.deliveryIds);
  const sorted = [...wanted].sort();
  const held: Held[] = [];
  const keep = (entity: Record<string, unknown>): void => {
    const parsed = deliveryRowSchema.safeParse(entity);
    const rowKey = typeof entity.rowKey === 'string' ? entity.rowKey : '';
    if (parsed.success && wanted.has(rowKey)) held.push({ row: parsed.data, rowKey, etag: typeof entity.etag === 'string' ? entity.etag : '' });
  };
  if (sorted.length <= 2) {
    for (const rowKey of sorted) {
      try {
        keep(await table.getEntity(partitionKey, rowKey));
      } catch (caught) {
        if (statusOf(caught) !== 404) throw caught;
      }
    }
    return held;
  }
  const first = sorted[0] ?? '';
  const last = sorted.at(-1) ?? '';
  const rows = table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${first} and RowKey le ${last}` } });
  for await (const entity of rows) keep(entity);
  return held;
}

/** Writes rows (each on its ETag) in one transaction; on a conflict, row by row. Returns the rows written, new ETags. */
async function writeHeld(services: DeliveryDeps, partitionKey: string, rows: readonly Held[]): Promise<Held[]> {
  if (rows.length === 0) return [];
  const table = deliveriesTable(services);
  if (rows.length > 1) {
    const actions: TransactionAction[] = rows.map((held) => ['update', { ...held.row, partitionKey, rowKey: held.rowKey }, 'Replace', { etag: held.etag }]);
    try {
      const etags = transactionEtags(await table.submitTransaction(actions), rows.length);
      const written = rows.map((held, index) => ({ ...held, etag: etags[index] ?? '' }));
      if (written.every((held) => held.etag !== '')) return written;
      // No ETags in the answer: read them back before the next conditional write.
      return await Promise.all(written.map(async (held) => ({ ...held, etag: (await table.getEntity(partitionKey, held.rowKey)).etag ?? '' })));
    } catch (caught) {
      const status = statusOf(caught);
      // A row changed meanwhile (a duplicate message, a late outcome): that fails the group; row by row below.
      if (status !== 412 && status !== 404 && status !== 400) throw caught;
    }
  }
  const written: Held[] = [];
  for (const held of rows) {
    try {
      const result = await table.updateEntity({ ...held.row, partitionKey, rowKey: held.rowKey }, 'Replace', { etag: held.etag });
      written.push({ ...held, etag: result.etag ?? '' });
    } catch (caught) {
      if (statusOf(caught) !== 412 && statusOf(caught) !== 404) throw caught;
    }
  }
  return written;
}

/** Creates the rows (one transaction, or row by row when some exist); returns the rows created and those found. */
async function createRows(services: DeliveryDeps, partitionKey: string, rows: readonly Held[]): Promise<{ created: Held[]; found: Held[] }> {
  const table = deliveriesTable(services);
  if (rows.length > 1) {
    try {
      const result = await table.submitTransaction(rows.map((held) => ['create', { ...held.row, partitionKey, rowKey: held.rowKey }]));
      const etags = transactionEtags(result, rows.length);
      const created = rows.map((held, index) => ({ ...held, etag: etags[index] ?? '' }));
      if (created.every((held) => held.etag !== '')) return { created, found: [] };
      return { created: await Promise.all(created.map(async (held) => ({ ...held, etag: (await table.getEntity(partitionKey, held.rowKey)).etag ?? '' }))), found: [] };
    } catch (caught) {
      // Some rows exist (the same events fanned out before): row by row.
      if (statusOf(caught) !== 409) throw caught;
    }
  }
  const created: Held[] = [];
  const found: Held[] = [];
  for (const held of rows) {
    try {
      const result = await table.createEntity({ ...held.row, partitionKey, rowKey: held.rowKey });
      created.push({ ...held, etag: result.etag ?? '' });
    } catch (caught) {
      if (statusOf(caught) !== 409) throw caught;
      const entity = await table.getEntity(partitionKey, held.rowKey);
      const parsed = deliveryRowSchema.safeParse(entity);
      if (parsed.success) found.push({ row: parsed.data, rowKey: held.rowKey, etag: entity.etag ?? '' });
    }
  }
  return { created, found };
}

function isDue(row: DeliveryRow, round: number, attempt: number): boolean {
  return row.round === round && row.status !== 'delivered' && row.status !== 'failed' && attempt === row.attempt + 1;
}

/** When the next attempt runs at the latest: after the batch's posts have all had their time-out, in waves of `slots`. */
function safetyTime(services: DeliveryDeps, attempt: number, count: number, slots: number, now: Date): Date {
  const runtime = services.webhooks;
  const waves = Math.ceil(count / Math.max(1, slots));
  return new Date(now.getTime() + Math.max(delayAfter(services, attempt) ?? 0, waves * runtime.timeoutMs + runtime.safetyMarginMs));
}

/**
 * Puts a batch back for lack of a slot: its message comes again after the runtime's `deferMs` (durable: the rows
 * wait for it), and meanwhile this process starts the batch itself as soon as a slot frees within that time.
 * Whichever comes second finds the rows claimed and does nothing (a claim is a write on the row's ETag).
 */
async function deferBatch(services: DeliveryDeps, message: BatchMessage): Promise<void> {
  const at = new Date(services.clock.now().getTime() + services.webhooks.deferMs);
  await services.queues(webhookQueueName).send([batchMessage(message, `d${at.getTime()}`, at)]);
  services.webhooks.track(startWhenSlotFrees(services, message, at.getTime()));
}

async function startWhenSlotFrees(services: DeliveryDeps, message: BatchMessage, untilMs: number): Promise<void> {
  const runtime = services.webhooks;
  for (;;) {
    // A slot may have freed since the batch was put back: look before waiting for one.
    if (runtime.hasFreeSlot(message.tenantId, endpointSlot(message.tenantId, message.endpointId))) {
      try {
        if ((await attemptBatch(services, message, false)) !== 'full') return;
      } catch (caught) {
        services.log.warn(`Webhook batch for ${message.endpointId}: an early start failed (its deferred message runs it): ${toError(caught).message}`);
        return;
      }
    }
    // Stops short of the deferred message's time, so the two rarely meet.
    const left = untilMs - 100 - services.clock.now().getTime();
    if (left <= 0 || !(await runtime.whenSlotFrees(left))) return;
  }
}

function releaseAll(services: DeliveryDeps, tenantId: string, slot: string, slots: number): void {
  for (let n = 0; n < slots; n += 1) services.webhooks.release(tenantId, slot);
}

/**
 * Fans a tenant's events out to one endpoint as one batch: creates their delivery rows (claimed for attempt 1, in
 * one transaction) and starts the posts. Events whose rows exist (fanned out before) are left to those rows.
 */
export async function startBatch(services: DeliveryDeps, tenantId: string, endpoint: StoredEndpoint, events: readonly WebhookEvent[]): Promise<void> {
  const partitionKey = deliveryPartition(tenantId, endpoint.rowKey);
  const now = services.clock.now();
  const byId = new Map<string, Held>();
  for (const event of events) {
    const native = { id: event.id, type: event.type, occurredAt: event.occurredAt, tenantId: event.tenantId, data: event.data };
    // An OCSF endpoint gets the mapped object; the row keeps that body, so a redelivery sends and signs the same bytes.
    const body = JSON.stringify(formatDelivered(native, endpoint.format ?? 'native'));
    const rowKey = deliveryIdFor(event);
    if (!byId.has(rowKey)) byId.set(rowKey, { row: newDeliveryRow(event, body, now), rowKey, etag: '' });
  }
  const rows = [...byId.values()];
  if (rows.length === 0) return;
  const message: BatchMessage = { kind: 'batch', tenantId, endpointId: endpoint.rowKey, round: 1, attempt: 1, deliveryIds: rows.map((held) => held.rowKey) };
  const slot = endpointSlot(tenantId, endpoint.rowKey);
  const slots = services.webhooks.tryAcquireUpTo(tenantId, slot, rows.length);
  if (slots === 0) {
    // Every slot is taken: the rows wait as pending for the batch message, shortly.
    await createRows(services, partitionKey, rows);
    await deferBatch(services, message);
    return;
  }
  let started = false;
  try {
    const safetyAt = safetyTime(services, 1, rows.length, slots, now);
    // The next attempt is scheduled before this one is claimed (created claimed).
    const safety = batchMessage({ ...message, attempt: 2 }, 's', safetyAt);
    await services.queues(webhookQueueName).send([safety]);
    const claimed = rows.map((held) => ({ ...held, row: claimedRow(held.row, 1, now, safetyAt) }));
    const { created, found } = await createRows(services, partitionKey, claimed);
    // Rows an earlier fan-out made and nobody claimed yet (it was put back for lack of a slot) are claimed now.
    const unclaimed = found.filter((held) => isDue(held.row, 1, 1)).map((held) => ({ ...held, row: claimedRow(held.row, 1, now, safetyAt) }));
    const mine = [...created, ...(await writeHeld(services, partitionKey, unclaimed))];
    if (mine.length === 0) return;
    started = true;
    runPosts(services, message, endpoint, mine, slots, now, { at: safetyAt, messageId: safety.messageId });
  } finally {
    if (!started) releaseAll(services, tenantId, slot, slots);
  }
}

/** Runs a `batch` message: attempt `attempt` of those of its rows for which it is the next one. */
export async function runBatch(services: DeliveryDeps, message: BatchMessage): Promise<void> {
  await attemptBatch(services, message, true);
}

/**
 * The attempt a `batch` message stands for; `full` when every slot was taken (then put back with `deferIfFull`,
 * else left to the deferred message already on its way).
 */
async function attemptBatch(services: DeliveryDeps, message: BatchMessage, deferIfFull: boolean): Promise<'full' | 'done'> {
  const runtime = services.webhooks;
  if (message.safetyNet && runtime.settled.has(batchMessage(message, 's').messageId)) return 'done';
  const partitionKey = deliveryPartition(message.tenantId, message.endpointId);
  const known = retryRows.get(retryKey(message));
  retryRows.delete(retryKey(message));
  const due = (known ?? (await readRows(services, message))).filter((held) => isDue(held.row, message.round, message.attempt));
  if (due.length === 0) return 'done';
  const now = services.clock.now();
  const end = (failure: string): Promise<Held[]> =>
    writeHeld(services, partitionKey, due.map((held) => ({ ...held, row: rowEnded(held.row, now.toISOString(), failure) })));
  if (message.attempt > maxAttempts(services)) {
    await end('No outcome was recorded for the last attempt.');
    return 'done';
  }
  const endpoint = await readEndpoint(services, message.tenantId, message.endpointId);
  if (!endpoint) {
    await end('The endpoint was deleted.');
    return 'done';
  }
  if (!endpoint.enabled) {
    await end(`The endpoint is disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}.`);
    return 'done';
  }
  const slot = endpointSlot(message.tenantId, message.endpointId);
  const slots = runtime.tryAcquireUpTo(message.tenantId, slot, due.length);
  if (slots === 0) {
    // Every slot is taken (by this endpoint or in all): try again shortly, without spending the attempt (an early
    // start that lost the slot leaves it to the deferred message already on its way).
    if (deferIfFull) await deferBatch(services, message);
    return 'full';
  }
  let started = false;
  try {
    const ids = due.map((held) => held.rowKey);
    const safetyAt = safetyTime(services, message.attempt, due.length, slots, now);
    const safety = batchMessage({ ...message, attempt: message.attempt + 1, deliveryIds: ids }, 's', safetyAt);
    await services.queues(webhookQueueName).send([safety]);
    const mine = await writeHeld(services, partitionKey, due.map((held) => ({ ...held, row: claimedRow(held.row, message.attempt, now, safetyAt) })));
    if (mine.length === 0) return 'done';
    started = true;
    runPosts(services, { ...message, deliveryIds: ids }, endpoint, mine, slots, now, { at: safetyAt, messageId: safety.messageId });
    return 'done';
  } finally {
    if (!started) releaseAll(services, message.tenantId, slot, slots);
  }
}

/**
 * Posts the claimed rows in the background, `slots` at a time (the caller's slots, given back here), recording
 * outcomes every `recordEvery` posts. A 410 stops the batch: the endpoint is disabled at once and the events not yet
 * posted end failed.
 */
function runPosts(
  services: DeliveryDeps,
  message: BatchMessage,
  endpoint: StoredEndpoint,
  claimed: readonly Held[],
  slots: number,
  startedAt: Date,
  safety: { at: Date; messageId: string },
): void {
  const runtime = services.webhooks;
  const { tenantId } = message;
  const slot = endpointSlot(tenantId, message.endpointId);
  const partitionKey = deliveryPartition(tenantId, message.endpointId);
  const isLast = message.attempt >= maxAttempts(services);
  let gone: string | undefined;
  /** Whether the scheduled next attempt still has work: a row left to it, or a write that did not happen. */
  let safetyNeeded = false;
  const outcomes: Outcome[] = [];
  let pending: { held: Held; row: DeliveryRow; retryAt?: Date }[] = [];
  let writes: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const items = pending;
    pending = [];
    if (items.length === 0) return writes;
    writes = writes.then(async () => {
      try {
        const written = await writeHeld(
          services,
          partitionKey,
          items.map(({ held, row }) => ({ ...held, row })),
        );
        const writtenKeys = new Set(written.map((held) => held.rowKey));
        // A row whose ETag moved (no ETag came back with its claim) is written where it still holds this claim.
        for (const item of items.filter((entry) => !writtenKeys.has(entry.held.rowKey))) {
          const result = await updateEntity(
            deliveriesTable(services),
            partitionKey,
            item.held.rowKey,
            (current) => {
              if (!current || current.round !== message.round || current.attempt !== message.attempt || current.status !== 'sending') return NO_CHANGE;
              return item.row;
            },
            { schema: deliveryRowSchema },
          );
          if (result.changed) writtenKeys.add(item.held.rowKey);
        }
        const retries = items.filter((item) => item.retryAt !== undefined && writtenKeys.has(item.held.rowKey));
        const latest = retries.reduce<number | undefined>((at, item) => Math.max(at ?? 0, item.retryAt?.getTime() ?? 0), undefined);
        if (latest !== undefined) {
          const next = { ...message, attempt: message.attempt + 1, deliveryIds: retries.map((item) => item.held.rowKey) };
          const etags = new Map(written.map((held) => [held.rowKey, held.etag]));
          const rows = retries.map((item) => ({ row: item.row, rowKey: item.held.rowKey, etag: etags.get(item.held.rowKey) ?? '' }));
          if (rows.every((held) => held.etag !== '')) retryRows.set(retryKey(next), rows);
          await services.queues(webhookQueueName).send([batchMessage(next, 'e', new Date(latest))]);
        }
      } catch (caught) {
        safetyNeeded = true;
        services.log.error(`Webhook batch for ${message.endpointId}: outcomes not recorded (the next attempt is scheduled): ${toError(caught).message}`);
      }
    });
    return writes;
  };

  const record = (held: Held, outcome: Outcome | 'stopped'): void => {
    const at = services.clock.now();
    if (outcome === 'stopped') {
      pending.push({ held, row: rowEnded(held.row, at.toISOString(), `The endpoint is disabled: ${gone ?? 'it answered 410 Gone'}.`) });
    } else {
      outcomes.push(outcome);
      const backoffAt = at.getTime() + (delayAfter(services, message.attempt) ?? 0);
      // The safety net already runs the next attempt after the batch's time; run it sooner when the backoff allows.
      const sooner = backoffAt < safety.at.getTime() - 250;
      const retryAt = new Date(sooner ? backoffAt : safety.at.getTime());
      const row = rowAfterOutcome(held.row, outcome, { at: at.toISOString(), round: message.round, attempt: message.attempt, isLast, retryAt });
      if (row.status === 'retrying' && !sooner) safetyNeeded = true;
      pending.push({ held, row, ...(row.status === 'retrying' && sooner ? { retryAt } : {}) });
    }
    if (pending.length >= recordEvery) void flush();
    else timer ??= setTimeout(() => void flush(), recordWithinMs);
  };

  const work = async (): Promise<void> => {
    let secrets: string[];
    try {
      secrets = await openSigningSecrets(services, endpoint, startedAt);
    } catch (caught) {
      releaseAll(services, tenantId, slot, slots);
      throw caught;
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      try {
        for (let index = next++; index < claimed.length; index = next++) {
          const held = claimed[index];
          if (!held) continue;
          if (gone !== undefined) {
            record(held, 'stopped');
            continue;
          }
          const outcome = await sendOnce(services, endpoint, secrets, { eventId: held.row.eventId, body: held.row.body });
          if (outcome.kind === 'gone' && gone === undefined) {
            const at = services.clock.now().toISOString();
            gone = `The endpoint answered 410 Gone at ${at}`;
            await noteEndpointOutcome(services, tenantId, endpoint, outcome, at);
          }
          record(held, outcome);
        }
      } finally {
        runtime.release(tenantId, slot);
      }
    };
    await Promise.all(Array.from({ length: slots }, () => worker()));
    await flush();
    if (gone === undefined) {
      // The endpoint's failing state follows the batch: failing if any event failed, cleared if every one went.
      const summary = outcomes.find((outcome) => outcome.kind !== 'delivered') ?? outcomes[0];
      if (summary) await noteEndpointOutcome(services, tenantId, endpoint, summary, services.clock.now().toISOString());
    }
    if (!safetyNeeded) runtime.settled.add(safety.messageId);
  };
  runtime.track(
    work().catch((caught: unknown) => {
      services.log.error(`Webhook batch for ${message.endpointId} stopped (the next attempt is scheduled): ${toError(caught).message}`);
    }),
  );
}

/**
 * The event relay: moves outbox rows into the tenant's feed (`events` table) in publication order, exactly once,
 * hands new events to subscribers (at least once, in order per tenant), and wakes this process's feed readers.
 * docs/DATA-MODEL.md, "Events", has the rows and the argument for ordering and exactly-once publication.
 */
import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { statusOf, toError } from '../errors.js';
import { odata, readEntity, type TableStore } from '../storage/index.js';
import { createKeyedMutex } from '../devices/keyedMutex.js';
import { toEvent, type EventDraft, type EventRecorder, type EventSubscriber, type PublishedEvent, type ServiceEvent } from './event.js';
import { eventFromRow, outboxEntity, outboxRange, type OutboxTable } from './outboxRow.js';

export interface EventLogger {
  warn(message: string): void;
}

const dayMs = 86_400_000;
/** Relay-due rows come due this long after the write they precede (a write that takes longer is relayed later). */
const relayDelayMs = 120_000;
const relayShards = 16;
/** Events per publishing transaction: head + 2 actions each (feed row, marker; or feed row, outbox delete) + 1 spare. */
const eventsPerTransaction = 33;
const maxAttempts = 20;
const retentionEveryMs = 3_600_000;

const headSchema = z.object({ last: z.string() });
const markerSchema = z.object({ position: z.string() });

/** A feed position: 13 digits of ms and 6 of a counter; sorts in publication order. */
export function feedPosition(ms: number, n: number): string {
  return `${String(ms).padStart(13, '0')}${String(n).padStart(6, '0')}`;
}
export const positionPattern = /^\d{19}$/;

function nextPositions(last: string | undefined, nowMs: number, count: number): string[] {
  let ms = nowMs;
  let n = 0;
  if (last !== undefined && positionPattern.test(last)) {
    const lastMs = Number(last.slice(0, 13));
    const lastN = Number(last.slice(13));
    if (lastMs >= ms) {
      ms = lastMs;
      n = lastN + 1;
    }
  }
  const positions: string[] = [];
  for (let i = 0; i < count; i += 1) {
    if (n > 999_999) {
      ms += 1;
      n = 0;
    }
    positions.push(feedPosition(ms, n));
    n += 1;
  }
  return positions;
}

export function relayShard(tenantId: string): string {
  return `~relay|${((createHash('sha256').update(tenantId).digest()[0] ?? 0) % relayShards).toString(16)}`;
}

export interface FeedPage {
  readonly items: readonly PublishedEvent[];
  /** The last position examined (also when the filter left it out); undefined when nothing was examined. */
  readonly last: string | undefined;
}

export interface SweepResult {
  readonly due: number;
  readonly published: number;
}

export interface EventRuntime extends EventRecorder {
  /** Registers a subscriber (webhooks): every event published from now on reaches it at least once. */
  subscribe(subscriber: EventSubscriber): void;
  /** Writes the relay-due row before a write that adds outbox rows to a partition (write-ahead: nothing is stranded). */
  prepare(tenantId: string, table: OutboxTable, partitionKey: string): Promise<void>;
  /** After a write with outbox rows committed: relay that partition soon, in this process. */
  nudge(tenantId: string, table: OutboxTable, partitionKey: string): void;
  /** Relays a partition's outbox now; resolves with the events published. */
  relay(tenantId: string, table: OutboxTable, partitionKey: string): Promise<readonly PublishedEvent[]>;
  /** The safety net: relays every partition whose relay-due row is due, and runs due retention. */
  sweep(): Promise<SweepResult>;
  /** Deletes a tenant's events older than the retention period; resolves with how many feed rows went. */
  applyRetention(tenantId: string): Promise<number>;
  /** One page of a tenant's feed after a position, oldest first. */
  readFeed(tenantId: string, after: string | undefined, limit: number, types?: ReadonlySet<string>): Promise<FeedPage>;
  /** Resolves when this process publishes for the tenant, or after `ms`; false if too many already wait. */
  waitForPublication(tenantId: string, ms: number): Promise<boolean>;
  /** Resolves when every relay started in this process has finished (tests, shutdown). */
  idle(): Promise<void>;
}

export interface EventRuntimeOptions {
  readonly retentionDays: number;
  readonly log?: EventLogger;
  /** Most readers of one tenant waiting at once in this process. */
  readonly maxWaitersPerTenant?: number;
}

export function createEventRuntime(tables: TableStore, clock: Clock, options: EventRuntimeOptions): EventRuntime {
  const events = () => tables.table('events');
  const subscribers: EventSubscriber[] = [];
  const perTenant = createKeyedMutex();
  const pending = new Set<Promise<unknown>>();
  const waiters = new Map<string, Set<() => void>>();
  const lastRetention = new Map<string, number>();
  const retentionScheduled = new Map<string, number>();
  const maxWaiters = options.maxWaitersPerTenant ?? 8;
  const warn = (message: string) => options.log?.warn(message);

  function dueRowKey(dueMs: number, tenantId: string, table: OutboxTable, partitionKey: string, suffix = ''): string {
    return `${String(dueMs).padStart(13, '0')}|${tenantId}|${table}|${partitionKey}${suffix}`;
  }

  async function prepare(tenantId: string, table: OutboxTable, partitionKey: string): Promise<void> {
    const dueMs = Math.floor(clock.now().getTime() / 60_000) * 60_000 + relayDelayMs;
    await events().upsertEntity(
      { partitionKey: relayShard(tenantId), rowKey: dueRowKey(dueMs, tenantId, table, partitionKey) },
      'Replace',
    );
  }

  function track<T>(work: Promise<T>): Promise<T> {
    pending.add(work);
    void work.finally(() => pending.delete(work)).catch(() => undefined);
    return work;
  }

  function notify(tenantId: string): void {
    const set = waiters.get(tenantId);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  async function readOutbox(table: OutboxTable, partitionKey: string): Promise<{ rowKey: string; event: ServiceEvent }[]> {
    const { from, to } = outboxRange(table);
    const rows: { rowKey: string; event: ServiceEvent }[] = [];
    const pages = tables
      .table(table)
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${from} and RowKey lt ${to}` } })
      .byPage({ maxPageSize: 1000 });
    for await (const page of pages) {
      for (const entity of page) {
        const event = eventFromRow(entity);
        if (event) rows.push({ rowKey: entity.rowKey ?? '', event });
        else warn(`events: outbox row ${table}/${partitionKey}/${entity.rowKey ?? '?'} does not hold an event; left in place`);
      }
      if (rows.length >= 1000) break;
    }
    return rows;
  }

  /** Which of these events are already in the feed (their `i|` marker exists). */
  async function alreadyPublished(tenantId: string, ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    await Promise.all(
      ids.map(async (id) => {
        if (await readEntity(events(), markerSchema, tenantId, `i|${id}`)) found.add(id);
      }),
    );
    return found;
  }

  /** Publishes events into the tenant's feed; `direct` outbox rows are deleted in the same transaction. */
  async function publish(tenantId: string, batch: readonly ServiceEvent[], direct: boolean): Promise<PublishedEvent[]> {
    const published: PublishedEvent[] = [];
    for (let start = 0; start < batch.length; start += eventsPerTransaction) {
      let chunk = batch.slice(start, start + eventsPerTransaction);
      for (let attempt = 1; chunk.length > 0; attempt += 1) {
        if (attempt > maxAttempts) throw new Error(`events: gave up publishing for a tenant after ${maxAttempts} attempts`);
        const head = await readEntity(events(), headSchema, tenantId, 'h');
        const positions = nextPositions(head?.last, clock.now().getTime(), chunk.length);
        const last = positions.at(-1) ?? '';
        const actions: TransactionAction[] = [
          head ? ['update', { partitionKey: tenantId, rowKey: 'h', last }, 'Merge', { etag: head.etag }] : ['create', { partitionKey: tenantId, rowKey: 'h', last }],
        ];
        chunk.forEach((event, index) => {
          const position = positions[index] ?? '';
          actions.push(['create', { partitionKey: tenantId, rowKey: `f|${position}`, event: JSON.stringify(event), eventId: event.id, type: event.type }]);
          actions.push(['create', { partitionKey: tenantId, rowKey: `i|${event.id}`, position }]);
          if (direct) actions.push(['delete', { partitionKey: tenantId, rowKey: `o|${event.id}` }]);
        });
        try {
          await events().submitTransaction(actions);
          chunk.forEach((event, index) => published.push({ position: positions[index] ?? '', event }));
          chunk = [];
        } catch (error) {
          const status = statusOf(error);
          if (status === 412) continue; // another relay published first: take the new head
          if (status === 409 || status === 404) {
            // An event of this chunk is already in the feed (or the head was created meanwhile): drop those.
            const done = await alreadyPublished(tenantId, chunk.map((event) => event.id));
            chunk = chunk.filter((event) => !done.has(event.id));
            if (direct && done.size > 0) {
              await Promise.all([...done].map((id) => deleteIgnoringMissing('events', tenantId, `o|${id}`)));
            }
            continue;
          }
          throw error;
        }
      }
    }
    return published;
  }

  async function deleteIgnoringMissing(table: OutboxTable, partitionKey: string, rowKey: string): Promise<void> {
    try {
      await tables.table(table).deleteEntity(partitionKey, rowKey);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async function deleteOutbox(table: OutboxTable, partitionKey: string, rowKeys: readonly string[]): Promise<void> {
    for (let start = 0; start < rowKeys.length; start += 100) {
      const keys = rowKeys.slice(start, start + 100);
      try {
        if (keys.length === 1) await deleteIgnoringMissing(table, partitionKey, keys[0] ?? '');
        else await tables.table(table).submitTransaction(keys.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]));
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
        await Promise.all(keys.map((rowKey) => deleteIgnoringMissing(table, partitionKey, rowKey)));
      }
    }
  }

  async function deliverToSubscribers(tenantId: string, justPublished: readonly PublishedEvent[]): Promise<void> {
    for (const subscriber of subscribers) {
      const rowKey = `c|${subscriber.name}`;
      let progress = await readEntity(events(), markerSchema, tenantId, rowKey);
      if (!progress) {
        // A subscriber's first events: it starts with what was just published (not the tenant's whole history),
        // recorded before delivering so a failed delivery is retried from there.
        const start = justPublished[0] ? previousPosition(justPublished[0].position) : undefined;
        if (start === undefined) continue;
        try {
          await events().createEntity({ partitionKey: tenantId, rowKey, position: start });
        } catch (error) {
          if (statusOf(error) !== 409) throw error;
        }
        progress = await readEntity(events(), markerSchema, tenantId, rowKey);
        if (!progress) continue;
      }
      const page = await readFeed(tenantId, progress.position, 1000);
      if (page.items.length === 0) continue;
      await subscriber.deliver(tenantId, page.items);
      const position = page.items.at(-1)?.position ?? progress.position;
      try {
        await events().updateEntity({ partitionKey: tenantId, rowKey, position }, 'Merge', { etag: progress.etag });
      } catch (error) {
        if (statusOf(error) !== 412) throw error; // another relay recorded progress: it delivered these too
      }
    }
  }

  /**
   * Relays one outbox partition. Subscribers are handed what this run published; with `deliverPending` (the safety
   * net) they are also handed anything an earlier run published and failed to deliver.
   */
  async function relayNow(tenantId: string, table: OutboxTable, partitionKey: string, deliverPending = false): Promise<PublishedEvent[]> {
    return perTenant(tenantId, async () => {
      const published: PublishedEvent[] = [];
      for (;;) {
        const rows = await readOutbox(table, partitionKey);
        if (rows.length === 0) break;
        rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
        const foreign = rows.filter((row) => row.event.tenantId !== tenantId);
        for (const row of foreign) warn(`events: outbox row ${row.rowKey} names another tenant; left in place`);
        const own = rows.filter((row) => row.event.tenantId === tenantId);
        if (own.length === 0) break;
        published.push(...(await publish(tenantId, own.map((row) => row.event), table === 'events')));
        if (table !== 'events') await deleteOutbox(table, partitionKey, own.map((row) => row.rowKey));
        if (rows.length < 1000) break;
      }
      if (published.length > 0) notify(tenantId);
      if (published.length > 0 || deliverPending) await deliverToSubscribers(tenantId, published);
      if (published.length > 0) await retentionWhenDue(tenantId);
      return published;
    });
  }

  async function retentionWhenDue(tenantId: string): Promise<void> {
    const now = clock.now().getTime();
    if (now - (lastRetention.get(tenantId) ?? 0) >= retentionEveryMs) {
      lastRetention.set(tenantId, now);
      await applyRetention(tenantId);
    }
    // A tenant whose events stop still has them deleted: a daily retention row the sweep picks up.
    const day = Math.floor(now / dayMs);
    if (retentionScheduled.get(tenantId) !== day) {
      retentionScheduled.set(tenantId, day);
      if (retentionScheduled.size > 100_000) retentionScheduled.clear();
      if (lastRetention.size > 100_000) lastRetention.clear();
      const dueMs = (day + 1) * dayMs + options.retentionDays * dayMs;
      await events().upsertEntity(
        { partitionKey: relayShard(tenantId), rowKey: dueRowKey(dueMs, tenantId, 'events', tenantId, '|retention') },
        'Replace',
      );
    }
  }

  async function deleteRange(tenantId: string, from: string, to: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const keys: string[] = [];
      const pages = events()
        .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${from} and RowKey lt ${to}`, select: ['RowKey'] } })
        .byPage({ maxPageSize: 100 });
      for await (const page of pages) {
        for (const entity of page) if (entity.rowKey) keys.push(entity.rowKey);
        break;
      }
      if (keys.length === 0) return deleted;
      await deleteOutboxLike(tenantId, keys);
      deleted += keys.length;
      if (keys.length < 100) return deleted;
    }
  }

  async function deleteOutboxLike(tenantId: string, keys: readonly string[]): Promise<void> {
    await deleteOutbox('events', tenantId, keys);
  }

  async function applyRetention(tenantId: string): Promise<number> {
    const cutoff = clock.now().getTime() - options.retentionDays * dayMs;
    const cutoffKey = String(Math.max(0, cutoff)).padStart(13, '0');
    const feedRows = await deleteRange(tenantId, 'f|', `f|${cutoffKey}`);
    await deleteRange(tenantId, 'i|evt_', `i|evt_${cutoffKey}`);
    return feedRows;
  }

  async function sweep(): Promise<SweepResult> {
    const nowKey = String(clock.now().getTime()).padStart(13, '0');
    let due = 0;
    let published = 0;
    for (let shard = 0; shard < relayShards; shard += 1) {
      const partitionKey = `~relay|${shard.toString(16)}`;
      const pages = events()
        .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey lt ${nowKey}`, select: ['RowKey'] } })
        .byPage({ maxPageSize: 1000 });
      const rowKeys: string[] = [];
      for await (const page of pages) {
        for (const entity of page) if (entity.rowKey) rowKeys.push(entity.rowKey);
        break;
      }
      for (const rowKey of rowKeys) {
        const parsed = parseDueRow(rowKey);
        if (!parsed) {
          await deleteIgnoringMissing('events', partitionKey, rowKey);
          continue;
        }
        due += 1;
        try {
          if (parsed.retention) await applyRetention(parsed.tenantId);
          else published += (await relayNow(parsed.tenantId, parsed.table, parsed.partitionKey, true)).length;
          await deleteIgnoringMissing('events', partitionKey, rowKey);
        } catch (error) {
          warn(`events: relaying a due partition failed (kept for the next sweep): ${toError(error).message}`);
        }
      }
    }
    return { due, published };
  }

  async function readFeed(tenantId: string, after: string | undefined, limit: number, types?: ReadonlySet<string>): Promise<FeedPage> {
    const items: PublishedEvent[] = [];
    let last: string | undefined;
    const from = after === undefined ? 'f|' : `f|${after}`;
    const filter =
      after === undefined
        ? odata`PartitionKey eq ${tenantId} and RowKey ge ${from} and RowKey lt ${'f}'}`
        : odata`PartitionKey eq ${tenantId} and RowKey gt ${from} and RowKey lt ${'f}'}`;
    const pageSize = types ? 1000 : Math.min(1000, Math.max(1, limit));
    const maxExamined = Math.max(limit, 5000);
    let examined = 0;
    const pages = events().listEntities({ queryOptions: { filter } }).byPage({ maxPageSize: pageSize });
    outer: for await (const page of pages) {
      for (const entity of page) {
        examined += 1;
        const position = (entity.rowKey ?? '').slice(2);
        const event = eventFromRow(entity);
        if (event && event.tenantId === tenantId && (!types || types.has(event.type))) items.push({ position, event });
        last = position;
        if (items.length >= limit) break outer;
      }
      if (examined >= maxExamined) break;
    }
    return { items, last };
  }

  function waitForPublication(tenantId: string, ms: number): Promise<boolean> {
    let set = waiters.get(tenantId);
    if (set && set.size >= maxWaiters) return Promise.resolve(false);
    if (!set) {
      set = new Set();
      waiters.set(tenantId, set);
    }
    const tenantWaiters = set;
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        tenantWaiters.delete(wake);
        if (tenantWaiters.size === 0 && waiters.get(tenantId) === tenantWaiters) waiters.delete(tenantId);
        resolve(true);
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      tenantWaiters.add(wake);
    });
  }

  async function record(tenantId: string, drafts: readonly EventDraft[]): Promise<readonly ServiceEvent[]> {
    if (drafts.length === 0) return [];
    const recorded = drafts.map((draft) => toEvent(tenantId, draft));
    await prepare(tenantId, 'events', tenantId);
    const actions = recorded.map((event): TransactionAction => ['create', outboxEntity('events', tenantId, event)]);
    for (let start = 0; start < actions.length; start += 100) {
      const chunk = actions.slice(start, start + 100);
      if (chunk.length === 1 && chunk[0]) await events().createEntity(chunk[0][1]);
      else await events().submitTransaction(chunk);
    }
    nudge(tenantId, 'events', tenantId);
    return recorded;
  }

  function nudge(tenantId: string, table: OutboxTable, partitionKey: string): void {
    void track(
      relayNow(tenantId, table, partitionKey).catch((error: unknown) => {
        warn(`events: relay failed (the safety net relays it later): ${toError(error).message}`);
        return [];
      }),
    );
  }

  return {
    subscribe: (subscriber) => {
      subscribers.push(subscriber);
    },
    prepare,
    nudge,
    relay: (tenantId, table, partitionKey) => track(relayNow(tenantId, table, partitionKey)),
    sweep,
    applyRetention,
    readFeed,
    waitForPublication,
    record,
    idle: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

function previousPosition(position: string): string | undefined {
  if (!positionPattern.test(position)) return undefined;
  const value = BigInt(position) - 1n;
  return value < 0n ? undefined : value.toString().padStart(19, '0');
}

function parseDueRow(rowKey: string): { tenantId: string; table: OutboxTable; partitionKey: string; retention: boolean } | undefined {
  const parts = rowKey.split('|');
  const [, tenantId, table] = parts;
  if (tenantId === undefined || (table !== 'devices' && table !== 'threats' && table !== 'events')) return undefined;
  let rest = parts.slice(3);
  const retention = rest.at(-1) === 'retention' && table === 'events';
  if (retention) rest = rest.slice(0, -1);
  const partitionKey = rest.join('|');
  if (partitionKey === '' || !partitionKey.startsWith(tenantId)) return undefined;
  return { tenantId, table, partitionKey, retention };
}

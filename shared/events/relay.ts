/**
 * The event relay: moves outbox rows into the tenant's feed (`events` table) in publication order, exactly once,
 * hands new events to subscribers (at least once, in order per tenant), and wakes this process's feed readers.
 * docs/DATA-MODEL.md, "Events", has the rows and the argument for ordering and exactly-once publication.
 */
import { createHash } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import { statusOf, toError } from '../base/errors.js';
import { odata, readEntity, type TableStore } from '../storage/index.js';
import { LRUCache } from 'lru-cache';
import { createKeyedMutex } from '../base/keyedMutex.js';
import { mapLimit } from '../base/mapLimit.js';
import { toEvent, type EventDraft, type EventRecorder, type EventSubscriber, type PublishedEvent, type ServiceEvent } from './event.js';
import { eventFromRow, outboxEntity, outboxRange, type OutboxTable } from './outboxRow.js';

interface Target {
  readonly table: OutboxTable;
  readonly partitionKey: string;
}

/** An event read from an outbox; `direct` when its outbox row is in the tenant's `events` partition. */
interface OutboxItem {
  readonly event: ServiceEvent;
  readonly direct: boolean;
}

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
/** The retention row parked: no events to delete until a publication moves it. */
const retentionIdleMs = 9_999_999_999_999;

const headSchema = z.object({ last: z.string() });
const markerSchema = z.object({ position: z.string() });
const retentionSchema = z.object({ dueMs: z.number() });

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

export interface RetentionRun {
  /** Whether events were due for deletion. */
  readonly due: boolean;
  /** Feed rows deleted. */
  readonly deleted: number;
  /** When events next expire (ms); undefined when the tenant has none. */
  readonly nextDueMs?: number;
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
  /** Records events that already have their ids (a change reported again records the same id; the feed takes it once). */
  recordEvents(tenantId: string, events: readonly ServiceEvent[]): Promise<void>;
  /** Relays a partition's outbox now; resolves with the events published. */
  relay(tenantId: string, table: OutboxTable, partitionKey: string): Promise<readonly PublishedEvent[]>;
  /** The safety net: relays every partition whose relay-due row is due, and runs due retention. */
  sweep(): Promise<SweepResult>;
  /** Deletes a tenant's events older than the retention period; resolves with how many feed rows went. */
  applyRetention(tenantId: string): Promise<number>;
  /**
   * The tenant's periodic retention (its `sweep` job): one point read of the retention row (`r`) unless events are
   * due for deletion; then deletes them by key range and moves the row to when the oldest one left is due.
   */
  retentionDue(tenantId: string): Promise<RetentionRun>;
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
  /** Tenants whose retention row this process has seen due by a given time (one read per tenant and day). */
  const retentionEnsured = new LRUCache<string, number>({ max: 100_000 });
  const maxWaiters = options.maxWaitersPerTenant ?? 8;
  /** Subscribers' progress rows as this process last wrote them, by `{tenantId}|{subscriber}`. */
  const progressCache = new LRUCache<string, { position: string; etag: string }>({ max: 20_000 });
  /** Relay-due rows this process wrote (each is shared by the writes of one minute). */
  const preparedRows = new LRUCache<string, true>({ max: 10_000, ttl: 3 * 60_000 });
  /** Per tenant: the partitions nudged since the tenant's last relay run started, and the run that will take them. */
  const queued = new Map<string, { targets: Map<string, Target>; run: Promise<PublishedEvent[]> | undefined }>();
  const warn = (message: string) => options.log?.warn(message);

  function dueRowKey(dueMs: number, tenantId: string, table: OutboxTable, partitionKey: string, suffix = ''): string {
    return `${String(dueMs).padStart(13, '0')}|${tenantId}|${table}|${partitionKey}${suffix}`;
  }

  async function prepare(tenantId: string, table: OutboxTable, partitionKey: string): Promise<void> {
    const dueMs = Math.floor(clock.now().getTime() / 60_000) * 60_000 + relayDelayMs;
    const rowKey = dueRowKey(dueMs, tenantId, table, partitionKey);
    // Every write of this minute shares the row (the sweep takes it only after the minute is over): write it once.
    if (preparedRows.has(rowKey)) return;
    await events().upsertEntity({ partitionKey: relayShard(tenantId), rowKey }, 'Replace');
    preparedRows.set(rowKey, true);
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

  /**
   * Publishes events into the tenant's feed; the outbox rows of `direct` items (in the `events` table) are deleted in
   * the same transaction. `from` is the feed's last position before these when nothing else was published between
   * them (so a subscriber that had everything up to `from` can be handed these without reading the feed).
   */
  async function publish(tenantId: string, batch: readonly OutboxItem[]): Promise<{ published: PublishedEvent[]; from: string | undefined; contiguous: boolean }> {
    const published: PublishedEvent[] = [];
    let from: string | undefined;
    let contiguous = true;
    let expectedHead: string | undefined;
    let first = true;
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
        chunk.forEach(({ event, direct }, index) => {
          const position = positions[index] ?? '';
          actions.push(['create', { partitionKey: tenantId, rowKey: `f|${position}`, event: JSON.stringify(event), eventId: event.id, type: event.type }]);
          actions.push(['create', { partitionKey: tenantId, rowKey: `i|${event.id}`, position }]);
          if (direct) actions.push(['delete', { partitionKey: tenantId, rowKey: `o|${event.id}` }]);
        });
        try {
          await events().submitTransaction(actions);
          if (first) from = head?.last ?? '';
          else if (head?.last !== expectedHead) contiguous = false;
          first = false;
          expectedHead = last;
          chunk.forEach(({ event }, index) => published.push({ position: positions[index] ?? '', event }));
          chunk = [];
        } catch (error) {
          const status = statusOf(error);
          if (status === 412) continue; // another relay published first: take the new head
          if (status === 409 || status === 404) {
            // An event of this chunk is already in the feed (or the head was created meanwhile): drop those.
            const done = await alreadyPublished(tenantId, chunk.map((item) => item.event.id));
            const directDone = chunk.filter((item) => item.direct && done.has(item.event.id));
            chunk = chunk.filter((item) => !done.has(item.event.id));
            await Promise.all(directDone.map((item) => deleteIgnoringMissing('events', tenantId, `o|${item.event.id}`)));
            continue;
          }
          throw error;
        }
      }
    }
    return { published, from, contiguous };
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

  async function deliverToSubscribers(tenantId: string, run: { published: readonly PublishedEvent[]; from: string | undefined; contiguous: boolean }): Promise<void> {
    const justPublished = run.published;
    await Promise.all(
      subscribers.map(async (subscriber) => {
        const rowKey = `c|${subscriber.name}`;
        const cacheKey = `${tenantId}|${subscriber.name}`;
        // What this process last recorded (a position only ever moves on: a stale one at worst hands events over
        // again, which subscribers deduplicate by id, and its write then fails on the ETag).
        let progress = progressCache.get(cacheKey) ?? (await readEntity(events(), markerSchema, tenantId, rowKey));
        if (!progress) {
          // A subscriber's first events: it starts with what was just published (not the tenant's whole history),
          // recorded before delivering so a failed delivery is retried from there.
          const start = justPublished[0] ? previousPosition(justPublished[0].position) : undefined;
          if (start === undefined) return;
          try {
            await events().createEntity({ partitionKey: tenantId, rowKey, position: start });
          } catch (error) {
            if (statusOf(error) !== 409) throw error;
          }
          progress = await readEntity(events(), markerSchema, tenantId, rowKey);
          if (!progress) return;
        }
        // Up to date before this run (the usual case): hand on what was just published without reading the feed.
        const upToDate = run.contiguous && run.from !== undefined && justPublished.length > 0 && justPublished.length <= 1000 &&
          (progress.position === run.from || (run.from === '' && progress.position === previousPosition(justPublished[0]?.position ?? '')));
        const items = upToDate ? justPublished : (await readFeed(tenantId, progress.position, 1000)).items;
        if (items.length === 0) return;
        await subscriber.deliver(tenantId, items);
        const position = items.at(-1)?.position ?? progress.position;
        try {
          const written = await events().updateEntity({ partitionKey: tenantId, rowKey, position }, 'Merge', { etag: progress.etag });
          if (written.etag) progressCache.set(cacheKey, { position, etag: written.etag });
        } catch (error) {
          progressCache.delete(cacheKey);
          if (statusOf(error) !== 412) throw error; // another relay recorded progress: it delivered these too
        }
      }),
    );
  }

  /**
   * Relays outbox partitions of one tenant together (one feed write per 33 events, one hand-over to subscribers).
   * Subscribers are handed what this run published; with `deliverPending` (the safety net) they are also handed
   * anything an earlier run published and failed to deliver. Callers hold the tenant's lock.
   */
  async function relayTargets(tenantId: string, targets: readonly Target[], deliverPending: boolean): Promise<PublishedEvent[]> {
    const run = { published: [] as PublishedEvent[], from: undefined as string | undefined, contiguous: true };
    let pendingTargets = targets;
    let deletes: Promise<unknown> = Promise.resolve();
    while (pendingTargets.length > 0) {
      const read = await mapLimit(pendingTargets, 8, async (target) => ({ target, rows: await readOutbox(target.table, target.partitionKey) }));
      const items: OutboxItem[] = [];
      for (const { target, rows } of read) {
        for (const row of rows) {
          if (row.event.tenantId !== tenantId) warn(`events: outbox row ${row.rowKey} names another tenant; left in place`);
          else items.push({ event: row.event, direct: target.table === 'events' });
        }
      }
      if (items.length === 0) break;
      // Event ids start with the time they occurred: the feed takes them in that order across partitions.
      items.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
      const result = await publish(tenantId, items);
      if (run.published.length === 0) run.from = result.from;
      else if (!result.contiguous || result.from !== run.published.at(-1)?.position) run.contiguous = false;
      if (!result.contiguous) run.contiguous = false;
      run.published.push(...result.published);
      const deleting = mapLimit(
        read.filter(({ target, rows }) => target.table !== 'events' && rows.length > 0),
        8,
        ({ target, rows }) => deleteOutbox(target.table, target.partitionKey, rows.filter((row) => row.event.tenantId === tenantId).map((row) => row.rowKey)),
      );
      // A partition with more than one read's worth of outbox rows is read again (once its rows are deleted).
      pendingTargets = read.filter(({ rows }) => rows.length >= 1000).map(({ target }) => target);
      if (pendingTargets.length > 0) await deleting;
      // The last deletes run beside the hand-over: a row left by a stop in between is dropped by its `i|` marker.
      else deletes = deleting;
    }
    if (run.published.length > 0) notify(tenantId);
    const handOver =
      run.published.length > 0 || deliverPending
        ? deliverToSubscribers(tenantId, run).catch(async (error: unknown) => {
            // The events are in the feed; the subscribers get them again from their recorded progress: on the
            // tenant's next publication, or from the safety net, which this row makes due.
            await events().upsertEntity(
              { partitionKey: relayShard(tenantId), rowKey: dueRowKey(clock.now().getTime() + 60_000, tenantId, 'events', tenantId) },
              'Replace',
            );
            throw error;
          })
        : Promise.resolve();
    const [handed, deleted] = await Promise.allSettled([handOver, deletes]);
    if (handed.status === 'rejected') throw toError(handed.reason);
    if (deleted.status === 'rejected') throw toError(deleted.reason);
    if (run.published.length > 0) await retentionWhenDue(tenantId, clock.now().getTime());
    return run.published;
  }

  function relayNow(tenantId: string, table: OutboxTable, partitionKey: string, deliverPending = false): Promise<PublishedEvent[]> {
    return perTenant(tenantId, () => relayTargets(tenantId, [{ table, partitionKey }], deliverPending));
  }

  /**
   * Queues a partition for the tenant's next relay run: at most one run per tenant waits behind the running one, and
   * it takes every partition nudged until it starts, so a burst of writes costs a few runs, not one each.
   */
  function schedule(tenantId: string, table: OutboxTable, partitionKey: string): Promise<PublishedEvent[]> {
    let entry = queued.get(tenantId);
    if (!entry) {
      entry = { targets: new Map(), run: undefined };
      queued.set(tenantId, entry);
    }
    entry.targets.set(`${table}|${partitionKey}`, { table, partitionKey });
    if (entry.run) return entry.run;
    const tenantEntry = entry;
    const run = perTenant(tenantId, async () => {
      const targets = [...tenantEntry.targets.values()];
      tenantEntry.targets.clear();
      tenantEntry.run = undefined;
      if (queued.get(tenantId) === tenantEntry) queued.delete(tenantId);
      return relayTargets(tenantId, targets, false);
    });
    entry.run = run;
    return run;
  }

  /**
   * Makes sure the tenant's retention row comes due by the time the events just published expire (once per tenant
   * and day in this process: one point read, and a write only when the row was later or missing).
   */
  async function retentionWhenDue(tenantId: string, publishedMs: number): Promise<void> {
    const dueMs = (Math.floor(publishedMs / dayMs) + 1 + options.retentionDays) * dayMs;
    // Known to be due by then, and not yet due (once due, the tenant's job may move it: read it again).
    const known = retentionEnsured.get(tenantId);
    if (known !== undefined && known <= dueMs && known > publishedMs) return;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const row = await readEntity(events(), retentionSchema, tenantId, 'r');
      try {
        if (!row) await events().createEntity({ partitionKey: tenantId, rowKey: 'r', dueMs });
        else if (row.dueMs > dueMs) await events().updateEntity({ partitionKey: tenantId, rowKey: 'r', dueMs }, 'Replace', { etag: row.etag });
        retentionEnsured.set(tenantId, Math.min(row?.dueMs ?? dueMs, dueMs));
        return;
      } catch (error) {
        const status = statusOf(error);
        if (status !== 409 && status !== 412) throw error;
      }
    }
  }

  async function retentionDue(tenantId: string): Promise<RetentionRun> {
    const row = await readEntity(events(), retentionSchema, tenantId, 'r');
    if (!row || row.dueMs >= retentionIdleMs) return { due: false, deleted: 0 };
    if (row.dueMs > clock.now().getTime()) return { due: false, deleted: 0, nextDueMs: row.dueMs };
    const deleted = await applyRetention(tenantId);
    // The next time an event expires: the oldest one left (one entity read), else parked until a publication.
    let oldest: number | undefined;
    const pages = events()
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${'f|'} and RowKey lt ${'f}'}`, select: ['RowKey'] } })
      .byPage({ maxPageSize: 1 });
    for await (const page of pages) {
      const rowKey = page[0]?.rowKey;
      if (rowKey && positionPattern.test(rowKey.slice(2))) oldest = Number(rowKey.slice(2, 15));
      break;
    }
    const next = oldest === undefined ? retentionIdleMs : (Math.floor(oldest / dayMs) + 1 + options.retentionDays) * dayMs;
    try {
      await events().updateEntity({ partitionKey: tenantId, rowKey: 'r', dueMs: next }, 'Replace', { etag: row.etag });
    } catch (error) {
      if (statusOf(error) !== 412) throw error; // a publication moved it meanwhile: its time stands
    }
    retentionEnsured.delete(tenantId);
    return { due: true, deleted, ...(next < retentionIdleMs ? { nextDueMs: next } : {}) };
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
          // Retention rows of the daily schedule before the `r` row: retention runs from the tenant's job now.
          if (parsed.retention) await retentionDue(parsed.tenantId);
          // Subscribers are caught up from the tenant's own partition's rows (a failed hand-over writes one).
          else published += (await relayNow(parsed.tenantId, parsed.table, parsed.partitionKey, parsed.table === 'events')).length;
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
    await recordEvents(tenantId, recorded);
    return recorded;
  }

  async function recordEvents(tenantId: string, recorded: readonly ServiceEvent[]): Promise<void> {
    const own = recorded.filter((event) => event.tenantId === tenantId);
    if (own.length === 0) return;
    await prepare(tenantId, 'events', tenantId);
    const actions = own.map((event): TransactionAction => ['create', outboxEntity('events', tenantId, event)]);
    for (let start = 0; start < actions.length; start += 100) {
      const chunk = actions.slice(start, start + 100);
      try {
        if (chunk.length === 1 && chunk[0]) await events().createEntity(chunk[0][1]);
        else await events().submitTransaction(chunk);
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        // Recorded again (the same ids): what is not there yet is written one by one; the feed takes an id once.
        for (const action of chunk) {
          try {
            await events().createEntity(action[1]);
          } catch (again) {
            if (statusOf(again) !== 409) throw again;
          }
        }
      }
    }
    nudge(tenantId, 'events', tenantId);
  }

  function nudge(tenantId: string, table: OutboxTable, partitionKey: string): void {
    void track(
      schedule(tenantId, table, partitionKey).catch((error: unknown) => {
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
    relay: (tenantId, table, partitionKey) => track(schedule(tenantId, table, partitionKey)),
    sweep,
    applyRetention,
    retentionDue,
    readFeed,
    waitForPublication,
    record,
    recordEvents,
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

/**
 * The event relay: moves outbox rows into the tenant's feed (`events` table) in publication order, exactly once
 * (publish.ts), hands new events to subscribers (subscribers.ts), and wakes this process's feed readers. A write
 * records a relay-due row first (`prepare`, dueRows.ts) and nudges the relay after it commits; the sweep relays
 * whatever a stopped process left due. docs/DATA-MODEL.md, "Events", has the rows and the argument for ordering and
 * exactly-once publication.
 */
import { LRUCache } from 'lru-cache';
import { toError } from '../base/errors.js';
import { createKeyedMutex } from '../base/keyedMutex.js';
import { mapLimit } from '../base/mapLimit.js';
import type { CorePorts } from '../ports.js';
import { odata } from '../storage/index.js';
import { dueRowKey, parseDueRow, relayDelayMs, relayShard, relayShards } from './dueRows.js';
import type { PublishedEvent, ServiceEvent } from './event.js';
import { eventFromRow, outboxRange, type OutboxTable } from './outboxRow.js';
import type { OutboxItem, Publish, PublishRun } from './publish.js';
import type { RetentionRun } from './retention.js';
import { deleteIgnoringMissing, deleteRows } from './rowDeletes.js';

/** An outbox row: its RowKey and the event it holds. */
export interface OutboxRow {
  readonly rowKey: string;
  readonly event: ServiceEvent;
}

/**
 * The outbox rows a write committed, as its writer knows them (what a nudge may carry, so the relay need not read
 * them back).
 */
export interface WrittenOutbox {
  readonly rows: readonly OutboxRow[];
  /**
   * The write was conditioned on the ETag this process's own last write of the partition left (nobody else wrote
   * there since): the partition's outbox holds these rows besides those this process already handed the relay.
   */
  readonly exclusive: boolean;
}

interface Target {
  readonly table: OutboxTable;
  readonly partitionKey: string;
  /** The rows to relay as nudges carried them; undefined: read the partition's outbox. */
  readonly known?: readonly OutboxRow[];
}

export interface SweepResult {
  readonly due: number;
  readonly published: number;
}

/** A tenant with relay-due rows: when the oldest came due, and how many the read found. */
export interface DueTenant {
  readonly tenantId: string;
  readonly dueMs: number;
  readonly rows: number;
}

export interface Relay {
  /** Writes the relay-due row before a write that adds outbox rows to a partition (write-ahead: nothing is stranded). */
  readonly prepare: (tenantId: string, table: OutboxTable, partitionKey: string) => Promise<void>;
  /**
   * After a write with outbox rows committed: relay that partition soon, in this process. With `written`, the rows
   * are relayed as given, without reading the outbox, when that is exact (see `WrittenOutbox`).
   */
  readonly nudge: (tenantId: string, table: OutboxTable, partitionKey: string, written?: WrittenOutbox) => void;
  /** Relays a partition's outbox now; resolves with the events published. */
  readonly relay: (tenantId: string, table: OutboxTable, partitionKey: string) => Promise<readonly PublishedEvent[]>;
  /** The safety net in one go: relays every partition whose relay-due row is due, and runs due retention. */
  readonly sweep: () => Promise<SweepResult>;
  /**
   * The tenants with relay-due rows, oldest first (one query page per shard; invalid rows are deleted): what the
   * `eventsRelay` timer turns into `relay` tenant jobs.
   */
  readonly dueTenants: () => Promise<DueTenant[]>;
  /** A tenant's `relay` job: relays the partitions its due rows name (one query page of its shard) and deletes them. */
  readonly relayDue: (tenantId: string) => Promise<SweepResult>;
  /** Resolves when every relay started in this process has finished (tests, shutdown). */
  readonly idle: () => Promise<void>;
}

/** What the relay drives once events are in the feed. */
export interface RelayDeps {
  readonly publish: Publish;
  /** Hands a run's events to the subscribers. */
  readonly deliver: (tenantId: string, run: PublishRun) => Promise<void>;
  /** Wakes the tenant's feed readers waiting in this process. */
  readonly notify: (tenantId: string) => void;
  /** Makes sure the tenant's retention comes due for events published at `publishedMs`. */
  readonly retentionWhenDue: (tenantId: string, publishedMs: number) => Promise<void>;
  /** Runs the tenant's retention when due (for retention rows of the daily schedule the sweep still finds). */
  readonly retentionDue: (tenantId: string) => Promise<RetentionRun>;
  readonly warn: (message: string) => void;
}

export function createRelay({ tables, clock }: Pick<CorePorts, 'tables' | 'clock'>, deps: RelayDeps): Relay {
  const { publish, deliver, notify, retentionWhenDue, retentionDue, warn } = deps;
  const events = () => tables.table('events');
  const perTenant = createKeyedMutex();
  const pending = new Set<Promise<unknown>>();
  /** Relay-due rows this process wrote (each is shared by the writes of one minute). */
  const preparedRows = new LRUCache<string, true>({ max: 10_000, ttl: 3 * 60_000 });
  /** Per tenant: the last hand-over to subscribers started in this process (the next one starts after it). */
  const handOvers = new Map<string, Promise<void>>();
  /** Per tenant: the partitions nudged since the tenant's last relay run started, and the run that will take them. */
  const queued = new Map<string, { targets: Map<string, Target>; run: Promise<PublishedEvent[]> | undefined }>();
  /**
   * Partitions whose last relay run in this process succeeded (`{tenantId}|{table}|{partitionKey}`): their outbox
   * holds nothing but rows this process's writers have handed over since, so rows a nudge carries from an exclusive
   * write are relayed without reading the outbox. A failed run, or a partition not seen yet, is read.
   */
  const clean = new LRUCache<string, true>({ max: 50_000 });
  const cleanKey = (tenantId: string, target: Pick<Target, 'table' | 'partitionKey'>): string => `${tenantId}|${target.table}|${target.partitionKey}`;

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

  /**
   * Relays outbox partitions of one tenant together (one feed write per 49 events, one hand-over to subscribers).
   * Resolves once the events are in the feed, with the hand-over to subscribers (`handedOver`) and the deletes of
   * carried outbox rows (`deleted`) under way: the tenant's next run need not wait for them. Subscribers are handed what this run published;
   * with `deliverPending` (the safety net) they are also handed anything an earlier run published and failed to
   * deliver. Callers hold the tenant's lock.
   */
  async function relayTargets(
    tenantId: string,
    targets: readonly Target[],
    deliverPending: boolean,
  ): Promise<{ published: PublishedEvent[]; handedOver: Promise<void>; deleted: Promise<void> }> {
    const deletions: Promise<unknown>[] = [];
    const run: { published: PublishedEvent[]; from: string | undefined; contiguous: boolean } = { published: [], from: undefined, contiguous: true };
    // Rows a nudge carried are relayed as carried only while the partition is clean (the run before succeeded);
    // until this run succeeds, none of its partitions is.
    const settled = targets.map((target) => (target.known && !clean.has(cleanKey(tenantId, target)) ? { table: target.table, partitionKey: target.partitionKey } : target));
    for (const target of settled) clean.delete(cleanKey(tenantId, target));
    let pendingTargets: readonly Target[] = settled;
    while (pendingTargets.length > 0) {
      const read = await mapLimit(pendingTargets, 32, async (target) => ({ target, rows: target.known ?? (await readOutbox(target.table, target.partitionKey)) }));
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
      // Readers see the events as soon as they are in the feed.
      if (result.published.length > 0) notify(tenantId);
      const remove = ({ target, rows }: (typeof read)[number]): Promise<void> =>
        deleteRows(tables, target.table, target.partitionKey, rows.filter((row) => row.event.tenantId === tenantId).map((row) => row.rowKey));
      const published = read.filter(({ target, rows }) => target.table !== 'events' && rows.length > 0);
      // Carried rows are deleted beside the next run (which will not read their partitions: nothing unpublished is
      // left there); the rows of a partition that was read, before it (a read finding them again costs a retry).
      const carriedDeletes = mapLimit(published.filter(({ target }) => target.known), 32, remove);
      carriedDeletes.catch(() => undefined); // observed by `deleted`, or dropped with a run that failed
      deletions.push(carriedDeletes);
      await mapLimit(published.filter(({ target }) => !target.known), 32, remove);
      // A partition with more than one read's worth of outbox rows is read again.
      pendingTargets = read.filter(({ target, rows }) => !target.known && rows.length >= 1000).map(({ target }) => target);
    }
    // Nothing unpublished is left in these partitions but what this process's writers hand over from now on. (A row
    // whose delete fails is already in the feed: a later read drops it by its `i|` marker.)
    for (const target of settled) clean.set(cleanKey(tenantId, target), true);
    if (run.published.length > 0) await retentionWhenDue(tenantId, clock.now().getTime());
    const handedOver = run.published.length > 0 || deliverPending ? handOver(tenantId, run) : Promise.resolve();
    const deleted = Promise.all(deletions).then(() => undefined);
    return { published: run.published, handedOver, deleted };
  }

  /**
   * Hands a run's events to the subscribers after the tenant's earlier hand-overs in this process (in feed order;
   * the next run publishes meanwhile). If it fails, the events are in the feed and the subscribers get them again
   * from their recorded progress: on the tenant's next hand-over, or from the safety net, which a due row makes due.
   */
  function handOver(tenantId: string, run: PublishRun): Promise<void> {
    const previous = handOvers.get(tenantId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => deliver(tenantId, run))
      .catch(async (error: unknown) => {
        await events().upsertEntity(
          { partitionKey: relayShard(tenantId), rowKey: dueRowKey(clock.now().getTime() + 60_000, tenantId, 'events', tenantId) },
          'Replace',
        );
        throw error;
      });
    handOvers.set(tenantId, next);
    void next
      .finally(() => {
        if (handOvers.get(tenantId) === next) handOvers.delete(tenantId);
      })
      .catch(() => undefined);
    return next;
  }

  /** Relays one partition now and waits for the hand-over too (the safety net, `relay`). */
  async function relayNow(tenantId: string, table: OutboxTable, partitionKey: string, deliverPending = false): Promise<PublishedEvent[]> {
    const { published, handedOver, deleted } = await perTenant(tenantId, () => relayTargets(tenantId, [{ table, partitionKey }], deliverPending));
    await Promise.all([handedOver, deleted]);
    return published;
  }

  /**
   * Queues a partition for the tenant's next relay run: at most one run per tenant waits behind the running one, and
   * it takes every partition nudged until it starts, so a burst of writes costs a few runs, not one each.
   */
  function schedule(tenantId: string, table: OutboxTable, partitionKey: string, written?: WrittenOutbox): Promise<PublishedEvent[]> {
    let entry = queued.get(tenantId);
    if (!entry) {
      entry = { targets: new Map(), run: undefined };
      queued.set(tenantId, entry);
    }
    const key = `${table}|${partitionKey}`;
    const queuedTarget = entry.targets.get(key);
    // Carried rows add up while every nudge of the partition carries them from an exclusive write; else it is read.
    const carried = written?.exclusive === true && (queuedTarget === undefined || queuedTarget.known !== undefined);
    entry.targets.set(key, carried ? { table, partitionKey, known: [...(queuedTarget?.known ?? []), ...written.rows] } : { table, partitionKey });
    if (entry.run) return entry.run;
    const tenantEntry = entry;
    const run = perTenant(tenantId, async () => {
      const targets = [...tenantEntry.targets.values()];
      tenantEntry.targets.clear();
      tenantEntry.run = undefined;
      if (queued.get(tenantId) === tenantEntry) queued.delete(tenantId);
      return relayTargets(tenantId, targets, false);
    }).then(async ({ published, handedOver, deleted }) => {
      // The tenant's lock is free again: the next run publishes while this one's events are handed over.
      await Promise.all([handedOver, deleted]);
      return published;
    });
    entry.run = run;
    return run;
  }

  /** The due rows of a relay shard (their RowKeys), oldest first: one query page of up to 1000. */
  async function dueRowKeys(partitionKey: string, nowKey: string): Promise<string[]> {
    const pages = events()
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey lt ${nowKey}`, select: ['RowKey'] } })
      .byPage({ maxPageSize: 1000 });
    const rowKeys: string[] = [];
    for await (const page of pages) {
      for (const entity of page) if (entity.rowKey) rowKeys.push(entity.rowKey);
      break;
    }
    return rowKeys;
  }

  /** Relays the partition a due row names (or runs the retention it stands for), then deletes the row. */
  async function runDueRow(partitionKey: string, rowKey: string, parsed: NonNullable<ReturnType<typeof parseDueRow>>): Promise<number> {
    try {
      let published = 0;
      // Retention rows of the daily schedule before the `r` row: retention runs from the tenant's job now.
      if (parsed.retention) await retentionDue(parsed.tenantId);
      // Subscribers are caught up from the tenant's own partition's rows (a failed hand-over writes one).
      else published = (await relayNow(parsed.tenantId, parsed.table, parsed.partitionKey, parsed.table === 'events')).length;
      await deleteIgnoringMissing(tables, 'events', partitionKey, rowKey);
      return published;
    } catch (error) {
      warn(`events: relaying a due partition failed (kept for the next run): ${toError(error).message}`);
      return 0;
    }
  }

  async function sweep(): Promise<SweepResult> {
    const nowKey = String(clock.now().getTime()).padStart(13, '0');
    let due = 0;
    let published = 0;
    for (let shard = 0; shard < relayShards; shard += 1) {
      const partitionKey = `~relay|${shard.toString(16)}`;
      for (const rowKey of await dueRowKeys(partitionKey, nowKey)) {
        const parsed = parseDueRow(rowKey);
        if (!parsed) {
          await deleteIgnoringMissing(tables, 'events', partitionKey, rowKey);
          continue;
        }
        due += 1;
        published += await runDueRow(partitionKey, rowKey, parsed);
      }
    }
    return { due, published };
  }

  async function dueTenants(): Promise<DueTenant[]> {
    const nowKey = String(clock.now().getTime()).padStart(13, '0');
    const tenants = new Map<string, DueTenant>();
    for (let shard = 0; shard < relayShards; shard += 1) {
      const partitionKey = `~relay|${shard.toString(16)}`;
      for (const rowKey of await dueRowKeys(partitionKey, nowKey)) {
        const parsed = parseDueRow(rowKey);
        if (!parsed) {
          await deleteIgnoringMissing(tables, 'events', partitionKey, rowKey);
          continue;
        }
        const dueMs = Number(rowKey.slice(0, 13));
        const known = tenants.get(parsed.tenantId);
        tenants.set(parsed.tenantId, { tenantId: parsed.tenantId, dueMs: Math.min(known?.dueMs ?? dueMs, dueMs), rows: (known?.rows ?? 0) + 1 });
      }
    }
    return [...tenants.values()].sort((a, b) => a.dueMs - b.dueMs);
  }

  async function relayDue(tenantId: string): Promise<SweepResult> {
    const nowKey = String(clock.now().getTime()).padStart(13, '0');
    const partitionKey = relayShard(tenantId);
    let due = 0;
    let published = 0;
    for (const rowKey of await dueRowKeys(partitionKey, nowKey)) {
      const parsed = parseDueRow(rowKey);
      if (!parsed || parsed.tenantId !== tenantId) continue;
      due += 1;
      published += await runDueRow(partitionKey, rowKey, parsed);
    }
    return { due, published };
  }

  function nudge(tenantId: string, table: OutboxTable, partitionKey: string, written?: WrittenOutbox): void {
    void track(
      schedule(tenantId, table, partitionKey, written).catch((error: unknown) => {
        warn(`events: relay failed (the safety net relays it later): ${toError(error).message}`);
        return [];
      }),
    );
  }

  return {
    prepare,
    nudge,
    relay: (tenantId, table, partitionKey) => track(schedule(tenantId, table, partitionKey)),
    sweep,
    dueTenants,
    relayDue,
    idle: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

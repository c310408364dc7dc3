/**
 * The event store on real Azurite: outbox rows reach the tenant's feed once each, in order, through crashes,
 * concurrent relays, restarts and the retention boundary; readers never miss or repeat an event.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import type { EventDraft, PublishedEvent, ServiceEvent } from '../../../shared/events/event.js';
import { decodeFeedCursor, encodeFeedCursor, readEventFeed } from '../../../shared/events/feed.js';
import { outboxEntity } from '../../../shared/events/outboxRow.js';
import { createEventRuntime, type EventRuntime } from '../../../shared/events/runtime.js';
import { toEvent } from '../../../shared/events/event.js';
import { HttpError } from '../../../shared/http/problem.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore, withTableMethod } from '../../support/tables.js';

let tables: TableStore;
let tenantId: string;
let clock: ManualClock;

beforeEach(async () => {
  tables = await createTestTableStore();
  tenantId = randomUUID();
  clock = new ManualClock('2026-03-01T10:00:00.000Z');
});

const runtime = (retentionDays = 30): EventRuntime => createEventRuntime(tables, clock, { retentionDays });

function audit(n: number): EventDraft {
  return {
    type: 'audit.recorded',
    occurredAt: clock.now().toISOString(),
    data: { actor: { id: 'u1', name: 'Adele' }, action: 'connector.update', target: `change-${n}`, before: { n }, after: { n: n + 1 } },
  };
}

/** Everything in the feed, page by page from the start. */
async function readAll(events: EventRuntime, tenant = tenantId, limit = 7): Promise<ServiceEvent[]> {
  const all: ServiceEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await readEventFeed(events, tenant, { ...(after ? { after } : {}), limit, wait: 0 });
    all.push(...page.items);
    if (page.items.length === 0) return all;
    after = page.nextCursor ?? undefined;
  }
}

describe('recording and relaying events', () => {
  it('publishes recorded events into the feed oldest first, each once, with their stable ids', async () => {
    const events = runtime();
    const recorded = [...(await events.record(tenantId, [audit(1), audit(2)])), ...(await events.record(tenantId, [audit(3)]))];
    await events.idle();
    const feed = await readAll(events);
    expect(feed.map((e) => e.id)).toEqual(recorded.map((e) => e.id));
    expect(feed.map((e) => (e.type === 'audit.recorded' ? e.data.target : ''))).toEqual(['change-1', 'change-2', 'change-3']);
    expect(feed.every((e) => e.tenantId === tenantId)).toBe(true);
  });

  it('recovers events of a process that stopped after writing them and before relaying: the sweep relays them once due', async () => {
    // The "dead" process wrote the relay-due row and its outbox rows, then stopped (no relay ran).
    const dead = runtime();
    const partitionKey = `${tenantId}|ab`;
    await dead.prepare(tenantId, 'threats', partitionKey);
    const stranded = [toEvent(tenantId, audit(1)), toEvent(tenantId, audit(2))];
    for (const event of stranded) await tables.table('threats').createEntity(outboxEntity('threats', partitionKey, event));

    const next = runtime();
    expect((await next.sweep()).due).toBe(0); // not due yet: the writer may still be relaying it
    clock.advance(3 * 60_000);
    const swept = await next.sweep();
    expect(swept).toEqual({ due: 1, published: 2 });
    expect((await readAll(next)).map((e) => e.id)).toEqual(stranded.map((e) => e.id));
    // The outbox row and the due row are gone: a second sweep finds nothing.
    expect(await next.sweep()).toEqual({ due: 0, published: 0 });
    const left = tables.table('threats').listEntities();
    for await (const row of left) expect(row.rowKey?.startsWith('e|')).toBe(false);
  });

  it('never publishes an event twice when a process stopped between publishing and deleting its outbox row', async () => {
    const events = runtime();
    const partitionKey = `${tenantId}|cd`;
    const event = toEvent(tenantId, audit(1));
    await tables.table('devices').createEntity(outboxEntity('devices', partitionKey, event));
    await events.relay(tenantId, 'devices', partitionKey);
    // As if the outbox delete never happened: the row is back, and the relay runs again (sweep or nudge).
    await tables.table('devices').createEntity(outboxEntity('devices', partitionKey, event));
    const again = await events.relay(tenantId, 'devices', partitionKey);
    expect(again).toEqual([]);
    expect((await readAll(events)).map((e) => e.id)).toEqual([event.id]);
  });

  it('relays a burst of nudged partitions in a few runs, in event order, each event once', async () => {
    const events = runtime();
    const handOvers: number[] = [];
    // The first hand-over is held until the other nudges are in: the first run is under way when they come.
    let releaseFirst = (): void => undefined;
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstArrived = (): void => undefined;
    const firstReached = new Promise<void>((resolve) => {
      firstArrived = resolve;
    });
    events.subscribe({
      name: 'count',
      deliver: async (_tenant, batch) => {
        handOvers.push(batch.length);
        if (handOvers.length === 1) {
          firstArrived();
          await firstHeld;
        }
      },
    });
    const written: ServiceEvent[] = [];
    const partitions: string[] = [];
    for (let n = 0; n < 40; n += 1) {
      const partitionKey = `${tenantId}|${n.toString(16).padStart(2, '0')}`;
      const event = toEvent(tenantId, audit(n));
      written.push(event);
      partitions.push(partitionKey);
      await tables.table('threats').createEntity(outboxEntity('threats', partitionKey, event));
    }
    // A first report's relay is under way when 39 more reports nudge theirs.
    events.nudge(tenantId, 'threats', partitions[0] ?? '');
    await firstReached;
    for (const partitionKey of partitions.slice(1)) events.nudge(tenantId, 'threats', partitionKey);
    releaseFirst();
    await events.idle();
    expect((await readAll(events, tenantId, 1000)).map((e) => e.id)).toEqual(written.map((e) => e.id));
    expect(handOvers.reduce((sum, count) => sum + count, 0)).toBe(40);
    // One run per nudge would be 40 hand-overs; the 39 nudged during the first run wait for one next run.
    expect(handOvers.length).toBeLessThanOrEqual(2);
  });

  it('relays the rows a write carries without reading the outbox while only this process writes there, and reads it otherwise', async () => {
    // Storage that fails the next publishing transaction when told to (a fault in the middle of a run).
    let failNext = false;
    const failing = withTableMethod(tables, 'events', 'submitTransaction', (real) => (...args) => {
      if (!failNext) return real.submitTransaction(...args);
      failNext = false;
      return Promise.reject(Object.assign(new Error('storage unavailable'), { statusCode: 503 }));
    });
    const events = createEventRuntime(failing, clock, { retentionDays: 30 });
    const partitionKey = `${tenantId}|ef`;
    const outbox = tables.table('threats');
    /** A write of one event's outbox row, nudged with the row it committed. */
    const write = async (n: number, exclusive: boolean): Promise<ServiceEvent> => {
      const event = toEvent(tenantId, audit(n));
      await outbox.createEntity(outboxEntity('threats', partitionKey, event));
      events.nudge(tenantId, 'threats', partitionKey, { rows: [{ rowKey: `e|${event.id}`, event }], exclusive });
      await events.idle();
      return event;
    };
    /** A row nobody handed this relay: only a read of the partition finds it. */
    const unseen = async (n: number): Promise<ServiceEvent> => {
      const event = toEvent(tenantId, audit(n));
      await outbox.createEntity(outboxEntity('threats', partitionKey, event));
      return event;
    };
    const ids = async (): Promise<string[]> => (await readAll(events, tenantId, 1000)).map((e) => e.id);

    // A partition this process has not relayed yet is read, carried rows or not: what was left there goes first.
    const left = await unseen(1);
    const first = await write(2, true);
    expect(await ids()).toEqual([left.id, first.id]);
    // Now only this process's rows are there: carried rows are relayed as carried (a row written behind its back,
    // which an exclusive write rules out, shows that the partition was not read).
    const behind = await unseen(3);
    const second = await write(4, true);
    expect(await ids()).toEqual([left.id, first.id, second.id]);
    // A write that was not exclusive (another writer came in between) makes the relay read the partition.
    const third = await write(5, false);
    expect(await ids()).toEqual([left.id, first.id, second.id, behind.id, third.id]);
    // A run that failed leaves its rows, and the partition to be read by the next run, carried rows or not.
    failNext = true;
    const fourth = await write(6, true);
    expect(await ids()).toEqual([left.id, first.id, second.id, behind.id, third.id]);
    const afterFailure = await unseen(7);
    const fifth = await write(8, true);
    expect(await ids()).toEqual([left.id, first.id, second.id, behind.id, third.id, fourth.id, afterFailure.id, fifth.id]);
    // Every outbox row is gone.
    for await (const row of outbox.listEntities()) expect(row.rowKey?.startsWith('e|')).toBe(false);
  });

  it('keeps order and loses or repeats nothing with concurrent writers on two instances and a reader polling meanwhile', async () => {
    const instances = [runtime(), runtime()];
    const seen: ServiceEvent[] = [];
    let after: string | undefined;
    let writing = true;
    const reader = (async () => {
      const feedReader = runtime();
      for (;;) {
        const stillWriting = writing;
        const page = await readEventFeed(feedReader, tenantId, { ...(after ? { after } : {}), limit: 5, wait: 0 });
        seen.push(...page.items);
        after = page.nextCursor ?? after;
        if (!stillWriting && page.items.length === 0) return;
      }
    })();
    const recorded = (
      await Promise.all(
        Array.from({ length: 40 }, async (_unused, n) => {
          const events = instances[n % 2];
          if (!events) throw new Error('no instance');
          return events.record(tenantId, [audit(n)]);
        }),
      )
    ).flat();
    await Promise.all(instances.map((events) => events.idle()));
    writing = false;
    await reader;
    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length); // no duplicates
    expect(new Set(ids)).toEqual(new Set(recorded.map((e) => e.id))); // nothing lost
    // The feed's order is the same for every reader: a fresh reader sees exactly the order the poller saw.
    expect((await readAll(runtime(), tenantId, 1000)).map((e) => e.id)).toEqual(ids);
  });

  it('continues from a cursor on a new instance (a restart) and across the retention boundary', async () => {
    const first = runtime(30);
    await first.record(tenantId, [audit(1), audit(2)]);
    await first.idle();
    const page = await readEventFeed(first, tenantId, { limit: 1, wait: 0 });
    expect(page.items).toHaveLength(1);
    const cursor = page.nextCursor ?? '';

    // 31 days later, on a new instance: the old events are past retention; new ones arrive and retention runs.
    clock.advance(31 * 86_400_000);
    const restarted = runtime(30);
    const fresh = await restarted.record(tenantId, [audit(3)]);
    await restarted.idle();
    await restarted.applyRetention(tenantId);
    const next = await readEventFeed(restarted, tenantId, { after: cursor, limit: 100, wait: 0 });
    expect(next.items.map((e) => e.id)).toEqual(fresh.map((e) => e.id));
    expect((await readAll(restarted)).map((e) => e.id)).toEqual(fresh.map((e) => e.id));
    // Retention deleted by key range: nothing of the old events' rows is left.
    const rows: string[] = [];
    for await (const row of tables.table('events').listEntities({ queryOptions: { filter: `PartitionKey eq '${tenantId}'` } })) rows.push(row.rowKey ?? '');
    expect(rows.filter((key) => key.startsWith('f|') || key.startsWith('i|'))).toHaveLength(2);
  });

  it('deletes the events of a tenant whose events stopped once its retention row comes due, on any instance', async () => {
    const events = runtime(1);
    await events.record(tenantId, [audit(1)]);
    await events.idle();
    expect(await runtime(1).retentionDue(tenantId)).toMatchObject({ due: false, deleted: 0, nextDueMs: Date.parse('2026-03-03T00:00:00.000Z') });
    clock.advance(3 * 86_400_000);
    expect(await runtime(1).retentionDue(tenantId)).toEqual({ due: true, deleted: 1 });
    expect(await readAll(runtime(1))).toEqual([]);
    expect(await runtime(1).retentionDue(tenantId)).toEqual({ due: false, deleted: 0 });
  });

  it('hands published events to subscribers in order, again after a failed delivery, and keeps their ids', async () => {
    const events = runtime();
    const delivered: PublishedEvent[] = [];
    let failNext = true;
    events.subscribe({
      name: 'test',
      deliver: (_tenant, batch) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('endpoint queue unavailable'));
        }
        delivered.push(...batch);
        return Promise.resolve();
      },
    });
    const first = await events.record(tenantId, [audit(1)]);
    await events.idle(); // delivery failed: kept for later
    expect(delivered).toEqual([]);
    const second = await events.record(tenantId, [audit(2)]);
    await events.idle();
    expect(delivered.map((p) => p.event.id)).toEqual([...first, ...second].map((e) => e.id));
  });

  it('wakes a waiting reader as soon as an event is published, well before the wait ends', async () => {
    const events = runtime();
    const started = Date.now();
    const waiting = readEventFeed(events, tenantId, { limit: 10, wait: 20 });
    setTimeout(() => void events.record(tenantId, [audit(1)]), 300);
    const page = await waiting;
    expect(page.items).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("refuses another tenant's cursor and a cursor this service did not issue, and shows a tenant only its events", async () => {
    const events = runtime();
    const other = randomUUID();
    await events.record(other, [audit(1)]);
    await events.idle();
    expect(await readAll(events, tenantId)).toEqual([]);
    const theirs = (await readEventFeed(events, other, { limit: 10, wait: 0 })).nextCursor ?? '';
    expect(() => decodeFeedCursor(tenantId, theirs)).toThrow(HttpError);
    await expect(readEventFeed(events, tenantId, { after: theirs, limit: 10, wait: 0 })).rejects.toMatchObject({ status: 400 });
    await expect(readEventFeed(events, tenantId, { after: 'not-a-cursor!', limit: 10, wait: 0 })).rejects.toMatchObject({ status: 400 });
    expect(decodeFeedCursor(tenantId, encodeFeedCursor(tenantId, '0000000000001000000'))).toBe('0000000000001000000');
  });
});

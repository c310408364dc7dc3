/**
 * Publication into a tenant's feed (the tenant's partition of the `events` table): each event takes the next position
 * after the head row `h` and gets a feed row `f|{position}` and a marker `i|{eventId}`, written with the head in one
 * transaction. The head's ETag orders racing relays and the marker keeps an event from being published twice.
 */
import type { TransactionAction } from '@azure/data-tables';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import type { CorePorts } from '../ports.js';
import { readEntity, transactionEtags } from '../storage/index.js';
import type { PublishedEvent, ServiceEvent } from './event.js';
import { nextPositions } from './positions.js';
import { deleteIgnoringMissing } from './rowDeletes.js';

/** An event read from an outbox; `direct` when its outbox row is in the tenant's `events` partition. */
export interface OutboxItem {
  readonly event: ServiceEvent;
  readonly direct: boolean;
}

/** What one publication (or one relay run) put into the feed. */
export interface PublishRun {
  /** The events published, in feed order. */
  readonly published: readonly PublishedEvent[];
  /** The feed's last position before these ('' when the feed was empty); undefined when nothing was published. */
  readonly from: string | undefined;
  /** Whether nothing else was published between these events. */
  readonly contiguous: boolean;
}

export type Publish = (tenantId: string, batch: readonly OutboxItem[]) => Promise<PublishRun>;

/** Actions per publishing transaction: the head, then 2 per event (feed row, marker; a direct event also its outbox delete). */
const actionsPerTransaction = 100;
const maxAttempts = 20;

const headSchema = z.object({ last: z.string() });
const markerSchema = z.object({ position: z.string() });

/** The next chunk of a batch: as many events as fit in one transaction beside the head. */
function nextChunk(batch: readonly OutboxItem[], start: number): OutboxItem[] {
  const chunk: OutboxItem[] = [];
  let actions = 1;
  for (let index = start; index < batch.length; index += 1) {
    const item = batch[index];
    if (!item) break;
    const needed = item.direct ? 3 : 2;
    if (actions + needed > actionsPerTransaction) break;
    chunk.push(item);
    actions += needed;
  }
  return chunk;
}

export function createPublisher({ tables, clock }: Pick<CorePorts, 'tables' | 'clock'>): Publish {
  const events = () => tables.table('events');
  /**
   * Each tenant's head as this process last wrote it: the next publication is conditioned on its ETag without
   * reading it first (another process publishing meanwhile makes that fail with 412: then it is read).
   */
  const heads = new LRUCache<string, { last: string; etag: string }>({ max: 20_000 });

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
  return async function publish(tenantId, batch) {
    const published: PublishedEvent[] = [];
    let from: string | undefined;
    let contiguous = true;
    let expectedHead: string | undefined;
    let first = true;
    for (let start = 0; start < batch.length; ) {
      let chunk = nextChunk(batch, start);
      start += chunk.length;
      for (let attempt = 1; chunk.length > 0; attempt += 1) {
        if (attempt > maxAttempts) throw new Error(`events: gave up publishing for a tenant after ${maxAttempts} attempts`);
        const head = heads.get(tenantId) ?? (await readEntity(events(), headSchema, tenantId, 'h'));
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
          const [headEtag] = transactionEtags(await events().submitTransaction(actions), 1);
          if (headEtag) heads.set(tenantId, { last, etag: headEtag });
          else heads.delete(tenantId);
          if (first) from = head?.last ?? '';
          else if (head?.last !== expectedHead) contiguous = false;
          first = false;
          expectedHead = last;
          chunk.forEach(({ event }, index) => published.push({ position: positions[index] ?? '', event }));
          chunk = [];
        } catch (error) {
          heads.delete(tenantId);
          const status = statusOf(error);
          if (status === 412) continue; // another relay published first: take the new head
          if (status === 409 || status === 404) {
            // An event of this chunk is already in the feed (or the head was created meanwhile): drop those.
            const done = await alreadyPublished(tenantId, chunk.map((item) => item.event.id));
            const directDone = chunk.filter((item) => item.direct && done.has(item.event.id));
            chunk = chunk.filter((item) => !done.has(item.event.id));
            await Promise.all(directDone.map((item) => deleteIgnoringMissing(tables, 'events', tenantId, `o|${item.event.id}`)));
            continue;
          }
          throw error;
        }
      }
    }
    return { published, from, contiguous };
  };
}

/**
 * Hands published events to the subscribers (webhooks, alert mail), at least once and in feed order per tenant. Each
 * subscriber's progress is a row `c|{name}` in the tenant's partition, moved on only after `deliver` resolves; the
 * contract is on `EventSubscriber` (event.ts).
 */
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import type { CorePorts } from '../ports.js';
import { readEntity } from '../storage/index.js';
import { LRUCache } from 'lru-cache';
import type { EventSubscriber } from './event.js';
import { readFeed } from './feedReads.js';
import { previousPosition } from './positions.js';
import type { PublishRun } from './publish.js';

export interface Subscribers {
  /** Registers a subscriber: every event published from now on reaches it at least once. */
  readonly subscribe: (subscriber: EventSubscriber) => void;
  /** Hands a relay run's events (and anything a subscriber has not acknowledged before them) to every subscriber. */
  readonly deliver: (tenantId: string, run: PublishRun) => Promise<void>;
}

const progressSchema = z.object({ position: z.string() });

export function createSubscribers({ tables }: Pick<CorePorts, 'tables'>): Subscribers {
  const events = () => tables.table('events');
  const subscribers: EventSubscriber[] = [];
  /** Subscribers' progress rows as this process last wrote them, by `{tenantId}|{subscriber}`. */
  const progressCache = new LRUCache<string, { position: string; etag: string }>({ max: 20_000 });

  async function deliver(tenantId: string, run: PublishRun): Promise<void> {
    const justPublished = run.published;
    await Promise.all(
      subscribers.map(async (subscriber) => {
        const rowKey = `c|${subscriber.name}`;
        const cacheKey = `${tenantId}|${subscriber.name}`;
        // What this process last recorded (a position only ever moves on: a stale one at worst hands events over
        // again, which subscribers deduplicate by id, and its write then fails on the ETag).
        let progress = progressCache.get(cacheKey) ?? (await readEntity(events(), progressSchema, tenantId, rowKey));
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
          progress = await readEntity(events(), progressSchema, tenantId, rowKey);
          if (!progress) return;
        }
        // Up to date before this run (the usual case): hand on what was just published without reading the feed.
        const upToDate = run.contiguous && run.from !== undefined && justPublished.length > 0 && justPublished.length <= 1000 &&
          (progress.position === run.from || (run.from === '' && progress.position === previousPosition(justPublished[0]?.position ?? '')));
        const items = upToDate ? justPublished : (await readFeed(tables, tenantId, progress.position, 1000)).items;
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

  return {
    subscribe: (subscriber) => {
      subscribers.push(subscriber);
    },
    deliver,
  };
}

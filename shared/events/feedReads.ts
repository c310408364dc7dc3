/**
 * Reads of a tenant's feed: its `f|{position}` rows in the tenant's partition of the `events` table, oldest first.
 * The feed route (feed.ts) and the subscribers' catch-up read through here.
 */
import type { TableStore } from '../storage/index.js';
import { odata } from '../storage/index.js';
import type { PublishedEvent } from './event.js';
import { eventFromRow } from './outboxRow.js';

export interface FeedPage {
  readonly items: readonly PublishedEvent[];
  /** The last position examined (also when the filter left it out); undefined when nothing was examined. */
  readonly last: string | undefined;
}

/** One page of a tenant's feed after a position, oldest first (a type filter examines at most 5000 rows a page). */
export async function readFeed(tables: TableStore, tenantId: string, after: string | undefined, limit: number, types?: ReadonlySet<string>): Promise<FeedPage> {
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
  const pages = tables.table('events').listEntities({ queryOptions: { filter } }).byPage({ maxPageSize: pageSize });
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

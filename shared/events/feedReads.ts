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

/** A page of a tenant's feed read backwards: newest first. */
export interface FeedPageBefore {
  readonly items: readonly PublishedEvent[];
  /** Where the next (older) page starts: read before this position. Undefined once the feed's oldest row was passed. */
  readonly before: string | undefined;
}

const positionWidth = 19;
const positionsPerMs = 1_000_000n;
/** Rows one window's request asks for; a window holding more is narrowed (nothing of it kept). */
const windowRows = (limit: number): number => Math.min(1000, 4 * limit);
/** Rows read per call at most, over every window, so a rare type filter cannot read the whole feed in one answer. */
const maxExaminedBefore = 5000;

const asPosition = (value: bigint): string => value.toString().padStart(positionWidth, '0');

/**
 * One page of a tenant's feed before a position (or from the newest event), newest first. Table Storage lists a
 * partition in ascending key order only, so the feed is read in windows of positions going back from `before`
 * (a minute first, then four times wider each time, narrowed when a window holds more rows than one request
 * answers), each window read ascending and taken from its end. Costs one query for the feed's oldest row plus one per
 * window; a call examines at most 5000 rows (a rare type filter may answer fewer events than `limit`, with a cursor).
 */
export async function readFeedBefore(
  tables: TableStore,
  tenantId: string,
  request: { readonly before?: string; readonly limit: number; readonly types?: ReadonlySet<string>; readonly nowMs: number },
): Promise<FeedPageBefore> {
  const table = tables.table('events');
  const limit = Math.min(1000, Math.max(1, request.limit));
  let oldestKey: string | undefined;
  const head = table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${'f|'} and RowKey lt ${'f}'}`, select: ['RowKey'] } }).byPage({ maxPageSize: 1 });
  for await (const page of head) {
    oldestKey = page[0]?.rowKey;
    break;
  }
  if (oldestKey === undefined) return { items: [], before: undefined };
  const oldest = BigInt(oldestKey.slice(2));
  // Exclusive upper bound; undefined: above the newest row, wherever it is (another instance's clock may run ahead).
  let upper = request.before === undefined ? undefined : BigInt(request.before);
  let window = 60_000n * positionsPerMs;
  const items: PublishedEvent[] = [];
  let examined = 0;
  while (upper === undefined || upper > oldest) {
    const top = upper ?? BigInt(request.nowMs) * positionsPerMs;
    const lower = top - window > oldest ? top - window : oldest;
    const filter =
      upper === undefined
        ? odata`PartitionKey eq ${tenantId} and RowKey ge ${`f|${asPosition(lower)}`} and RowKey lt ${'f}'}`
        : odata`PartitionKey eq ${tenantId} and RowKey ge ${`f|${asPosition(lower)}`} and RowKey lt ${`f|${asPosition(upper)}`}`;
    // One request per window: a window with more rows than a request answers is narrowed, not read through.
    const rows: { rowKey?: string; [key: string]: unknown }[] = [];
    let overflow = false;
    for await (const page of table.listEntities({ queryOptions: { filter } }).byPage({ maxPageSize: windowRows(limit) })) {
      rows.push(...page);
      overflow = page.continuationToken !== undefined;
      break;
    }
    examined += rows.length;
    if (overflow && window > 1n) {
      // Narrow to about a page's worth of rows at the density just seen (at least by half), and read again.
      const positionOf = (entity: { rowKey?: string } | undefined): bigint => BigInt((entity?.rowKey ?? '').slice(2) || asPosition(lower));
      const narrower = ((positionOf(rows.at(-1)) - positionOf(rows[0]) + 1n) * BigInt(limit)) / BigInt(Math.max(1, rows.length));
      window = narrower < 1n ? 1n : narrower < window / 2n ? narrower : window / 2n;
      if (examined >= maxExaminedBefore) return { items, before: asPosition(top) };
      continue;
    }
    for (let i = rows.length - 1; i >= 0; i -= 1) {
      const entity = rows[i] ?? {};
      const position = (entity.rowKey ?? '').slice(2);
      const event = eventFromRow(entity);
      if (event && event.tenantId === tenantId && (!request.types || request.types.has(event.type))) {
        items.push({ position, event });
        if (items.length >= limit) return { items, before: BigInt(position) > oldest ? position : undefined };
      }
    }
    upper = lower;
    window *= 4n;
    if (examined >= maxExaminedBefore) return { items, before: lower > oldest ? asPosition(lower) : undefined };
  }
  return { items, before: undefined };
}

/**
 * Query paging. A page is one storage round trip; the cursor for the next page is an opaque base64url string
 * that carries the service's continuation token and is bound to the query it came from. Build filters with
 * `odata` from @azure/data-tables so values are escaped.
 */
import { createHash } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { parseEntity } from './entities.js';
import type { EntitySchema, StoredEntity } from './entities.js';
import { InvalidCursor } from './errors.js';

/** The service's maximum page size. */
export const maxPageSize = 1_000;

/** Any entity's user properties, for readers that do not want a specific shape. */
export const anyEntity: EntitySchema<Record<string, unknown>> = z.record(z.string(), z.unknown());

export interface QueryOptions<T> {
  schema: EntitySchema<T>;
  /** An OData filter, e.g. odata`PartitionKey eq ${tenantKey}`. */
  filter?: string;
  /** Property names to return (system properties are always returned). */
  select?: string[];
}

export interface PageOptions<T> extends QueryOptions<T> {
  /** From the previous page's nextCursor; absent for the first page. */
  cursor?: string | null;
  /** Items per page, 1..1000. The service may return fewer, even with more to come. */
  limit: number;
}

export interface Page<E> {
  items: E[];
  /** Null on the last page. */
  nextCursor: string | null;
}

const cursorSchema = z.object({ v: z.literal(1), q: z.string(), t: z.string().min(1) });
const serviceTokenSchema = z.object({ nextPartitionKey: z.string().min(1), nextRowKey: z.string().optional() });
const base64url = /^[A-Za-z0-9_-]+$/;
const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

function queryFingerprint(filter: string | undefined, select: string[] | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([filter ?? null, select ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function encodeCursor(continuationToken: string, filter?: string, select?: string[]): string {
  const payload = { v: 1, q: queryFingerprint(filter, select), t: continuationToken };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** The service continuation token inside a cursor; InvalidCursor unless this query issued it. */
export function decodeCursor(cursor: string, filter?: string, select?: string[]): string {
  if (cursor.length > 8_192 || !base64url.test(cursor)) throw new InvalidCursor('not a cursor');
  const payload = cursorSchema.safeParse(parseJson(Buffer.from(cursor, 'base64url').toString('utf8')));
  if (!payload.success) throw new InvalidCursor('not a cursor');
  if (payload.data.q !== queryFingerprint(filter, select)) throw new InvalidCursor('issued for another query');
  const token = payload.data.t;
  // The SDK's continuation token is base64 of {"nextPartitionKey", "nextRowKey"} (decoded byte by byte).
  const service = base64.test(token)
    ? serviceTokenSchema.safeParse(parseJson(Buffer.from(token, 'base64').toString('latin1')))
    : undefined;
  if (service === undefined || !service.success) throw new InvalidCursor('not a continuation token');
  return token;
}

function withKeys(select: string[] | undefined): string[] | undefined {
  if (select === undefined) return undefined;
  return [...new Set(['partitionKey', 'rowKey', ...select])];
}

/** One page of a query: one storage transaction. */
export async function listPage<T>(table: TableClient, options: PageOptions<T>): Promise<Page<StoredEntity<T>>> {
  const { schema, filter, limit } = options;
  const select = withKeys(options.select);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
    throw new RangeError(`limit must be an integer from 1 to ${maxPageSize}`);
  }
  const continuationToken =
    options.cursor === undefined || options.cursor === null ? undefined : decodeCursor(options.cursor, filter, select);

  const pages = table
    .listEntities({ queryOptions: { filter, select } })
    .byPage({ maxPageSize: limit, continuationToken });
  const first = await pages.next();
  if (first.done === true) return { items: [], nextCursor: null };
  const page = first.value;
  const items = page.map((raw) => parseEntity(table.tableName, schema, raw));
  const nextCursor = page.continuationToken ? encodeCursor(page.continuationToken, filter, select) : null;
  return { items, nextCursor };
}

/** Every entity the query matches, page after page (1,000 per storage transaction). */
export async function* listAll<T>(table: TableClient, options: QueryOptions<T>): AsyncGenerator<StoredEntity<T>> {
  let cursor: string | null = null;
  do {
    const page: Page<StoredEntity<T>> = await listPage(table, { ...options, cursor, limit: maxPageSize });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor !== null);
}

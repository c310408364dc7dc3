/**
 * A device's timeline for the console (`GET /api/v1/console/devices/{deviceId}/timeline`): newest first, a page at a
 * time, read from the rows kept with the device (shared/devices/deviceTimeline.ts): one bounded range query in each
 * of its two tables (device changes and pushes in `devices`, threat events in `threats`), merged by key.
 */
import { z } from 'zod';
import { devicePartitionKey } from '../devices/device.js';
import { timelineKinds, timelinePrefix } from '../devices/deviceTimeline.js';
import { HttpError } from '../http/problem.js';
import { odata, readEntity, anyEntity, type TableStore } from '../storage/index.js';

export const timelineQuerySchema = z.object({
  cursor: z.string().min(1).max(1024).optional().describe('`nextCursor` of the previous page.'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Entries per page, 1..200 (default 50).'),
});

export const timelineItemSchema = z.object({
  at: z.string(),
  kind: z.enum(timelineKinds).describe('`event` (same id as the feed), `push`, `activation`, `credential-rotation`, `override`, `attestation`.'),
  summary: z.string().describe('What happened, in one line.'),
  eventId: z.string().optional().describe('The id of the event in the tenant feed, for `event` entries.'),
  data: z.unknown().describe('The details: the event data, or for a push `{ target, value, result, version }`.'),
});

export const timelineSchema = z.object({
  items: z.array(timelineItemSchema),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next (older) page; null on the last page.'),
});
export type Timeline = z.infer<typeof timelineSchema>;

const cursorSchema = z.object({ v: z.literal(1), d: z.string(), k: z.string() });

function encodeCursor(deviceId: string, rowKey: string): string {
  return Buffer.from(JSON.stringify({ v: 1, d: deviceId, k: rowKey }), 'utf8').toString('base64url');
}

function badCursor(): HttpError {
  return new HttpError(400, 'The cursor is not valid for this timeline; start again without a cursor.', { errors: [{ path: 'cursor', message: 'not a cursor issued for this device' }] });
}

function decodeCursor(deviceId: string, cursor: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success || result.data.d !== deviceId || !result.data.k.startsWith(timelinePrefix(deviceId))) throw badCursor();
  return result.data.k;
}

const rowSchema = z.object({
  rowKey: z.string(),
  at: z.string(),
  kind: z.enum(timelineKinds),
  summary: z.string(),
  eventId: z.string().optional(),
  data: z.string().optional(),
});

function parseData(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

const deviceIdPattern = /^[A-Za-z0-9-]{1,128}$/;

async function readRows(tables: TableStore, table: 'devices' | 'threats', partitionKey: string, low: string, high: string, limit: number): Promise<z.infer<typeof rowSchema>[]> {
  const page = await tables
    .table(table)
    .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey gt ${low} and RowKey lt ${high}` } })
    .byPage({ maxPageSize: limit })
    .next();
  if (page.done === true) return [];
  return page.value.flatMap((raw) => {
    const row = rowSchema.safeParse(raw);
    return row.success ? [row.data] : [];
  });
}

/** A page of the device's timeline, newest first; 404 when the tenant has no such device. */
export async function readDeviceTimeline(tables: TableStore, tenantId: string, deviceId: string, query: z.output<typeof timelineQuerySchema>): Promise<Timeline> {
  if (!deviceIdPattern.test(deviceId)) throw new HttpError(404, 'There is no such device in your organization.');
  const id = deviceId.toLowerCase();
  const partitionKey = devicePartitionKey(tenantId, id);
  const after = query.cursor ? decodeCursor(id, query.cursor) : timelinePrefix(id);
  const device = await readEntity(tables.table('devices'), anyEntity, partitionKey, id);
  if (!device) throw new HttpError(404, 'There is no such device in your organization.');
  const high = `~t|${id}}`;
  // One more than asked from each table tells whether an older page exists.
  const [own, threats] = await Promise.all([
    readRows(tables, 'devices', partitionKey, after, high, query.limit + 1),
    readRows(tables, 'threats', partitionKey, after, high, query.limit + 1),
  ]);
  const merged = [...own, ...threats].sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
  const page = merged.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => ({ at: row.at, kind: row.kind, summary: row.summary, ...(row.eventId ? { eventId: row.eventId } : {}), data: parseData(row.data) })),
    nextCursor: merged.length > query.limit && last ? encodeCursor(id, last.rowKey) : null,
  };
}

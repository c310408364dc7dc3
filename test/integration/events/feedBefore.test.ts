/**
 * The feed read newest first (`readFeedBefore`, behind `GET /api/v1/events?order=newest`) on real Azurite: paging back
 * with `before` serves every event exactly once, newest first, across sparse days and a dense burst of more rows than
 * one window holds, with and without a type filter, and ends (no further cursor) at the oldest kept event.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { feedPosition } from '../../../shared/events/positions.js';
import { readFeedBefore } from '../../../shared/events/feedReads.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

const day = 86_400_000;
const start = Date.parse('2026-03-01T00:00:00.000Z');
const now = start + 30 * day;
let tables: TableStore;
const tenantId = randomUUID();
/** Every feed row written, oldest first: its position, event id and type. */
const written: { position: string; id: string; type: string }[] = [];

function row(position: string, id: string, type: string, tenant = tenantId) {
  const data =
    type === 'audit.recorded'
      ? { actor: { id: 'u1', name: 'Adele' }, action: 'connector.update', target: id, before: {}, after: {} }
      : { status: 'healthy', previous: 'degraded', checks: [] };
  const event = { id, type, occurredAt: new Date(Number(position.slice(0, 13))).toISOString(), tenantId: tenant, data };
  return { partitionKey: tenant, rowKey: `f|${position}`, event: JSON.stringify(event), eventId: id, type };
}

beforeAll(async () => {
  tables = await createTestTableStore();
  const positions: string[] = [];
  // Sparse: one event a day for 29 days.
  for (let d = 0; d < 29; d += 1) positions.push(feedPosition(start + d * day + 3_600_000, 0));
  // A burst: 2,500 events within one second, a day before now (more than one window's worth of rows).
  for (let n = 0; n < 2500; n += 1) positions.push(feedPosition(now - day + Math.floor(n / 10) * 4, n % 10));
  // The last few minutes.
  for (let m = 5; m >= 1; m -= 1) positions.push(feedPosition(now - m * 60_000, 0));
  positions.sort();
  const entities = positions.map((position, index) => {
    const type = index % 7 === 0 ? 'audit.recorded' : 'connector.health_changed';
    const id = `evt_${String(index).padStart(6, '0')}`;
    written.push({ position, id, type });
    return row(position, id, type);
  });
  const table = tables.table('events');
  for (let i = 0; i < entities.length; i += 100) {
    await table.submitTransaction(entities.slice(i, i + 100).map((entity) => ['create', entity] as const));
  }
  // Another tenant's feed and the tenant's other rows (head, markers) are never served.
  await table.createEntity(row(feedPosition(now - 1000, 0), 'evt_other', 'audit.recorded', randomUUID()));
  await table.createEntity({ partitionKey: tenantId, rowKey: 'h', last: written.at(-1)?.position ?? '' });
  await table.createEntity({ partitionKey: tenantId, rowKey: 'i|evt_000000', position: written[0]?.position ?? '' });
});

async function readAll(limit: number, types?: ReadonlySet<string>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let before: string | undefined;
  let pages = 0;
  do {
    const page = await readFeedBefore(tables, tenantId, { ...(before === undefined ? {} : { before }), limit, nowMs: now, ...(types ? { types } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((item) => item.event.id));
    before = page.before;
    pages += 1;
    if (pages > 500) throw new Error('the feed did not end');
  } while (before !== undefined);
  return { ids, pages };
}

describe('readFeedBefore: the feed newest first', () => {
  it('opens on the newest events', async () => {
    const page = await readFeedBefore(tables, tenantId, { limit: 3, nowMs: now });
    expect(page.items.map((item) => item.event.id)).toEqual(written.slice(-3).reverse().map((w) => w.id));
    expect(page.before).toBe(written.at(-3)?.position);
  });

  it('pages back through every event once, newest first, to the oldest, then gives no cursor', async () => {
    const { ids, pages } = await readAll(100);
    expect(ids).toEqual(written.map((w) => w.id).reverse());
    // Full pages, but for one cut short where a call reached its read budget inside the burst.
    expect(pages).toBeLessThanOrEqual(Math.ceil(written.length / 100) + 1);
  });

  it('keeps to a type filter across pages', async () => {
    const { ids } = await readAll(40, new Set(['audit.recorded']));
    expect(ids).toEqual(written.filter((w) => w.type === 'audit.recorded').map((w) => w.id).reverse());
  });

  it('serves nothing, and no cursor, for a tenant without events', async () => {
    expect(await readFeedBefore(tables, randomUUID(), { limit: 10, nowMs: now })).toEqual({ items: [], before: undefined });
  });
});

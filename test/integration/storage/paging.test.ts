import type { TransactionAction } from '@azure/data-tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TableStore } from '../../../shared/storage/index.js';
import { InvalidCursor, encodeCursor, listAll, listPage, odata, submitInBatches } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

const row = z.object({ n: z.number() });
const total = 2_500;
const partitions = ['tenant-a', 'tenant-b', 'tenant-c'];

describe('listPage / listAll', () => {
  let store: TableStore;

  beforeAll(async () => {
    store = await createTestTableStore();
    const actions: TransactionAction[] = Array.from({ length: total }, (_, n) => [
      'create',
      { partitionKey: partitions[n % partitions.length] ?? '', rowKey: `row${String(n).padStart(5, '0')}`, n },
    ]);
    await submitInBatches(store.table('devices'), actions);
  });

  it('returns each of 2,500 rows exactly once across cursor pages', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    const before = store.stats.transactions;
    do {
      const page: Awaited<ReturnType<typeof listPage<{ n: number }>>> = await listPage(store.table('devices'), {
        schema: row,
        cursor,
        limit: 400,
      });
      expect(page.items.length).toBeLessThanOrEqual(400);
      seen.push(...page.items.map((item) => item.n));
      cursor = page.nextCursor;
      pages += 1;
      if (cursor !== null) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    } while (cursor !== null);

    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(total / 400));
    expect(store.stats.transactions - before).toBe(pages);
  });

  it('keeps to the filter on every page (one tenant only)', async () => {
    const filter = odata`PartitionKey eq ${'tenant-b'}`;
    const first = await listPage(store.table('devices'), { schema: row, filter, limit: 500 });
    expect(first.items).toHaveLength(500);
    expect(first.nextCursor).not.toBeNull();
    const rest = await listPage(store.table('devices'), { schema: row, filter, limit: 1_000, cursor: first.nextCursor });
    const all = [...first.items, ...rest.items];
    expect(rest.nextCursor).toBeNull();
    expect(all).toHaveLength(Math.floor(total / 3));
    expect(all.every((item) => item.partitionKey === 'tenant-b' && item.n % 3 === 1)).toBe(true);
  });

  it('selects properties while still returning keys', async () => {
    const page = await listPage(store.table('devices'), { schema: row, select: ['n'], limit: 3 });
    expect(page.items).toHaveLength(3);
    for (const item of page.items) {
      expect(item.partitionKey).toMatch(/^tenant-/);
      expect(item.rowKey).toMatch(/^row/);
      expect(typeof item.n).toBe('number');
    }
  });

  it('iterates everything with listAll', async () => {
    let count = 0;
    for await (const item of listAll(store.table('devices'), { schema: row })) {
      expect(item.n).toBeTypeOf('number');
      count += 1;
    }
    expect(count).toBe(total);
  });

  it('rejects forged, tampered and foreign cursors with InvalidCursor', async () => {
    const table = store.table('devices');
    const page = await listPage(table, { schema: row, limit: 10 });
    const cursor = page.nextCursor ?? '';
    const forged = [
      'not a cursor!',
      'AAAA',
      Buffer.from('{"v":1}').toString('base64url'),
      Buffer.from(JSON.stringify({ v: 1, q: 'x', t: 'y' })).toString('base64url'),
      encodeCursor('bm90IGpzb24'), // a token that is not the service's
      `${cursor.slice(0, -4)}AAAA`,
    ];
    for (const bad of forged) {
      await expect(listPage(table, { schema: row, cursor: bad, limit: 10 }), bad).rejects.toThrow(InvalidCursor);
    }
    // A cursor from one query is not accepted for another.
    await expect(
      listPage(table, { schema: row, cursor, limit: 10, filter: odata`PartitionKey eq ${'tenant-a'}` }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_CURSOR' });
    expect((await listPage(table, { schema: row, cursor, limit: 10 })).items).toHaveLength(10);
  });

  it('refuses limits outside 1..1000', async () => {
    await expect(listPage(store.table('devices'), { schema: row, limit: 1_001 })).rejects.toThrow(RangeError);
    await expect(listPage(store.table('devices'), { schema: row, limit: 0 })).rejects.toThrow(RangeError);
  });
});

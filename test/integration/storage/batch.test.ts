import type { TransactionAction } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { listAll, odata, planTransactions, submitInBatches, transactionEtags } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

const row = z.object({ n: z.number() });
const upsert = (partitionKey: string, rowKey: string, n: number): TransactionAction => ['upsert', { partitionKey, rowKey, n }];

async function rowsOf(store: Awaited<ReturnType<typeof createTestTableStore>>, partitionKey: string) {
  const rows: { rowKey: string; n: number }[] = [];
  for await (const entity of listAll(store.table('devices'), { schema: row, filter: odata`PartitionKey eq ${partitionKey}` })) {
    rows.push({ rowKey: entity.rowKey, n: entity.n });
  }
  return rows;
}

describe('submitInBatches', () => {
  it('writes 250 entities of one partition in 3 transactions, all readable', async () => {
    const store = await createTestTableStore();
    const actions = Array.from({ length: 250 }, (_, i) => upsert('tenant-a', `d${String(i).padStart(3, '0')}`, i));
    const before = store.stats.transactions;

    expect(await submitInBatches(store.table('devices'), actions)).toBe(3);
    expect(store.stats.transactions - before).toBe(3);

    const rows = await rowsOf(store, 'tenant-a');
    expect(rows).toHaveLength(250);
    expect(rows.map((r) => r.n).sort((a, b) => a - b)).toEqual(actions.map((_, i) => i));
  });

  it('groups interleaved partitions into their own transactions', async () => {
    const store = await createTestTableStore();
    const actions: TransactionAction[] = [];
    for (let i = 0; i < 120; i += 1) {
      actions.push(upsert('p1', `r${i}`, i));
      if (i < 100) actions.push(upsert('p2', `r${i}`, i));
      if (i < 5) actions.push(upsert('p3', `r${i}`, i));
    }
    // p1: 100 + 20, p2: 100, p3: 5.
    expect(await submitInBatches(store.table('devices'), actions)).toBe(4);
    expect(await rowsOf(store, 'p1')).toHaveLength(120);
    expect(await rowsOf(store, 'p2')).toHaveLength(100);
    expect(await rowsOf(store, 'p3')).toHaveLength(5);
  });

  it('sends nothing for no actions', async () => {
    const store = await createTestTableStore();
    const before = store.stats.transactions;
    expect(await submitInBatches(store.table('devices'), [])).toBe(0);
    expect(store.stats.transactions).toBe(before);
  });

  it('splits by payload size when entities are large, and keeps one row key per transaction', async () => {
    const store = await createTestTableStore();
    const big = 'x'.repeat(30_000);
    const actions: TransactionAction[] = Array.from({ length: 100 }, (_, i) => [
      'upsert',
      { partitionKey: 'big', rowKey: `r${i}`, n: i, a: big, b: big, c: big },
    ]);
    const plan = planTransactions(actions);
    expect(plan).toHaveLength(1);
    expect(plan[0]?.length).toBeGreaterThan(1);
    for (const chunk of plan[0] ?? []) {
      const bytes = chunk.reduce((total, action) => total + JSON.stringify(action[1]).length, 0);
      expect(bytes).toBeLessThan(4 * 1024 * 1024);
    }
    expect(await submitInBatches(store.table('devices'), actions)).toBe(plan[0]?.length);
    expect(await rowsOf(store, 'big')).toHaveLength(100);

    // The same row twice: two transactions, applied in order.
    expect(await submitInBatches(store.table('devices'), [upsert('dup', 'r', 1), upsert('dup', 'r', 2)])).toBe(2);
    expect(await rowsOf(store, 'dup')).toEqual([{ rowKey: 'r', n: 2 }]);
  });

  it('fails when a transaction fails, with the failing partition unwritten', async () => {
    const store = await createTestTableStore();
    const table = store.table('devices');
    await table.createEntity({ partitionKey: 'conflict', rowKey: 'r1', n: 0 });
    const actions: TransactionAction[] = [
      ['create', { partitionKey: 'conflict', rowKey: 'r0', n: 1 }],
      ['create', { partitionKey: 'conflict', rowKey: 'r1', n: 1 }],
    ];
    await expect(submitInBatches(table, actions)).rejects.toMatchObject({ statusCode: 409 });
    expect(await rowsOf(store, 'conflict')).toEqual([{ rowKey: 'r1', n: 0 }]);
  });

  it('sends a lone action as its own call, with the outcome a transaction of one would have', async () => {
    const store = await createTestTableStore();
    const table = store.table('devices');
    const one = async (action: TransactionAction) => {
      const before = store.stats.transactions;
      expect(await submitInBatches(table, [action])).toBe(1);
      expect(store.stats.transactions - before).toBe(1);
    };
    await one(['create', { partitionKey: 'single', rowKey: 'a', n: 1 }]);
    await one(['upsert', { partitionKey: 'single', rowKey: 'b', n: 2 }, 'Replace']);
    await one(['update', { partitionKey: 'single', rowKey: 'a', n: 3 }, 'Merge']);
    await one(['delete', { partitionKey: 'single', rowKey: 'b' }]);
    expect(await rowsOf(store, 'single')).toEqual([{ rowKey: 'a', n: 3 }]);

    await expect(submitInBatches(table, [['create', { partitionKey: 'single', rowKey: 'a', n: 9 }]])).rejects.toMatchObject({ statusCode: 409 });
    await expect(submitInBatches(table, [['delete', { partitionKey: 'single', rowKey: 'gone' }]])).rejects.toMatchObject({ statusCode: 404 });
    const { etag } = await table.getEntity('single', 'a');
    await table.updateEntity({ partitionKey: 'single', rowKey: 'a', n: 4 }, 'Merge');
    await expect(
      submitInBatches(table, [['update', { partitionKey: 'single', rowKey: 'a', n: 5 }, 'Replace', { etag }]]),
    ).rejects.toMatchObject({ statusCode: 412 });
    expect(await rowsOf(store, 'single')).toEqual([{ rowKey: 'a', n: 4 }]);
  });
});

describe('transactionEtags', () => {
  it('gives each action of a transaction the ETag it got, in order, updates included', async () => {
    const store = await createTestTableStore();
    const table = store.table('devices');
    await table.createEntity({ partitionKey: 'etags', rowKey: 'b', n: 0 });
    const actions: TransactionAction[] = [
      ['create', { partitionKey: 'etags', rowKey: 'a', n: 1 }],
      ['update', { partitionKey: 'etags', rowKey: 'b', n: 2 }, 'Replace'],
      ['upsert', { partitionKey: 'etags', rowKey: 'c', n: 3 }, 'Replace'],
    ];
    const etags = transactionEtags(await table.submitTransaction(actions), actions.length);
    // Each ETag is the row's own: a conditional write on it succeeds.
    for (const [index, rowKey] of ['a', 'b', 'c'].entries()) {
      expect(etags[index]).toBe((await table.getEntity('etags', rowKey)).etag);
      await table.updateEntity({ partitionKey: 'etags', rowKey, n: 9 }, 'Replace', { etag: etags[index] ?? '' });
    }
  });
});

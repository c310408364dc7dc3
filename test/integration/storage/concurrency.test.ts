import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConcurrencyExhausted,
  createTableStore,
  EntitySchemaMismatch,
  NO_CHANGE,
  readEntity,
  updateEntity,
} from '../../../shared/storage/index.js';
import { statusOf } from '../../../shared/base/errors.js';
import { azuriteConnectionString, createTestTableStore, randomTablePrefix } from '../../support/tables.js';

const counter = z.object({ count: z.number().int(), lastWriter: z.string().optional() });

describe('updateEntity', () => {
  const increment = (writer: string) => (current: { count: number } | undefined) => ({
    count: (current?.count ?? 0) + 1,
    lastWriter: writer,
  });

  it('loses no update with 50 concurrent writers on one device row in one instance, without wasted round trips', async () => {
    const store = await createTestTableStore();
    const table = store.table('devices');
    const before = store.stats.transactions;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, writer) =>
        updateEntity(table, 'tenant', 'device-1', increment(`w${writer}`), { schema: counter }),
      ),
    );
    expect(results.every((result) => result.changed && result.attempts === 1)).toBe(true);
    // One read and one write each: writers of one instance take turns instead of racing.
    expect(store.stats.transactions - before).toBe(100);
    const final = await readEntity(table, counter, 'tenant', 'device-1');
    expect(final?.count).toBe(50);
    expect(new Set(results.map((result) => result.entity?.count)).size).toBe(50);
  });

  it('loses no update with 50 concurrent writers racing from 5 instances (ETag conflicts re-read and retry)', async () => {
    const prefix = randomTablePrefix();
    const instances = Array.from({ length: 5 }, () =>
      createTableStore({ connectionString: azuriteConnectionString() }, { prefix }),
    );
    await Promise.all(instances.map((instance) => instance.ensureTables()));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, writer) =>
        updateEntity(
          instances[writer % instances.length]!.table('devices'),
          'tenant',
          'device-1',
          increment(`w${writer}`),
          { schema: counter },
        ),
      ),
    );
    expect(results.every((result) => result.changed)).toBe(true);
    const final = await readEntity(instances[0]!.table('devices'), counter, 'tenant', 'device-1');
    expect(final?.count).toBe(50);
    // Every write saw a distinct count: no two writers won with the same version.
    expect(new Set(results.map((result) => result.entity?.count)).size).toBe(50);
    // The instances really raced: some writes lost at least once and retried.
    expect(results.reduce((total, result) => total + result.attempts, 0)).toBeGreaterThan(50);
  });

  it('writes nothing for NO_CHANGE: one read only', async () => {
    const store = await createTestTableStore();
    const table = store.table('devices');
    await table.createEntity({ partitionKey: 'tenant', rowKey: 'device', count: 7 });
    const before = store.stats.transactions;
    const result = await updateEntity(table, 'tenant', 'device', () => NO_CHANGE, { schema: counter });
    expect(store.stats.transactions - before).toBe(1);
    expect(result).toMatchObject({ changed: false, attempts: 1, entity: { count: 7, partitionKey: 'tenant', rowKey: 'device' } });
    const after = await table.getEntity('tenant', 'device');
    expect(after.etag).toBe(result.entity?.etag);
  });

  it('creates when absent, replaces with the etag, and deletes when the mutation returns undefined', async () => {
    const store = await createTestTableStore();
    const table = store.table('devices');
    const created = await updateEntity(table, 't', 'd', (current) => (current ? NO_CHANGE : { count: 1 }), { schema: counter });
    expect(created).toMatchObject({ changed: true, entity: { count: 1 } });
    // Spreading the current entity back in must not write system properties or annotations.
    const replaced = await updateEntity(table, 't', 'd', (current) => current && { ...current, count: current.count + 1 }, {
      schema: counter,
    });
    expect(replaced.entity?.count).toBe(2);
    const raw = await table.getEntity('t', 'd');
    expect(Object.keys(raw).filter((key) => !['etag', 'partitionKey', 'rowKey', 'timestamp', 'odata.metadata'].includes(key))).toEqual(['count']);

    const deleted = await updateEntity(table, 't', 'd', () => undefined, { schema: counter });
    expect(deleted).toMatchObject({ changed: true, entity: undefined });
    expect(await readEntity(table, counter, 't', 'd')).toBeUndefined();
    const again = await updateEntity(table, 't', 'd', () => undefined, { schema: counter });
    expect(again).toMatchObject({ changed: false, entity: undefined });
  });

  it('gives up with ConcurrencyExhausted when every attempt loses, and no update is lost', async () => {
    const prefix = randomTablePrefix();
    const instances = Array.from({ length: 10 }, () =>
      createTableStore({ connectionString: azuriteConnectionString() }, { prefix }),
    );
    await Promise.all(instances.map((instance) => instance.ensureTables()));
    const outcomes = await Promise.allSettled(
      instances.map((instance, writer) =>
        updateEntity(instance.table('devices'), 'tenant', 'contended', increment(`w${writer}`), {
          schema: counter,
          maxAttempts: 1,
        }),
      ),
    );
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const outcome of rejected) {
      expect(outcome.reason).toBeInstanceOf(ConcurrencyExhausted);
      expect(outcome.reason).toMatchObject({ code: 'ERR_CONCURRENCY', attempts: 1, rowKey: 'contended' });
    }
    const final = await readEntity(instances[0]!.table('devices'), counter, 'tenant', 'contended');
    expect(final?.count).toBe(outcomes.length - rejected.length);
  });

  it('reads through the schema: a stored entity of the wrong shape is an EntitySchemaMismatch', async () => {
    const store = await createTestTableStore();
    const table = store.table('devices');
    await table.createEntity({ partitionKey: 'tenant', rowKey: 'odd', count: 'seven' });
    await expect(updateEntity(table, 'tenant', 'odd', () => NO_CHANGE, { schema: counter })).rejects.toMatchObject({
      code: 'ERR_ENTITY_SCHEMA',
      rowKey: 'odd',
    });
    await expect(readEntity(table, counter, 'tenant', 'odd')).rejects.toBeInstanceOf(EntitySchemaMismatch);
  });

  it('does not mistake a missing table for a missing entity', async () => {
    // Tables of a fresh prefix that nobody created.
    const store = createTableStore({ connectionString: azuriteConnectionString() }, { prefix: randomTablePrefix() });
    const orphan = store.table('devices');
    const error = await readEntity(orphan, counter, 'a', 'b').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(statusOf(error)).toBe(404);
    expect(String(error)).toContain('TableNotFound');
  });
});

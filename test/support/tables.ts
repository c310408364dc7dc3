/**
 * A TableStore on the run's shared Azurite with tables of its own (random prefix), so test files can run in
 * parallel without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { createTableStore } from '../../shared/storage/index.js';
import type { TableClient, TableName, TableStore } from '../../shared/storage/index.js';

export function azuriteConnectionString(): string {
  const value = process.env.AZURITE_CONNECTION_STRING;
  if (value === undefined || value === '') {
    throw new Error('AZURITE_CONNECTION_STRING is not set: run the tests through vitest (test/support/globalSetup.ts)');
  }
  return value;
}

/** A random table-name prefix: a letter and 8 more letters or digits. */
export function randomTablePrefix(): string {
  return `T${randomBytes(6).toString('hex').slice(0, 8)}`;
}

/** A store with fresh tables, created before it is returned. */
export async function createTestTableStore(prefix = randomTablePrefix()): Promise<TableStore> {
  const store = createTableStore({ connectionString: azuriteConnectionString() }, { prefix });
  await store.ensureTables();
  return store;
}

/**
 * The store with one method of one table's client replaced (a fault, a delay, a race injected at the storage client);
 * `replace` gets the real client to call through. Every other table and method is the store's own.
 */
export function withTableMethod<K extends 'submitTransaction' | 'listEntities' | 'updateEntity' | 'upsertEntity' | 'createEntity' | 'getEntity' | 'deleteEntity'>(
  tables: TableStore,
  name: TableName,
  method: K,
  replace: (real: TableClient) => (...args: Parameters<TableClient[K]>) => unknown,
): TableStore {
  return {
    ...tables,
    table: (asked) => {
      const client = tables.table(asked);
      if (asked !== name) return client;
      return new Proxy(client, {
        get: (target, property, receiver) => (property === method ? replace(target) : (Reflect.get(target, property, receiver) as unknown)),
      });
    },
  };
}

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

type ClientMethod = 'submitTransaction' | 'listEntities' | 'updateEntity' | 'upsertEntity' | 'createEntity' | 'getEntity' | 'deleteEntity';

/**
 * The store with one method of one table's client replaced (a fault, a delay, a race injected at the storage client);
 * `replace` gets the real client to call through. Every other table and method is the store's own.
 */
export function withTableMethod<K extends ClientMethod>(
  tables: TableStore,
  name: TableName,
  method: K,
  replace: (real: TableClient) => (...args: Parameters<TableClient[K]>) => unknown,
): TableStore {
  return withTableMethods(tables, name, [method], (real) => replace(real) as (...args: unknown[]) => unknown);
}

/**
 * The same for several methods of one table's client at once (a race injected into whichever write comes first):
 * `replace` gets the real client and the method's name, and calls through with `callThrough`.
 */
export function withTableMethods(
  tables: TableStore,
  name: TableName,
  methods: readonly ClientMethod[],
  replace: (real: TableClient, method: ClientMethod) => (...args: unknown[]) => unknown,
): TableStore {
  const replaced = new Set<PropertyKey>(methods);
  return {
    ...tables,
    table: (asked) => {
      const client = tables.table(asked);
      if (asked !== name) return client;
      return new Proxy(client, {
        get: (target, property, receiver) =>
          replaced.has(property) ? replace(target, property as ClientMethod) : (Reflect.get(target, property, receiver) as unknown),
      });
    },
  };
}

/** Calls `method` of the real client with the arguments a replacement was given. */
export function callThrough(real: TableClient, method: ClientMethod, args: readonly unknown[]): Promise<unknown> {
  return (real[method] as (...given: unknown[]) => Promise<unknown>).apply(real, [...args]);
}

import { TableServiceClient, odata } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableStore, physicalTableName, tableNames } from '../../../shared/storage/index.js';
import { azuriteConnectionString, randomTablePrefix } from '../../support/tables.js';

async function tablesWithPrefix(prefix: string): Promise<string[]> {
  const service = TableServiceClient.fromConnectionString(azuriteConnectionString(), { allowInsecureConnection: true });
  const names: string[] = [];
  const filter = odata`TableName ge ${prefix} and TableName lt ${`${prefix}~`}`;
  for await (const table of service.listTables({ queryOptions: { filter } })) {
    if (table.name !== undefined) names.push(table.name);
  }
  return names.sort();
}

describe('createTableStore', () => {
  it('names tables in PascalCase behind the prefix, as valid Azure table names', () => {
    expect(physicalTableName('connectorSettings', 'Tabc123')).toBe('Tabc123ConnectorSettings');
    expect(physicalTableName('devices')).toBe('Devices');
    for (const name of tableNames) {
      expect(physicalTableName(name, 'Prefix0')).toMatch(/^[A-Za-z][A-Za-z0-9]{2,62}$/);
    }
    expect(() => physicalTableName('devices', '1bad')).toThrow(/prefix/);
    expect(() => physicalTableName('devices', 'has-dash')).toThrow(/prefix/);
  });

  it('creates every table once when ensureTables is called concurrently, and again is free', async () => {
    const prefix = randomTablePrefix();
    const store = createTableStore({ connectionString: azuriteConnectionString() }, { prefix });
    expect(await tablesWithPrefix(prefix)).toEqual([]);

    await Promise.all(Array.from({ length: 5 }, () => store.ensureTables()));
    const expected = tableNames.map((name) => physicalTableName(name, prefix)).sort();
    expect(await tablesWithPrefix(prefix)).toEqual(expected);
    expect(store.stats.transactions).toBe(tableNames.length);

    await store.ensureTables();
    expect(store.stats.transactions).toBe(tableNames.length);

    // Another process (a new store) over existing tables succeeds too.
    const second = createTableStore({ connectionString: azuriteConnectionString() }, { prefix });
    await expect(second.ensureTables()).resolves.toBeUndefined();
    expect(await tablesWithPrefix(prefix)).toEqual(expected);
  });

  it('reuses one client per table and counts every round trip', async () => {
    const prefix = randomTablePrefix();
    const store = createTableStore({ connectionString: azuriteConnectionString() }, { prefix });
    await store.ensureTables();
    const devices = store.table('devices');
    expect(store.table('devices')).toBe(devices);
    expect(devices.tableName).toBe(`${prefix}Devices`);

    const before = store.stats.transactions;
    await devices.upsertEntity({ partitionKey: 'tenant', rowKey: 'device', risk: 'low' });
    await devices.getEntity('tenant', 'device');
    for await (const page of devices.listEntities().byPage({ maxPageSize: 10 })) expect(page).toHaveLength(1);
    await devices.deleteEntity('tenant', 'device');
    await devices.submitTransaction([['create', { partitionKey: 'tenant', rowKey: 'a' }], ['create', { partitionKey: 'tenant', rowKey: 'b' }]]);
    expect(store.stats.transactions - before).toBe(5);
  });
});

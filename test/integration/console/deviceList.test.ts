/**
 * A tenant's devices live in many partitions (by the first two characters of the device id): the console's list
 * still returns every one of them once, in device id order, page by page and filtered, and nothing of a
 * neighbouring tenant's.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { listConsoleDevices } from '../../../shared/console/devices.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';
import { seedDevice } from '../devices/deviceRows.js';

let tables: TableStore;

beforeEach(async () => {
  tables = await createTestTableStore();
});

async function everyPage(tenantId: string, query: { limit: number; status?: 'active' | 'pending' }): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const result = await listConsoleDevices(tables, tenantId, { ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...result.items.map((item) => item.deviceId));
    if (!result.nextCursor) return ids;
    cursor = result.nextCursor;
  }
  throw new Error('the list never ended');
}

describe('console device list across device partitions', () => {
  it('returns each device once, in device id order, page by page and filtered, and only the tenant\'s own', async () => {
    const tenantId = randomUUID();
    // Ids in many partitions, including neighbours of the bounds (`00…`, `ff…`).
    const ids = ['00', '0f', '3a', '3a', '7c', 'a0', 'fe', 'ff'].map((prefix) => `${prefix}${randomUUID().slice(2)}`);
    for (const [n, deviceId] of ids.entries()) {
      await seedDevice(tables, tenantId, { deviceId, userId: randomUUID(), status: n % 2 ? 'active' : 'pending' });
    }
    // A neighbouring tenant's devices, with the same prefixes.
    const neighbour = randomUUID();
    for (const deviceId of ids.map((id) => `${id.slice(0, 2)}${randomUUID().slice(2)}`)) {
      await seedDevice(tables, neighbour, { deviceId, userId: randomUUID() });
    }

    const sorted = [...ids].sort();
    expect(await everyPage(tenantId, { limit: 3 })).toEqual(sorted);
    expect(await everyPage(tenantId, { limit: 2, status: 'active' })).toEqual(ids.filter((_, n) => n % 2).sort());
  });
});

/**
 * Discovery of many devices that share device partitions: each partition's devices go in full transactions with their
 * sidecar rows, and still every device gets its `device.discovered` event in the feed and counts once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { devicePartitionKey } from '../../../shared/devices/device.js';
import { readDeviceCounts } from '../../../shared/devices/deviceCounters.js';
import { syncTenant } from '../../../shared/enrollment/sync.js';
import { readFeed } from '../../../shared/events/feedReads.js';
import { createEventRuntime } from '../../../shared/events/runtime.js';
import { anyEntity, listAll, odata } from '../../../shared/storage/index.js';
import { id, startHarness, type Harness } from './harness.js';

/** Device ids in three partitions (`a1`, `b2`, `c3`), 40 each: several devices per transaction. */
const partitions = ['a1', 'b2', 'c3'];
const perPartition = 40;
const deviceIds = partitions.flatMap((prefix) =>
  Array.from({ length: perPartition }, (_unused, n) => `${prefix}${n.toString(16).padStart(6, '0')}-0000-4000-8000-000000000000`),
);
const users = Array.from({ length: 30 }, (_unused, n) => ({ id: id(`user${n}`), userPrincipalName: `user${n}@contoso.test`, displayName: `User ${n}` }));

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('discovery of a large group', () => {
  it('writes each partition in few transactions and still records one device.discovered event per device, counted once', async () => {
    h = await startHarness({
      tenant: {
        displayName: 'Contoso',
        users,
        groups: [{ id: id('g-all'), displayName: 'MTD All', members: users.map((user) => user.id) }],
        managedDevices: deviceIds.map((deviceId, n) => ({
          id: deviceId,
          userId: users[n % users.length]?.id ?? '',
          deviceName: `Phone ${n}`,
          operatingSystem: n % 2 === 0 ? 'iOS' : 'Android',
          osVersion: '17.5',
          azureADDeviceId: id(`aad-${n}`),
          entraObjectId: id(`obj-${n}`),
        })),
      },
      enrollmentGroups: ['MTD All'],
    });
    const { tables, tenantId } = h;

    const outcome = await syncTenant(h.deps, tenantId);
    if (outcome.status !== 'completed') throw new Error(`sync ${outcome.status}`);
    expect(outcome.figures.discovered).toBe(deviceIds.length);
    // 40 devices of about five rows each: a few transactions per partition, not one per device.
    expect(outcome.figures.writeTransactions).toBeLessThanOrEqual(partitions.length * 4);

    // One counter delta row per transaction, and the counts are the devices'.
    let deltaRows = 0;
    for (const prefix of partitions) {
      const partitionKey = devicePartitionKey(tenantId, `${prefix}000000`);
      for await (const row of listAll(tables.table('devices'), { schema: anyEntity, filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${'~n|'} and RowKey lt ${'~n}'}` })) {
        expect(row.rowKey.startsWith('~n|')).toBe(true);
        deltaRows += 1;
      }
    }
    expect(deltaRows).toBeGreaterThan(0);
    expect(deltaRows).toBeLessThanOrEqual(outcome.figures.writeTransactions);
    const counts = await readDeviceCounts(tables, tenantId);
    expect(counts.total).toBe(deviceIds.length);
    expect(counts.byStatus.pending).toBe(deviceIds.length);

    // Relayed, the feed holds one device.discovered event per device.
    const events = createEventRuntime(tables, h.clock, { retentionDays: 30 });
    let relayed = 0;
    for (const prefix of partitions) relayed += (await events.relay(tenantId, 'devices', devicePartitionKey(tenantId, `${prefix}000000`))).length;
    expect(relayed).toBe(deviceIds.length);
    const discovered: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await readFeed(tables, tenantId, after, 100);
      for (const { event } of page.items) if (event.type === 'device.discovered') discovered.push(event.data.device.deviceId);
      if (page.items.length === 0 || page.last === undefined) break;
      after = page.last;
    }
    expect(discovered.sort()).toEqual([...deviceIds].sort());
  }, 120_000);
});

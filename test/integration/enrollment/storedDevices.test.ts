/**
 * Discovery's read of the stored device rows: 16 key ranges read side by side must together return every device row
 * of the tenant (whatever its id), and nothing else: no row beside a device, no row of a neighbouring tenant.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deviceSchema, deviceToEntity, devicePartitionKey, type Device } from '../../../shared/devices/device.js';
import { putDevice } from '../../../shared/devices/deviceRepository.js';
import { readStoredDevices, storedDeviceRanges } from '../../../shared/enrollment/storedDevices.js';
import { createTestTableStore } from '../../support/tables.js';

const at = '2026-03-01T00:00:00.000Z';

function pendingDevice(tenantId: string, deviceId: string): Device {
  return deviceSchema.parse({
    tenantId,
    deviceId,
    intuneDeviceId: deviceId,
    azureAdDeviceId: undefined,
    deviceName: `Phone ${deviceId}`,
    platform: 'ios',
    osVersion: '17.5',
    userId: 'user-1',
    userPrincipalName: 'user@contoso.test',
    status: 'pending',
    statusChangedAt: at,
    discoveredAt: at,
  });
}

describe('readStoredDevices', () => {
  it('returns every device row of the tenant across its key ranges, and no row beside them or of another tenant', async () => {
    const tables = await createTestTableStore();
    const tenantId = randomUUID();
    // Ids starting with every hex digit, ids that are no GUID at all, and 1,050 ids in one partition (two pages of
    // one range). Neighbours: tenants whose partition keys sort just before and just after this tenant's.
    const hexIds = [...'0123456789abcdef'].map((digit) => `${digit}${randomUUID().slice(1)}`);
    const oddIds = ['-odd', '!bang', 'zz-not-a-guid'];
    const manyIds = Array.from({ length: 1_050 }, (_, n) => `00${String(n).padStart(6, '0')}-${randomUUID().slice(9)}`);
    const neighbours = [`${tenantId}2`, `${tenantId}~`];

    // Written the way the service writes them (with their index, wait and counter rows beside them).
    for (const deviceId of [...hexIds, ...oddIds]) await putDevice(tables, pendingDevice(tenantId, deviceId), new Date(at));
    for (const neighbour of neighbours) await putDevice(tables, pendingDevice(neighbour, hexIds[3] ?? 'x'), new Date(at));
    // Bare rows for the large partition, 100 to a transaction.
    const table = tables.table('devices');
    for (let from = 0; from < manyIds.length; from += 100) {
      await table.submitTransaction(manyIds.slice(from, from + 100).map((deviceId) => ['create', deviceToEntity(pendingDevice(tenantId, deviceId))]));
    }

    const stored = await readStoredDevices(table, tenantId);

    expect([...stored.keys()].sort()).toEqual([...hexIds, ...oddIds, ...manyIds].sort());
    for (const [deviceId, device] of stored) {
      expect(device.tenantId).toBe(tenantId);
      expect(device.deviceId).toBe(deviceId);
      expect(device.etag).toEqual(expect.any(String));
    }
    expect(stored.get(hexIds[0] ?? '')).toMatchObject({ deviceName: `Phone ${hexIds[0]}`, status: 'pending', platform: 'ios' });
  });

  it('splits the tenant into 16 adjacent ranges from `<tenant>|` to `<tenant>}`', () => {
    const tenantId = randomUUID();
    const ranges = storedDeviceRanges(tenantId);
    expect(ranges).toHaveLength(16);
    expect(ranges[0]?.from).toBe(`${tenantId}|`);
    expect(ranges.at(-1)?.to).toBe(`${tenantId}}`);
    ranges.forEach((range, at) => {
      expect(range.from < range.to).toBe(true);
      if (at > 0) expect(range.from).toBe(ranges[at - 1]?.to);
    });
    // Each partition of a GUID-keyed device falls in exactly one range.
    for (const digit of '0123456789abcdef') {
      const partitionKey = devicePartitionKey(tenantId, `${digit}f${randomUUID().slice(2)}`);
      expect(ranges.filter(({ from, to }) => partitionKey >= from && partitionKey < to)).toHaveLength(1);
    }
  });
});

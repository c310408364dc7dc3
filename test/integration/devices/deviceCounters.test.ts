/**
 * The tenant's device counters against Azurite: whatever the device writes, the counters equal a count of the rows;
 * deltas fold into the sum rows without changing the answer; rows written before the counters existed are counted
 * once by the backfill; open threats by classification follow the threat reports.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { deviceSchema, deviceToEntity, tenantDevicesFilter, type Device } from '../../../shared/devices/device.js';
import { backfillCounters, fleetFromCounts, forgetCountedTenants, readDeviceCounts, readFleetCounters } from '../../../shared/devices/deviceCounters.js';
import { mutateDevice, putDevice } from '../../../shared/devices/deviceRepository.js';
import { createThreatStateCache } from '../../../shared/devices/threatCache.js';
import { applyThreatReport } from '../../../shared/devices/threatStore.js';
import { deviceStatuses, riskLevels, type DeviceStatus, type RiskLevel } from '../../../shared/domain/index.js';
import { anyEntity, listAll, odata, type TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

let tables: TableStore;
let tenantId: string;

beforeEach(async () => {
  tables = await createTestTableStore();
  tenantId = randomUUID();
  forgetCountedTenants();
});

function newDevice(status: DeviceStatus, riskLevel: RiskLevel, groups: string[], at = '2026-03-01T09:00:00.000Z'): Device {
  const deviceId = randomUUID();
  return deviceSchema.parse({
    tenantId,
    deviceId,
    intuneDeviceId: deviceId,
    platform: 'android',
    userId: randomUUID(),
    status,
    riskLevel,
    statusChangedAt: at,
    discoveredAt: at,
    enrollmentGroups: groups,
  });
}

/** The counts as a full read of the device rows says. */
async function countedByHand(): Promise<{ total: number; byStatus: Record<string, number>; byRisk: Record<string, number> }> {
  const byStatus: Record<string, number> = Object.fromEntries(deviceStatuses.map((s) => [s, 0]));
  const byRisk: Record<string, number> = Object.fromEntries(riskLevels.map((r) => [r, 0]));
  let total = 0;
  for await (const row of listAll(tables.table('devices'), { schema: anyEntity, filter: tenantDevicesFilter(tenantId) })) {
    const device = deviceSchema.parse({ ...row, tenantId, deviceId: row.rowKey });
    total += 1;
    byStatus[device.status] = (byStatus[device.status] ?? 0) + 1;
    if (device.status !== 'deactivated') byRisk[device.riskLevel] = (byRisk[device.riskLevel] ?? 0) + 1;
  }
  return { total, byStatus, byRisk };
}

async function counterRows(): Promise<number> {
  let n = 0;
  const filter = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`} and RowKey ge ${'~n'} and RowKey lt ${'~o'}`;
  for await (const _row of listAll(tables.table('devices'), { schema: anyEntity, filter })) n += 1;
  return n;
}

describe('device counters', () => {
  it('follow every device write, by status, risk and group, and survive folding', async () => {
    const devices: Device[] = [];
    for (let n = 0; n < 24; n += 1) {
      devices.push(await putDevice(tables, newDevice('pending', 'none', n % 2 === 0 ? ['Sales'] : ['Sales', 'Field'])));
    }
    expect(await readDeviceCounts(tables, tenantId)).toEqual(await countedByHand());

    // Activate some, grade some, deactivate one: many writes to the same partitions side by side.
    await Promise.all(
      devices.slice(0, 12).map((device, n) =>
        mutateDevice(tables, tenantId, device.deviceId, (current) => ({
          ...current,
          status: 'active',
          statusChangedAt: '2026-03-02T09:00:00.000Z',
          riskLevel: n % 3 === 0 ? 'high' : n % 3 === 1 ? 'medium' : 'none',
        })),
      ),
    );
    const first = devices[0];
    if (!first) throw new Error('no device');
    await mutateDevice(tables, tenantId, first.deviceId, (current) => ({ ...current, status: 'deactivated', statusChangedAt: '2026-03-03T09:00:00.000Z' }));
    // A write that changes nothing counted adds no row.
    const rowsBefore = await counterRows();
    await mutateDevice(tables, tenantId, devices[5]?.deviceId ?? '', (current) => ({ ...current, osVersion: '15' }));
    expect(await counterRows()).toBe(rowsBefore);

    const expected = await countedByHand();
    expect(await readDeviceCounts(tables, tenantId)).toEqual(expected);
    expect(expected.byStatus).toMatchObject({ active: 11, pending: 12, deactivated: 1 });
    // Read again after any folds: the same answer.
    expect(await readDeviceCounts(tables, tenantId)).toEqual(expected);

    const fleet = await readFleetCounters(tables, tenantId, Date.parse('2026-03-05T09:00:00.000Z'));
    const sales = fleet.groups.find((group) => group.displayName === 'Sales');
    const field = fleet.groups.find((group) => group.displayName === 'Field');
    expect(sales?.byStatus).toMatchObject({ active: 11, pending: 12, deactivated: 1 });
    expect(field?.byStatus.pending).toBe(6);
    // Pending since 2026-03-01T09:00: four days before "now".
    expect(fleet.pendingByAge).toEqual({ under1d: 0, days1to7: 12, over7d: 0 });
  });

  it('sorts pending devices by how long they have waited', () => {
    const now = Date.parse('2026-03-10T12:00:00.000Z');
    const minute = (iso: string): number => Math.floor(Date.parse(iso) / 60_000) * 60_000;
    const fleet = fleetFromCounts(
      {
        [`p|${minute('2026-03-10T01:00:00.000Z')}`]: 2,
        [`p|${minute('2026-03-08T12:00:00.000Z')}`]: 3,
        [`p|${minute('2026-02-01T12:00:00.000Z')}`]: 4,
        [`gp|A|B|${minute('2026-02-01T12:00:00.000Z')}`]: 1,
        'g|A|B|pending': 1,
      },
      {},
      now,
    );
    expect(fleet.pendingByAge).toEqual({ under1d: 2, days1to7: 3, over7d: 4 });
    // A group name holding the separator is read back whole.
    expect(fleet.groups).toEqual([{ displayName: 'A|B', byStatus: { pending: 1, active: 0, disconnected: 0, deactivated: 0 }, pendingByAge: { under1d: 0, days1to7: 0, over7d: 1 } }]);
  });

  it('counts rows written before the counters existed once, and later writes of them only by their change', async () => {
    const old = [newDevice('active', 'high', ['Ops']), newDevice('pending', 'none', ['Ops']), newDevice('active', 'none', [])];
    for (const device of old) {
      const { counted: _counted, ...row } = device;
      await tables.table('devices').createEntity(deviceToEntity(row));
    }
    expect(await readDeviceCounts(tables, tenantId)).toEqual(await countedByHand());
    // Counted once: running the backfill again (another process) adds nothing.
    forgetCountedTenants();
    await backfillCounters(tables, tenantId);
    const second = old[1];
    if (!second) throw new Error('no device');
    await mutateDevice(tables, tenantId, second.deviceId, (current) => ({ ...current, status: 'active' }));
    expect(await readDeviceCounts(tables, tenantId)).toEqual(await countedByHand());
    expect((await readDeviceCounts(tables, tenantId)).byStatus.active).toBe(3);
  });

  it('counts open threats by classification as reports open and resolve them', async () => {
    const cache = createThreatStateCache();
    const deviceIds = [randomUUID(), randomUUID()];
    const report = (deviceId: string, sequence: number, threats: { id: string; classification: 'TROJAN' | 'ADWARE' }[]) =>
      applyThreatReport(tables, cache, {
        tenantId,
        deviceId,
        session: 's1',
        credentialHash: 'a1'.repeat(32),
        reportId: `r-${sequence}`,
        sequence,
        threats: threats.map((t) => ({ ...t, detectedAt: '2026-03-01T09:00:00.000Z' })),
        observedAt: '2026-03-01T10:00:00.000Z',
        now: '2026-03-01T10:00:00.000Z',
      });
    await report(deviceIds[0] ?? '', 1, [{ id: 'a', classification: 'TROJAN' }, { id: 'b', classification: 'ADWARE' }]);
    await report(deviceIds[1] ?? '', 1, [{ id: 'a', classification: 'TROJAN' }]);
    let fleet = await readFleetCounters(tables, tenantId, Date.now());
    expect(fleet.openThreats.byClassification).toEqual({ TROJAN: 2, ADWARE: 1 });
    await report(deviceIds[0] ?? '', 2, [{ id: 'b', classification: 'ADWARE' }]);
    // A repeated report changes nothing.
    await report(deviceIds[0] ?? '', 2, [{ id: 'b', classification: 'ADWARE' }]);
    fleet = await readFleetCounters(tables, tenantId, Date.now());
    expect(fleet.openThreats.byClassification).toEqual({ TROJAN: 1, ADWARE: 1 });
  });
});

/**
 * The tenant's device counters against Azurite: whatever the device writes, the counters equal a count of the rows;
 * deltas fold into the tenant's rollup without changing the answer, also while a fold is half done; rows written before the counters existed are counted
 * once by the backfill; open threats by classification follow the threat reports.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { deviceSchema, deviceToEntity, tenantDevicesFilter, type Device } from '../../../shared/devices/device.js';
import { backfillCounters, buildCounterRollup, fleetFromCounts, forgetCountedTenants, readDeviceCounts, readFleetCounters } from '../../../shared/devices/deviceCounters.js';
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
    const again = await countedByHand();
    // Folded into the rollup: the same answer from one point read and no deltas left.
    expect((await buildCounterRollup(tables, tenantId)).folded).toBeGreaterThan(0);
    expect(await counterRows()).toBe(0);
    expect(await readDeviceCounts(tables, tenantId)).toEqual(expected);
    // Later writes count on top of the rollup.
    await mutateDevice(tables, tenantId, devices[6]?.deviceId ?? '', (current) => ({ ...current, status: 'disconnected' }));
    expect(await readDeviceCounts(tables, tenantId)).toEqual(await countedByHand());
    expect((await readDeviceCounts(tables, tenantId)).byStatus.disconnected).toBe(1);
    await mutateDevice(tables, tenantId, devices[6]?.deviceId ?? '', (current) => ({ ...current, status: 'active' }));

    expect(again).toEqual(expected);
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

  it('upgrades rows counted before the trust keys: their trust counted once, pending ones get their activation-wait row', async () => {
    const active = { ...newDevice('active', 'none', ['Ops']), keyThumbprint: 'jkt-9', attestationStatus: 'verified' as const };
    const pending = newDevice('pending', 'none', ['Ops']);
    for (const device of [active, pending]) {
      await tables.table('devices').createEntity({ ...deviceToEntity(device), counted: 1 });
    }
    // What the first layout counted them as (no trust keys), as its delta rows held it.
    await tables.table('devices').createEntity({
      partitionKey: `${tenantId}|${active.deviceId.slice(0, 2)}`,
      rowKey: `~n|0000000000001|${active.deviceId}|00000000`,
      d: JSON.stringify({ total: 1, 's|active': 1, 'r|none': 1, 'g|Ops|active': 1 }),
    });
    const since = Math.floor(Date.parse(pending.statusChangedAt) / 60_000) * 60_000;
    await tables.table('devices').createEntity({
      partitionKey: `${tenantId}|${pending.deviceId.slice(0, 2)}`,
      rowKey: `~n|0000000000001|${pending.deviceId}|00000000`,
      d: JSON.stringify({ total: 1, 's|pending': 1, 'r|none': 1, 'g|Ops|pending': 1, [`p|${since}`]: 1, [`gp|Ops|${since}`]: 1 }),
    });
    const fleet = await readFleetCounters(tables, tenantId, Date.now());
    expect(fleet.devices).toEqual(await countedByHand());
    expect(fleet.trust).toEqual({ keyBound: 1, notKeyBound: 0, attestation: { verified: 1, failed: 0, absent: 0, notChecked: 0 } });
    const waits = [];
    const filter = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`} and RowKey ge ${'~w|'} and RowKey lt ${'~w}'}`;
    for await (const row of listAll(tables.table('devices'), { schema: anyEntity, filter })) waits.push(row);
    expect(waits.map((row) => row.deviceId)).toEqual([pending.deviceId]);
    // Activating it later through the seam deletes that row (a delete of a row that must exist).
    await mutateDevice(tables, tenantId, pending.deviceId, (current) => ({ ...current, status: 'active' }));
    const after = [];
    for await (const row of listAll(tables.table('devices'), { schema: anyEntity, filter })) after.push(row);
    expect(after).toEqual([]);
    expect((await readFleetCounters(tables, tenantId, Date.now())).trust.notKeyBound).toBe(1);
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
    await buildCounterRollup(tables, tenantId);
    await report(deviceIds[1] ?? '', 2, []);
    fleet = await readFleetCounters(tables, tenantId, Date.now());
    expect(fleet.openThreats.byClassification).toEqual({ ADWARE: 1 });
  });

  it('reads exactly while a fold is half done: covered deltas not yet deleted count once', async () => {
    for (let n = 0; n < 6; n += 1) await putDevice(tables, newDevice('pending', 'none', ['Sales']));
    const before = await readDeviceCounts(tables, tenantId);
    // A build that stopped after writing the rollup: its deltas are still there, covered by the rollup.
    const filter = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`} and RowKey ge ${'~n|'} and RowKey lt ${'~n}'}`;
    const saved = [];
    for await (const row of listAll(tables.table('devices'), { schema: anyEntity, filter })) saved.push(row);
    await buildCounterRollup(tables, tenantId);
    for (const row of saved) await tables.table('devices').createEntity({ ...row });
    const hints = await tables.table('indexHints').getEntity(tenantId, 'counters|rollup');
    const covers = saved.map((row) => `devices/${row.partitionKey}/${row.rowKey}`);
    await tables.table('indexHints').updateEntity({ partitionKey: tenantId, rowKey: 'counters|rollup', cv0: JSON.stringify(covers) }, 'Merge', { etag: String(hints.etag) });
    expect(await readDeviceCounts(tables, tenantId)).toEqual(before);
    // The next build deletes them and leaves the same answer.
    await buildCounterRollup(tables, tenantId);
    expect(await counterRows()).toBe(0);
    expect(await readDeviceCounts(tables, tenantId)).toEqual(before);
  });

  it('counts the trust of activated devices: key binding and attestation verdict', async () => {
    const bound = await putDevice(tables, { ...newDevice('active', 'none', []), keyThumbprint: 'jkt-1', attestationStatus: 'verified' });
    await putDevice(tables, { ...newDevice('active', 'none', []), keyThumbprint: 'jkt-2', attestationStatus: 'failed' });
    await putDevice(tables, newDevice('active', 'none', []));
    await putDevice(tables, { ...newDevice('disconnected', 'none', []), keyThumbprint: 'jkt-3', attestationStatus: 'not-checked' });
    await putDevice(tables, newDevice('pending', 'none', []));
    let fleet = await readFleetCounters(tables, tenantId, Date.now());
    expect(fleet.trust).toEqual({ keyBound: 3, notKeyBound: 1, attestation: { verified: 1, failed: 1, absent: 1, notChecked: 1 } });
    await mutateDevice(tables, tenantId, bound.deviceId, (current) => ({ ...current, status: 'deactivated' }));
    fleet = await readFleetCounters(tables, tenantId, Date.now());
    expect(fleet.trust).toEqual({ keyBound: 2, notKeyBound: 1, attestation: { verified: 0, failed: 1, absent: 1, notChecked: 1 } });
  });
});

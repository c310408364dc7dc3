/**
 * Discovery against the simulated tenant over HTTPS (real Graph client) and real tables on Azurite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { activateDevice } from '../../../shared/devices/activation.js';
import { authenticateDevice } from '../../../shared/devices/deviceAuth.js';
import { receiveThreatReport } from '../../../shared/devices/threatReport.js';
import { listDeviceThreats } from '../../../shared/devices/threatRows.js';
import type { ReportedThreat } from '../../../shared/domain/index.js';
import { createServices } from '../../../shared/app/services.js';
import { deviceFromEntity, devicePartitionKey, tenantDevicesFilter, type Device } from '../../../shared/devices/device.js';
import { runDueEnrollmentSyncs } from '../../../shared/enrollment/schedule.js';
import { syncTenant, type SyncOutcome } from '../../../shared/enrollment/sync.js';
import { anyEntity, listAll, odata } from '../../../shared/storage/index.js';
import { getTenant } from '../../../shared/tenants/tenantRepository.js';
import { putDevice, readDevice } from '../../../shared/devices/deviceRepository.js';
import { deviceRequest, indexRowsOf } from '../devices/deviceRows.js';
import { id, quietLog, startHarness, type Harness } from './harness.js';
import { callThrough, withTableMethods } from '../../support/tables.js';
import { updateTenantConfig } from '../../../shared/tenants/tenantConfig.js';
import { connectorSettingsSchema } from '../../../shared/domain/index.js';

const user = (name: string) => ({
  id: id(name),
  userPrincipalName: `${name}@contoso.test`,
  displayName: name,
});
const device = (name: string, owner: string, operatingSystem: 'iOS' | 'Android' | 'Windows' = 'iOS') => ({
  id: id(`dev-${name}`),
  userId: id(owner),
  deviceName: `${owner}'s ${operatingSystem} ${name}`,
  operatingSystem,
  osVersion: operatingSystem === 'Android' ? '14' : '17.5',
  azureADDeviceId: id(`aad-${name}`),
  entraObjectId: id(`obj-${name}`),
});

/**
 * "MTD Users" holds carol and bob directly and alice through the nested group "MTD Nested"; "MTD Field" holds bob
 * (also in MTD Users) and erin. dave is in no group. carol also has a Windows laptop.
 */
const tenant = {
  displayName: 'Contoso',
  users: ['alice', 'bob', 'carol', 'dave', 'erin'].map(user),
  groups: [
    { id: id('g-nested'), displayName: 'MTD Nested', members: [id('alice')] },
    { id: id('g-users'), displayName: 'MTD Users', members: [id('g-nested'), id('bob'), id('carol')] },
    { id: id('g-field'), displayName: 'MTD Field', members: [id('bob'), id('erin')] },
  ],
  managedDevices: [
    device('a1', 'alice'),
    device('b1', 'bob', 'Android'),
    device('b2', 'bob'),
    device('c1', 'carol'),
    device('c2', 'carol', 'Windows'),
    device('d1', 'dave'),
    device('e1', 'erin', 'Android'),
  ],
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(groups = ['MTD Users', 'MTD Field']): Promise<Harness> {
  h = await startHarness({ tenant, enrollmentGroups: groups });
  return h;
}

async function devices(harness: Harness): Promise<Map<string, Device & { etag?: string }>> {
  const rows = new Map<string, Device>();
  const filter = tenantDevicesFilter(harness.tenantId);
  for await (const entity of listAll(harness.tables.table('devices'), { schema: anyEntity, filter })) {
    const row = deviceFromEntity(entity);
    rows.set(row.deviceId, row);
  }
  return rows;
}

function completed(outcome: SyncOutcome): Extract<SyncOutcome, { status: 'completed' }> {
  if (outcome.status !== 'completed') throw new Error(`expected a completed run, got ${JSON.stringify(outcome)}`);
  return outcome;
}

/** Marks a device active with a credential, as activation would (its version left as it is), index rows included. */
async function activate(harness: Harness, deviceId: string): Promise<void> {
  const at = '2026-03-01T10:00:00.000Z';
  const current = await readDevice(harness.tables, harness.tenantId, deviceId);
  if (!current) throw new Error(`device ${deviceId} not found`);
  await putDevice(harness.tables, { ...current, status: 'active', credentialHash: 'ab'.repeat(32), activatedAt: at, lastCheckInAt: at }, new Date(at));
}

/** The index rows beside the device rows are exactly the ones the rows call for. */
async function expectIndexRight(harness: Harness): Promise<void> {
  const { actual, expected } = await indexRowsOf(harness.tables, harness.tenantId);
  expect(actual).toEqual(expected);
}

describe('enrollment sync', () => {
  it('discovers the iOS and Android devices of the groups’ users, nested groups followed, each once', async () => {
    const harness = await start();
    const outcome = completed(await syncTenant(harness.deps, harness.tenantId));
    expect(outcome.result).toBe('ok');

    const rows = await devices(harness);
    expect([...rows.keys()].sort()).toEqual(['a1', 'b1', 'b2', 'c1', 'e1'].map((n) => id(`dev-${n}`)).sort());
    for (const row of rows.values()) {
      expect(row.status).toBe('pending');
      expect(row.version).toBe(1);
      expect(row.syncPending).toBe(true);
    }
    expect(rows.get(id('dev-a1'))).toMatchObject({
      intuneDeviceId: id('dev-a1'),
      azureAdDeviceId: id('aad-a1'),
      platform: 'ios',
      osVersion: '17.5',
      userId: id('alice'),
      userPrincipalName: 'alice@contoso.test',
      deviceName: "alice's iOS a1",
    });
    expect(rows.get(id('dev-b1'))?.platform).toBe('android');
    expect(outcome.figures).toMatchObject({ discovered: 5, members: 4, managedDevices: 6 });
    // Each written with its pending index row, in the same transaction as its device row.
    const { actual } = await indexRowsOf(harness.tables, harness.tenantId);
    expect(Object.keys(actual).filter((key) => key.includes('/~p|'))).toHaveLength(5);
    await expectIndexRight(harness);

    // Each new device is nudged to compliance once, as deviceId:version.
    expect(harness.sent.map((m) => m.messageId).sort()).toEqual([...rows.keys()].map((k) => `${k}:1`).sort());

    // Groups: resolved with their user counts (nested users included).
    expect(outcome.groups.map((g) => [g.displayName, g.status, g.memberCount])).toEqual(
      expect.arrayContaining([
        ['MTD Users', 'resolved', 3],
        ['MTD Field', 'resolved', 2],
      ]),
    );
    const stored = await harness.tables.table('enrollmentGroups').getEntity(harness.tenantId, 'MTD Users');
    expect(stored).toMatchObject({ status: 'resolved', groupId: id('g-users'), memberCount: 3 });

    const tenantRow = await getTenant(harness.tables, harness.tenantId);
    expect(tenantRow).toMatchObject({ lastEnrollmentSyncResult: 'ok', lastEnrollmentSyncAt: outcome.startedAt });

    // Bulk reads only: a group lookup per group plus one page per collection, never a call per user.
    const graphRequests = harness.sim.state.stats().total;
    expect(graphRequests).toBeLessThanOrEqual(outcome.figures.graphPages + 2 * 3);
  });

  it('writes nothing on a run with no changes', async () => {
    const harness = await start();
    completed(await syncTenant(harness.deps, harness.tenantId));
    const before = await devices(harness);
    const nudges = harness.sent.length;
    const groupsBefore = await harness.tables.table('enrollmentGroups').getEntity(harness.tenantId, 'MTD Users');

    harness.clock.advance(5 * 60_000);
    const second = completed(await syncTenant(harness.deps, harness.tenantId));
    expect(second.figures).toMatchObject({ devicesWritten: 0, writeTransactions: 0, nudges: 0, unchanged: 5 });
    expect(harness.sent.length).toBe(nudges);
    const after = await devices(harness);
    for (const [deviceId, row] of before) expect(after.get(deviceId)?.etag).toBe(row.etag);
    const groupsAfter = await harness.tables.table('enrollmentGroups').getEntity(harness.tenantId, 'MTD Users');
    expect(groupsAfter.etag).toBe(groupsBefore.etag);
  });

  it('deactivates the devices of a user who left every group, and rediscovers them as pending when the user returns', async () => {
    const harness = await start();
    completed(await syncTenant(harness.deps, harness.tenantId));
    await activate(harness, id('dev-c1'));
    // bob leaves MTD Users but is still in MTD Field: his devices stay.
    harness.sim.state.removeGroupMember(harness.tenantId, id('g-users'), id('bob'));
    harness.sim.state.removeGroupMember(harness.tenantId, id('g-users'), id('carol'));
    harness.sent.length = 0;

    harness.clock.advance(5 * 60_000);
    const outcome = completed(await syncTenant(harness.deps, harness.tenantId));
    expect(outcome.figures.deactivated).toBe(1);
    let rows = await devices(harness);
    const carols = rows.get(id('dev-c1'));
    expect(carols).toMatchObject({
      status: 'deactivated',
      deactivationReason: 'left-groups',
      deactivatedAt: harness.clock.now().toISOString(),
      version: 2,
      syncPending: true,
    });
    expect(carols?.credentialHash).toBeUndefined();
    expect(rows.get(id('dev-b1'))?.status).toBe('pending');
    expect(rows.get(id('dev-b2'))?.status).toBe('pending');
    expect(harness.sent.map((m) => m.messageId)).toEqual([`${id('dev-c1')}:2`]);

    harness.sim.state.addGroupMember(harness.tenantId, id('g-field'), id('carol'));
    harness.clock.advance(5 * 60_000);
    const back = completed(await syncTenant(harness.deps, harness.tenantId));
    expect(back.figures.rediscovered).toBe(1);
    rows = await devices(harness);
    expect(rows.get(id('dev-c1'))).toMatchObject({ status: 'pending', version: 3 });
    expect(rows.get(id('dev-c1'))?.deactivationReason).toBeUndefined();
    await expectIndexRight(harness);
  });

  it('ends a deactivated device\'s credential even on an instance that holds the device\'s state from its last report', async () => {
    const harness = await start();
    completed(await syncTenant(harness.deps, harness.tenantId));
    const services = createServices(harness.config, {
      tables: harness.tables,
      clock: harness.clock,
      graph: harness.graph,
      log: quietLog,
      queues: () => ({ send: () => Promise.resolve() }),
    });
    const deviceId = id('dev-c1');
    const activation = { intuneDeviceId: deviceId, platform: 'ios' as const, osVersion: '17.5', appVersion: '1.0.0' };
    // No attestation here: under the default (`report`) the activation would raise DEVICE_INTEGRITY_UNVERIFIED.
    await updateTenantConfig(harness.tables, harness.tenantId, (current) => ({ settings: { ...current.settings, agentTrust: { ...current.settings.agentTrust, attestation: 'off' } } }));
    const { deviceToken } = await activateDevice(services, { tenantId: harness.tenantId, userId: id('carol') }, activation);
    const report = async (sequence: number, threats: ReportedThreat[] = []) => {
      const principal = await authenticateDevice(services, 'report')(deviceRequest(deviceToken));
      return receiveThreatReport(services, principal, { reportId: `r${sequence}`, sequence, observedAt: harness.clock.now().toISOString(), threats });
    };
    expect(await report(1)).toMatchObject({ applied: true });

    harness.sim.state.removeGroupMember(harness.tenantId, id('g-users'), id('carol'));
    harness.clock.advance(5 * 60_000);
    expect(completed(await syncTenant(harness.deps, harness.tenantId)).figures.deactivated).toBe(1);
    const spyware: ReportedThreat = { id: 'late', classification: 'SPY', detectedAt: harness.clock.now().toISOString() };
    await expect(report(2, [spyware])).rejects.toMatchObject({ status: 401 });
    expect((await devices(harness)).get(deviceId)).toMatchObject({ status: 'deactivated', lastSequence: 1 });
    // Nothing of the refused report was stored.
    expect(await listDeviceThreats(harness.tables, harness.tenantId, deviceId)).toEqual([]);
  });

  it('deactivates a device retired from Intune', async () => {
    const harness = await start();
    completed(await syncTenant(harness.deps, harness.tenantId));
    harness.sim.state.retireManagedDevice(harness.tenantId, id('dev-a1'));
    harness.clock.advance(5 * 60_000);
    completed(await syncTenant(harness.deps, harness.tenantId));
    const rows = await devices(harness);
    expect(rows.get(id('dev-a1'))).toMatchObject({ status: 'deactivated', deactivationReason: 'left-intune' });
    expect([...rows.values()].filter((r) => r.status === 'deactivated')).toHaveLength(1);
  });

  it('keeps identity fields current without a new version', async () => {
    const harness = await start();
    completed(await syncTenant(harness.deps, harness.tenantId));
    const managed = harness.sim.state.tenant(harness.tenantId).managedDevices.get(id('dev-e1'));
    if (!managed) throw new Error('no such device');
    managed.osVersion = '15';
    managed.deviceName = 'Erin renamed';
    harness.clock.advance(5 * 60_000);
    const outcome = completed(await syncTenant(harness.deps, harness.tenantId));
    expect(outcome.figures).toMatchObject({ updated: 1, nudges: 0 });
    expect((await devices(harness)).get(id('dev-e1'))).toMatchObject({ osVersion: '15', deviceName: 'Erin renamed', version: 1 });
  });

  it('redoes a row another writer changed between the read and the write, keeping that writer’s change', async () => {
    const harness = await start();
    completed(await syncTenant(harness.deps, harness.tenantId));
    const managed = harness.sim.state.tenant(harness.tenantId).managedDevices.get(id('dev-e1'));
    if (!managed) throw new Error('no such device');
    managed.osVersion = '15';

    // The agent checks in just before the sync's transaction reaches the table.
    let raced = false;
    // A transaction of one row goes out as that row's own update.
    const racing = withTableMethods(harness.tables, 'devices', ['submitTransaction', 'updateEntity'], (real, method) => async (...args) => {
      if (!raced) {
        raced = true;
        await real.updateEntity(
          { partitionKey: devicePartitionKey(harness.tenantId, id('dev-e1')), rowKey: id('dev-e1'), appVersion: '2.0.1', lastCheckInAt: '2026-03-01T10:04:00.000Z' },
          'Merge',
        );
      }
      return callThrough(real, method, args);
    });
    harness.clock.advance(5 * 60_000);
    const outcome = completed(await syncTenant({ ...harness.deps, tables: racing }, harness.tenantId));
    expect(raced).toBe(true);
    expect(outcome.figures.updated).toBe(1);
    expect((await devices(harness)).get(id('dev-e1'))).toMatchObject({
      osVersion: '15',
      appVersion: '2.0.1',
      lastCheckInAt: '2026-03-01T10:04:00.000Z',
    });
  });

  it('reports a group whose name now differs in case, and deactivates none of its members', async () => {
    const harness = await start();
    completed(await syncTenant(harness.deps, harness.tenantId));
    harness.sim.state.renameGroup(harness.tenantId, id('g-field'), 'MTD field');
    harness.clock.advance(5 * 60_000);
    const outcome = completed(await syncTenant(harness.deps, harness.tenantId));

    expect(outcome.result).toBe('partial');
    expect(outcome.groups.find((g) => g.displayName === 'MTD Field')?.status).toBe('case-mismatch');
    expect(outcome.figures.deactivated).toBe(0);
    expect((await devices(harness)).get(id('dev-e1'))?.status).toBe('pending');
    const row = await harness.tables.table('enrollmentGroups').getEntity(harness.tenantId, 'MTD Field');
    expect(row.status).toBe('case-mismatch');
    expect(row.groupId).toBeUndefined();

    const reports = [];
    const filter = odata`PartitionKey eq ${harness.tenantId}`;
    for await (const report of listAll(harness.tables.table('errorReports'), { schema: anyEntity, filter })) reports.push(report);
    expect(reports.map((r) => r.kind)).toContain('enrollment-group');
    expect(JSON.stringify(reports)).toContain('MTD Field');
    expect((await getTenant(harness.tables, harness.tenantId))?.lastEnrollmentSyncResult).toBe('partial');
  });

  it('reads and plans without writing anything on a dry run', async () => {
    const harness = await start();
    const outcome = completed(await syncTenant(harness.deps, harness.tenantId, { dryRun: true }));
    expect(outcome.figures).toMatchObject({ discovered: 5, devicesWritten: 0, writeTransactions: 0 });
    expect((await devices(harness)).size).toBe(0);
    expect(harness.sent).toEqual([]);
    expect((await getTenant(harness.tables, harness.tenantId))?.lastEnrollmentSyncAt).toBeUndefined();
  });

  it('lets only one of two overlapping runs sync the tenant', async () => {
    const harness = await start();
    const [first, second] = await Promise.all([
      syncTenant(harness.deps, harness.tenantId),
      syncTenant(harness.deps, harness.tenantId),
    ]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual(['completed', 'skipped']);
    expect(harness.sent).toHaveLength(5);
    // The lease is released: the next run goes ahead.
    harness.clock.advance(60_000);
    expect((await syncTenant(harness.deps, harness.tenantId)).status).toBe('completed');
  });

  it('honours Retry-After on 429 and retries a 5xx', async () => {
    const harness = await start();
    harness.sim.state.addFault({ path: '^/v1\\.0/deviceManagement/managedDevices$', status: 429, retryAfterSeconds: 2 });
    harness.sim.state.addFault({ path: '/transitiveMembers/', status: 503 });
    const outcome = completed(await syncTenant(harness.deps, harness.tenantId));
    expect(outcome.figures.discovered).toBe(5);
    expect(harness.sleeps).toContain(2000);
    expect(harness.sleeps.length).toBeGreaterThanOrEqual(2);
  });
});

describe('the enrollment timer', () => {
  it('syncs an active tenant once its poll interval has passed', async () => {
    const harness = await start();
    const first = await runDueEnrollmentSyncs(harness.deps);
    expect(first.outcomes.map((o) => [o.tenantId, o.status])).toEqual([[harness.tenantId, 'completed']]);

    harness.clock.advance(2 * 60_000);
    expect((await runDueEnrollmentSyncs(harness.deps)).outcomes).toEqual([]);
    harness.clock.advance(3 * 60_000);
    expect((await runDueEnrollmentSyncs(harness.deps)).outcomes).toHaveLength(1);

    // A tenant polling every 30 minutes waits.
    await updateTenantConfig(harness.tables, harness.tenantId, () => ({ settings: connectorSettingsSchema.parse({ enrollmentPollMinutes: 30 }) }));
    harness.clock.advance(10 * 60_000);
    expect((await runDueEnrollmentSyncs(harness.deps)).outcomes).toEqual([]);
    harness.clock.advance(20 * 60_000);
    expect((await runDueEnrollmentSyncs(harness.deps)).outcomes).toHaveLength(1);
  });
});

describe('enrollment sync when a page fails part-way', () => {
  it('deactivates nothing and writes nothing, then catches up on the next run', async () => {
    // 1,100 devices: Intune lists them in two pages of up to 1,000.
    const many = Array.from({ length: 1100 }, (_, i) => `user${i}`);
    h = await startHarness({
      tenant: {
        displayName: 'Contoso',
        users: many.map(user),
        groups: [{ id: id('g-many'), displayName: 'MTD Many', members: many.slice(0, 10).map((n) => id(n)) }],
        managedDevices: many.map((n) => device(n, n)),
      },
      enrollmentGroups: ['MTD Many'],
    });
    const harness = h;
    expect(completed(await syncTenant(harness.deps, harness.tenantId)).figures.discovered).toBe(10);
    const before = await devices(harness);

    for (const n of many.slice(0, 4)) harness.sim.state.removeGroupMember(harness.tenantId, id('g-many'), id(n));
    harness.sim.state.retireManagedDevice(harness.tenantId, id(`dev-${many[9] ?? ''}`));

    // The first page of devices loads; every later one fails (past the retries).
    let armed = false;
    const state = harness.sim.state;
    // Armed from the simulator's request log, before the first page's answer reaches the client.
    const originalPush = harness.simLog.push.bind(harness.simLog);
    harness.simLog.push = (...lines: string[]) => {
      const n = originalPush(...lines);
      if (!armed && lines.some((line) => line.includes('/deviceManagement/managedDevices -> 200'))) {
        armed = true;
        state.addFault({ path: '^/v1\\.0/deviceManagement/managedDevices$', status: 503, count: 50 });
      }
      return n;
    };
    harness.clock.advance(5 * 60_000);
    const sentBefore = harness.sent.length;
    const failed = await syncTenant(harness.deps, harness.tenantId);
    expect(failed.status).toBe('failed');
    expect(armed).toBe(true);
    const after = await devices(harness);
    for (const [deviceId, row] of before) {
      expect(after.get(deviceId)?.etag).toBe(row.etag);
      expect(after.get(deviceId)?.status).toBe('pending');
    }
    expect(harness.sent.length).toBe(sentBefore);
    expect((await getTenant(harness.tables, harness.tenantId))?.lastEnrollmentSyncResult).toBe('failed');

    state.clearFaults();
    harness.clock.advance(5 * 60_000);
    const recovered = completed(await syncTenant(harness.deps, harness.tenantId));
    expect(recovered.figures.deactivated).toBe(5);
    const rows = await devices(harness);
    expect(rows.get(id(`dev-${many[9] ?? ''}`))?.deactivationReason).toBe('left-intune');
    expect(rows.get(id(`dev-${many[0] ?? ''}`))?.deactivationReason).toBe('left-groups');
  });
});

/**
 * Through the local host: sync now, the device list and a device's detail, with console tokens minted by the
 * simulated Entra ID and the simulator as Graph.
 */
import { getTenant } from '../../../shared/tenants/tenantRepository.js';
import { devicePartitionKey } from '../../../shared/devices/device.js';
import { sequenceRowKey } from '../../../shared/devices/threatRows.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../../dev/host/server.js';
import { parseScenario } from '../../../dev/sim/scenario.js';
import type { Simulator } from '../../../dev/sim/server.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { clientId } from '../../support/simClient.js';
import { startStack, type Stack } from '../../support/stack.js';
import { addEnrollmentGroupRow, id } from '../../integration/enrollment/harness.js';

const tenantId = id('tenant-e2e');
const otherTenantId = id('tenant-other');
const adminsGroup = id('g-admins');
const viewersGroup = id('g-viewers');

const users = ['admin', 'viewer', 'ann', 'ben', 'cat'].map((name) => ({
  id: id(name),
  userPrincipalName: `${name}@contoso.test`,
  displayName: name,
}));
const device = (name: string, owner: string, operatingSystem: 'iOS' | 'Android' | 'Windows') => ({
  id: id(`dev-${name}`),
  userId: id(owner),
  deviceName: `${name}`,
  operatingSystem,
  osVersion: operatingSystem === 'Android' ? '14' : '17.5',
  azureADDeviceId: id(`aad-${name}`),
  entraObjectId: id(`obj-${name}`),
});

let stack: Stack | undefined;
let sim: Simulator;
let host: LocalHost;
let tables: TableStore;
let adminToken: string;
let viewerToken: string;

beforeAll(async () => {
  const scenario = parseScenario({
    app: { clientId },
    consentedTenants: [tenantId, otherTenantId],
    tenants: [
      {
        id: tenantId,
        displayName: 'Contoso',
        users,
        groups: [
          { id: adminsGroup, displayName: 'MTD Admins', members: [id('admin')] },
          { id: viewersGroup, displayName: 'MTD Viewers', members: [id('viewer')] },
          { id: id('g-mobile'), displayName: 'Mobile Users', members: [id('ann'), id('ben')] },
        ],
        managedDevices: [
          device('ann-phone', 'ann', 'iOS'),
          device('ann-tablet', 'ann', 'Android'),
          device('ben-phone', 'ben', 'Android'),
          device('ben-laptop', 'ben', 'Windows'),
          device('cat-phone', 'cat', 'iOS'),
        ],
      },
      { id: otherTenantId, displayName: 'Fabrikam', users: [{ id: id('zed'), userPrincipalName: 'zed@fabrikam.test', displayName: 'zed' }] },
    ],
  });
  stack = await startStack({ scenario, tenants: [{ tenantId, fullAccessGroupId: adminsGroup, restrictedAccessGroupId: viewersGroup }] });
  ({ sim, host, tables } = stack);
  await addEnrollmentGroupRow(tables, tenantId, 'Mobile Users');
  adminToken = await sim.state.mintUserToken({ tenantId, userId: id('admin') });
  viewerToken = await sim.state.mintUserToken({ tenantId, userId: id('viewer') });
});

afterAll(async () => {
  await stack?.stop();
});

async function call(method: string, path: string, token: string): Promise<{ status: number; body: Record<string, unknown>; contentType: string }> {
  const response = await fetch(`${host.url}/api/${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  return { status: response.status, body, contentType: response.headers.get('content-type') ?? '' };
}

describe('console: sync now and devices', () => {
  it('refuses sync now to restricted users', async () => {
    const response = await call('POST', 'v1/console/enrollment/sync', viewerToken);
    expect(response.status).toBe(403);
    expect(response.contentType).toContain('application/problem+json');
  });

  it('syncs now and lists the discovered devices, page by page and filtered', async () => {
    const sync = await call('POST', 'v1/console/enrollment/sync', adminToken);
    expect(sync.status).toBe(202);
    expect(sync.body).toMatchObject({ tenantId, status: 'queued' });
    // A worker of the tenant-jobs queue runs the discovery.
    await host.queues.get('tenant-jobs')?.drain({ timeoutMs: 20_000 });
    expect(await getTenant(tables, tenantId)).toMatchObject({ lastEnrollmentSyncResult: 'ok' });

    const first = await call('GET', 'v1/console/devices?limit=2', viewerToken);
    expect(first.status).toBe(200);
    const firstItems = first.body.items as Record<string, unknown>[];
    expect(firstItems).toHaveLength(2);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await call('GET', `v1/console/devices?limit=2&cursor=${String(first.body.nextCursor)}`, viewerToken);
    const all = [...firstItems, ...(second.body.items as Record<string, unknown>[])];
    expect(second.body.nextCursor).toBeNull();
    expect(all.map((d) => d.deviceName).sort()).toEqual(['ann-phone', 'ann-tablet', 'ben-phone']);
    for (const d of all) {
      expect(d.status).toBe('pending');
      expect(d).not.toHaveProperty('credentialHash');
    }

    const android = await call('GET', 'v1/console/devices?platform=android&status=pending', adminToken);
    expect((android.body.items as Record<string, unknown>[]).map((d) => d.deviceName).sort()).toEqual(['ann-tablet', 'ben-phone']);
    const none = await call('GET', 'v1/console/devices?status=active', adminToken);
    expect(none.body.items).toEqual([]);
  });

  it('lists how many threats are open on each device, from the count kept with its threat rows', async () => {
    const annPhone = id('dev-ann-phone');
    const row = (tenant: string, openThreats: number) => ({
      partitionKey: devicePartitionKey(tenant, annPhone),
      rowKey: sequenceRowKey(annPhone),
      openThreats,
    });
    await tables.table('threats').upsertEntity(row(tenantId, 3));
    // The same device id under another tenant counts for that tenant only.
    await tables.table('threats').upsertEntity(row(otherTenantId, 7));
    const list = await call('GET', 'v1/console/devices', viewerToken);
    const counts: Record<string, unknown> = Object.fromEntries(
      (list.body.items as Record<string, unknown>[]).map((d): [string, unknown] => [String(d.deviceName), d.activeThreatCount]),
    );
    expect(counts).toEqual({ 'ann-phone': 3, 'ann-tablet': 0, 'ben-phone': 0 });
  });

  it('rejects bad filters and cursors with a problem', async () => {
    const badStatus = await call('GET', 'v1/console/devices?status=lost', adminToken);
    expect(badStatus.status).toBe(400);
    expect(badStatus.contentType).toContain('application/problem+json');
    expect(JSON.stringify(badStatus.body.errors)).toContain('status');
    expect((await call('GET', 'v1/console/devices?limit=1000', adminToken)).status).toBe(400);
    const badCursor = await call('GET', 'v1/console/devices?cursor=bm90LWEtY3Vyc29y', adminToken);
    expect(badCursor.status).toBe(400);
    expect(badCursor.contentType).toContain('application/problem+json');
  });

  it('shows a device with its active threats and what Intune and Entra were last told', async () => {
    const deviceId = id('dev-ann-phone');
    await tables.table('devices').updateEntity(
      {
        partitionKey: devicePartitionKey(tenantId, deviceId),
        rowKey: deviceId,
        status: 'active',
        credentialHash: 'cd'.repeat(32),
        riskLevel: 'high',
        intuneState: 'highSeverity',
        intuneVersion: 2,
        intuneAt: '2026-03-01T10:05:00.000Z',
        intuneResult: 'sent',
        version: 3,
        syncPending: true,
        deadLetteredVersion: 3,
      },
      'Merge',
    );
    const threat = (key: string, extra: Record<string, unknown> & { deviceId: string }) => ({
      partitionKey: devicePartitionKey(tenantId, extra.deviceId),
      rowKey: key,
      classification: 'TROJAN',
      detectedAt: '2026-03-01T10:00:00.000Z',
      firstSeenAt: '2026-03-01T10:00:00.000Z',
      lastSeenAt: '2026-03-01T10:04:00.000Z',
      ...extra,
    });
    await tables.table('threats').upsertEntity(threat(`t|${deviceId}|th-1`, { deviceId, threatId: 'th-1', name: 'Bad app' }));
    await tables.table('threats').upsertEntity(
      threat(`t|${deviceId}|th-0`, { deviceId, threatId: 'th-0', resolvedAt: '2026-03-01T10:03:00.000Z' }),
    );
    const otherDevice = id('dev-ann-tablet');
    await tables.table('threats').upsertEntity(threat(`t|${otherDevice}|th-9`, { deviceId: otherDevice, threatId: 'th-9' }));

    const response = await call('GET', `v1/console/devices/${deviceId}`, viewerToken);
    expect(response.status).toBe(200);
    expect(JSON.stringify(response.body)).not.toContain('cd'.repeat(32));
    expect(response.body).toMatchObject({
      device: { deviceId, status: 'active', riskLevel: 'high', platform: 'ios', userPrincipalName: 'ann@contoso.test', activeThreatCount: 1 },
      activeThreats: [{ threatId: 'th-1', classification: 'TROJAN', name: 'Bad app' }],
      enforcement: {
        version: 3,
        syncPending: true,
        deadLetteredVersion: 3,
        intune: { state: 'highSeverity', version: 2, at: '2026-03-01T10:05:00.000Z', result: 'sent' },
      },
    });
  });

  it('answers 404 for an unknown device and for another tenant’s device', async () => {
    const unknown = await call('GET', `v1/console/devices/${id('dev-nope')}`, adminToken);
    expect(unknown.status).toBe(404);
    expect(unknown.contentType).toContain('application/problem+json');

    const foreign = id('dev-zed');
    await tables.table('devices').upsertEntity({
      partitionKey: devicePartitionKey(otherTenantId, foreign),
      rowKey: foreign,
      intuneDeviceId: foreign,
      platform: 'ios',
      userId: id('zed'),
      status: 'pending',
      statusChangedAt: '2026-03-01T10:00:00.000Z',
      discoveredAt: '2026-03-01T10:00:00.000Z',
    });
    expect((await call('GET', `v1/console/devices/${foreign}`, adminToken)).status).toBe(404);
  });

  it('needs a token', async () => {
    const response = await fetch(`${host.url}/api/v1/console/devices`);
    expect(response.status).toBe(401);
  });
});

/**
 * Activation and the device credential, through the local host: only the device's own user in its own tenant
 * activates it; the credential is stored only as a hash, rotates on re-activation, dies on deactivation, and
 * reaches only its own device.
 */
import { devicePartitionKey } from '../../../shared/devices/device.js';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedDevice, seedDevice } from '../../integration/devices/deviceRows.js';
import { activation, id, post, startDeviceHarness, type DeviceHarness } from './harness.js';

let h: DeviceHarness;
let annToken: string;

beforeAll(async () => {
  h = await startDeviceHarness();
  annToken = await h.token(h.contoso, 'ann');
});

afterAll(async () => {
  await h?.close();
});

async function annDevice(status: 'pending' | 'deactivated' | 'disconnected' = 'pending', tenantId = h.contoso, user = 'ann'): Promise<string> {
  const deviceId = randomUUID();
  await seedDevice(h.tables, tenantId, { deviceId, userId: id(user), status });
  return deviceId;
}

function secretOf(token: string): Buffer {
  return Buffer.from(token.split('.')[3] ?? '', 'base64url');
}

describe('activation', () => {
  it('activates a device discovered for the signed-in user and stores only the credential\'s hash', async () => {
    const deviceId = await annDevice();
    const response = await post(h.host, 'v1/device/activate', annToken, activation(deviceId.toUpperCase(), 'ios'));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ deviceId, heartbeatIntervalMinutes: 60 });
    const token = String(response.body.deviceToken);
    expect(secretOf(token)).toHaveLength(32);

    const device = await storedDevice(h.tables, h.contoso, deviceId);
    expect(device).toMatchObject({ status: 'active', platform: 'ios', osVersion: '17.5', appVersion: '1.0.0', syncPending: true });
    expect(device.lastCheckInAt).toBe(device.activatedAt);
    expect(device.credentialHash).toBe(createHash('sha256').update(secretOf(token)).digest('hex'));
    const raw = JSON.stringify(await h.tables.table('devices').getEntity(devicePartitionKey(h.contoso, deviceId), deviceId));
    expect(raw).not.toContain(token.split('.')[3]);
    expect(h.nudges.map((m) => m.body)).toContainEqual({ tenantId: h.contoso, deviceId, version: device.version });

    const heartbeat = await post(h.host, 'v1/device/heartbeat', token, { appVersion: '1.0.1' });
    expect(heartbeat.status).toBe(200);
    expect(heartbeat.body).toEqual({ heartbeatIntervalMinutes: 60 });
  });

  it('publishes the activation\'s device events at once, with no push (none runs here) to carry them', async () => {
    const deviceId = await annDevice();
    const response = await post(h.host, 'v1/device/activate', annToken, activation(deviceId, 'android'));
    expect(response.status).toBe(200);
    await h.eventsSettled();
    const answer = await fetch(`${h.host.url}/api/v1/events?types=device.discovered,device.status_changed&limit=1000`, {
      headers: { authorization: `Bearer ${annToken}` },
    });
    expect(answer.status).toBe(200);
    const page = (await answer.json()) as { items: { type: string; data: { device: { deviceId: string; status: string }; previous: { status: string } } }[] };
    const mine = page.items.filter((event) => event.data.device.deviceId === deviceId);
    expect(mine.map((event) => `${event.type} ${event.data.previous.status}>${event.data.device.status}`)).toEqual([
      'device.discovered pending>pending',
      'device.status_changed pending>active',
    ]);
  });

  it('refuses another user\'s device (403), another tenant\'s user (404), an undiscovered device (404) and a deactivated one (403)', async () => {
    const deviceId = await annDevice();
    const deactivated = await annDevice('deactivated');
    const before = await storedDevice(h.tables, h.contoso, deviceId);

    const ben = await post(h.host, 'v1/device/activate', await h.token(h.contoso, 'ben'), activation(deviceId));
    expect(ben.status).toBe(403);
    expect(ben.contentType).toContain('application/problem+json');

    const zed = await post(h.host, 'v1/device/activate', await h.token(h.fabrikam, 'zed'), activation(deviceId));
    expect(zed.status).toBe(404);
    expect(zed.contentType).toContain('application/problem+json');

    const unknown = await post(h.host, 'v1/device/activate', annToken, activation(randomUUID()));
    expect(unknown.status).toBe(404);

    const gone = await post(h.host, 'v1/device/activate', annToken, activation(deactivated));
    expect(gone.status).toBe(403);
    expect(String(gone.body.detail)).toContain('not enrolled');

    expect((await storedDevice(h.tables, h.contoso, deviceId)).etag).toBe(before.etag);
    expect((await storedDevice(h.tables, h.contoso, deactivated)).status).toBe('deactivated');
  });

  it('refuses activation without a valid user token', async () => {
    const deviceId = await annDevice();
    expect((await post(h.host, 'v1/device/activate', undefined, activation(deviceId))).status).toBe(401);
    expect((await post(h.host, 'v1/device/activate', 'not-a-token', activation(deviceId))).status).toBe(401);
    const forged = `${annToken.slice(0, -4)}AAAA`;
    expect((await post(h.host, 'v1/device/activate', forged, activation(deviceId))).status).toBe(401);
    expect((await storedDevice(h.tables, h.contoso, deviceId)).status).toBe('pending');
  });

  it('refuses an app-only token and a user token for another scope with 403, and activates nothing', async () => {
    const deviceId = await annDevice();
    const appOnly = await h.sim.state.mintApiAppToken({ tenantId: h.contoso, claims: { oid: id('ann') } });
    const refused = await post(h.host, 'v1/device/activate', appOnly, activation(deviceId));
    expect(refused.status).toBe(403);
    const otherScope = await h.sim.state.mintUserToken({ tenantId: h.contoso, userId: id('ann'), claims: { scp: 'User.Read' } });
    expect((await post(h.host, 'v1/device/activate', otherScope, activation(deviceId))).status).toBe(403);
    const device = await storedDevice(h.tables, h.contoso, deviceId);
    expect(device.status).toBe('pending');
    expect(device.credentialHash ?? '').toBe('');
  });

  it('rotates the credential on re-activation: the old one stops working at once', async () => {
    const deviceId = await annDevice();
    const first = String((await post(h.host, 'v1/device/activate', annToken, activation(deviceId))).body.deviceToken);
    const second = String((await post(h.host, 'v1/device/activate', annToken, activation(deviceId))).body.deviceToken);
    expect(second).not.toBe(first);
    const old = await post(h.host, 'v1/device/heartbeat', first, {});
    expect(old.status).toBe(401);
    expect(old.contentType).toContain('application/problem+json');
    expect((await post(h.host, 'v1/device/threat-report', first, report(1, []))).status).toBe(401);
    expect((await post(h.host, 'v1/device/heartbeat', second, {})).status).toBe(200);
  });

  it('lets a re-activated agent start its report sequence again', async () => {
    const deviceId = await annDevice();
    const first = String((await post(h.host, 'v1/device/activate', annToken, activation(deviceId))).body.deviceToken);
    expect((await post(h.host, 'v1/device/threat-report', first, report(50, []))).status).toBe(202);
    const second = String((await post(h.host, 'v1/device/activate', annToken, activation(deviceId))).body.deviceToken);
    const fresh = await post(h.host, 'v1/device/threat-report', second, report(1, [{ id: 'x', classification: 'SPY', detectedAt: '2026-03-01T09:00:00Z' }]));
    expect(fresh.status).toBe(202);
    expect(fresh.body).toEqual({ deviceId, riskLevel: 'high', applied: true });
  });

  it('kills the credential once the device is deactivated, and reactivates a disconnected device', async () => {
    const deviceId = await annDevice();
    const token = String((await post(h.host, 'v1/device/activate', annToken, activation(deviceId))).body.deviceToken);
    await h.tables.table('devices').updateEntity({ partitionKey: devicePartitionKey(h.contoso, deviceId), rowKey: deviceId, status: 'deactivated' }, 'Merge');
    expect((await post(h.host, 'v1/device/heartbeat', token, {})).status).toBe(401);
    expect((await post(h.host, 'v1/device/threat-report', token, report(1, []))).status).toBe(401);

    // What the disconnect sweep does to a device silent for weeks.
    const longAgo = '2026-01-01T00:00:00.000Z';
    const silent = await annDevice();
    const silentToken = String((await post(h.host, 'v1/device/activate', annToken, activation(silent))).body.deviceToken);
    await h.tables.table('devices').updateEntity({ partitionKey: devicePartitionKey(h.contoso, silent), rowKey: silent, status: 'disconnected', lastCheckInAt: longAgo }, 'Merge');
    expect((await post(h.host, 'v1/device/heartbeat', silentToken, {})).status).toBe(200);
    expect((await storedDevice(h.tables, h.contoso, silent)).status).toBe('active');
    await h.tables.table('devices').updateEntity({ partitionKey: devicePartitionKey(h.contoso, silent), rowKey: silent, status: 'disconnected', lastCheckInAt: longAgo }, 'Merge');
    expect((await post(h.host, 'v1/device/threat-report', silentToken, report(1, []))).status).toBe(202);
    expect((await storedDevice(h.tables, h.contoso, silent)).status).toBe('active');
    // A stale report reconnecting a device: test/integration/heartbeat (it needs a clock that moves days).
  });

  it('never lets one device\'s or tenant\'s credential reach another device', async () => {
    const mine = await annDevice();
    const other = await annDevice();
    const foreign = await annDevice('pending', h.fabrikam, 'zed');
    const mineToken = String((await post(h.host, 'v1/device/activate', annToken, activation(mine))).body.deviceToken);
    const otherToken = String((await post(h.host, 'v1/device/activate', annToken, activation(other))).body.deviceToken);
    const zedToken = await h.token(h.fabrikam, 'zed');
    const foreignToken = String((await post(h.host, 'v1/device/activate', zedToken, activation(foreign))).body.deviceToken);
    const before = await storedDevice(h.tables, h.contoso, mine);

    const [prefix, tenantPart, devicePart] = mineToken.split('.');
    const [, foreignTenantPart, , foreignSecret] = foreignToken.split('.');
    const [, , , otherSecret] = otherToken.split('.');
    const forgeries = [
      `${prefix}.${tenantPart}.${devicePart}.${otherSecret}`, // another device's secret on my device
      `${prefix}.${tenantPart}.${devicePart}.${foreignSecret}`, // another tenant's secret on my device
      `${prefix}.${foreignTenantPart}.${devicePart}.${foreignSecret}`, // my device under the other tenant
    ];
    for (const forged of forgeries) {
      expect((await post(h.host, 'v1/device/heartbeat', forged, {})).status).toBe(401);
      expect((await post(h.host, 'v1/device/threat-report', forged, report(1, []))).status).toBe(401);
    }
    // A device's own credential changes only that device.
    expect((await post(h.host, 'v1/device/threat-report', otherToken, report(1, [{ id: 'a', classification: 'SPY', detectedAt: '2026-03-01T09:00:00Z' }]))).status).toBe(202);
    expect((await post(h.host, 'v1/device/threat-report', foreignToken, report(1, [{ id: 'b', classification: 'SPY', detectedAt: '2026-03-01T09:00:00Z' }]))).status).toBe(202);
    expect((await storedDevice(h.tables, h.contoso, mine)).etag).toBe(before.etag);
    expect((await storedDevice(h.tables, h.contoso, other)).riskLevel).toBe('high');
    expect((await storedDevice(h.tables, h.fabrikam, foreign)).riskLevel).toBe('high');
  });
});

function report(sequence: number, threats: unknown[]) {
  return { reportId: randomUUID(), sequence, observedAt: new Date().toISOString(), threats };
}

/**
 * Threat reports through the local host: risk under the tenant's policy, history, alerts for the mail timer,
 * replays and stale sequences, 100 concurrent shuffled reports, size limits and the per-device rate limit.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeviceThreats, readOpenThreatCounts } from '../../../shared/devices/threatRows.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { seedDevice, storedDevice } from '../../integration/devices/deviceRows.js';
import { activation, id, post, startDeviceHarness, tenantCacheMs, type DeviceHarness } from './harness.js';
import { updateTenantConfig } from '../../../shared/tenants/tenantConfig.js';

let h: DeviceHarness;

beforeAll(async () => {
  h = await startDeviceHarness();
});

afterAll(async () => {
  await h?.close();
});

async function activeDevice(harness = h): Promise<{ deviceId: string; token: string }> {
  const deviceId = randomUUID();
  await seedDevice(harness.tables, harness.contoso, { deviceId, userId: id('ann'), deviceName: 'Ann iPhone', userPrincipalName: 'ann@contoso.test' });
  const response = await post(harness.host, 'v1/device/activate', await harness.token(harness.contoso, 'ann'), activation(deviceId));
  expect(response.status).toBe(200);
  return { deviceId, token: String(response.body.deviceToken) };
}

const threat = (threatId: string, classification: string, name?: string) => ({
  id: threatId,
  classification,
  ...(name ? { name } : {}),
  detectedAt: '2026-03-01T09:00:00.000Z',
});

function report(sequence: number, threats: unknown[], reportId: string = randomUUID()) {
  return { reportId, sequence, observedAt: new Date().toISOString(), threats };
}

async function alerts(tables: TableStore, tenantId: string, deviceId: string): Promise<Record<string, unknown>[]> {
  // Alerts are queued from the published threat events, just after the report answers.
  await h.eventsSettled();
  const rows: Record<string, unknown>[] = [];
  for await (const row of tables.table('notifications').listEntities()) {
    if (row.partitionKey === tenantId && row.deviceId === deviceId) rows.push(row);
  }
  return rows;
}

/** The count the console lists for the device. */
const openCount = async (deviceId: string) => (await readOpenThreatCounts(h.tables, h.contoso, [deviceId])).get(deviceId);

const openThreats = async (deviceId: string) =>
  (await listDeviceThreats(h.tables, h.contoso, deviceId)).filter((t) => t.resolvedAt === undefined).map((t) => t.threatId).sort();

describe('threat reports', () => {
  it('grades the device under the tenant\'s policy, keeps history, and queues alerts for new threats', async () => {
    const { deviceId, token } = await activeDevice();
    const first = await post(h.host, 'v1/device/threat-report', token, report(1, [threat('t1', 'ADWARE', 'Adware X'), threat('t2', 'DEVELOPER_MODE')]));
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ deviceId, riskLevel: 'low', applied: true });
    const device = await storedDevice(h.tables, h.contoso, deviceId);
    expect(device).toMatchObject({ riskLevel: 'low', hasReport: true, lastSequence: 1, syncPending: true });
    expect(await openCount(deviceId)).toBe(2);
    expect(h.nudges.map((m) => m.body)).toContainEqual({ tenantId: h.contoso, deviceId, version: device.version });
    // DEVELOPER_MODE is graded none: no alert.
    expect(await alerts(h.tables, h.contoso, deviceId)).toMatchObject([
      { reason: 'threat', classification: 'ADWARE', threatName: 'Adware X', riskLevel: 'low', deviceName: 'Ann iPhone', userPrincipalName: 'ann@contoso.test' },
    ]);

    const second = await post(h.host, 'v1/device/threat-report', token, report(2, [threat('t2', 'DEVELOPER_MODE'), threat('t3', 'ROOTED_OR_JAILBROKEN')]));
    expect(second.body).toEqual({ deviceId, riskLevel: 'high', applied: true });
    expect(await openThreats(deviceId)).toEqual(['t2', 't3']);
    const rows = await listDeviceThreats(h.tables, h.contoso, deviceId);
    expect(rows.find((t) => t.threatId === 't1')?.resolvedAt).toBeDefined();
    expect((await alerts(h.tables, h.contoso, deviceId)).map((a) => a.classification).sort()).toEqual(['ADWARE', 'ROOTED_OR_JAILBROKEN']);

    const clear = await post(h.host, 'v1/device/threat-report', token, report(3, []));
    expect(clear.body).toEqual({ deviceId, riskLevel: 'none', applied: true });
    expect(await storedDevice(h.tables, h.contoso, deviceId)).toMatchObject({ riskLevel: 'none' });
    expect(await openCount(deviceId)).toBe(0);
  });

  it('counts open threats beside the threat rows: a threat that leaves the grade as it was writes no device row', async () => {
    const { deviceId, token } = await activeDevice();
    expect((await post(h.host, 'v1/device/threat-report', token, report(1, [threat('r', 'ROOTED_OR_JAILBROKEN')]))).status).toBe(202);
    const graded = await storedDevice(h.tables, h.contoso, deviceId);
    expect(graded.riskLevel).toBe('high');
    expect(await openCount(deviceId)).toBe(1);

    const more = await post(h.host, 'v1/device/threat-report', token, report(2, [threat('r', 'ROOTED_OR_JAILBROKEN'), threat('a', 'ADWARE')]));
    expect(more.body).toEqual({ deviceId, riskLevel: 'high', applied: true });
    expect(await openCount(deviceId)).toBe(2);
    expect((await storedDevice(h.tables, h.contoso, deviceId)).etag).toBe(graded.etag);

    // Activating again starts a new sequence and keeps the count; the next report decides it.
    const again = await post(h.host, 'v1/device/activate', await h.token(h.contoso, 'ann'), activation(deviceId));
    expect(again.status).toBe(200);
    expect(await openCount(deviceId)).toBe(2);
    const clear = await post(h.host, 'v1/device/threat-report', String(again.body.deviceToken), report(1, []));
    expect(clear.body).toEqual({ deviceId, riskLevel: 'none', applied: true });
    expect(await openCount(deviceId)).toBe(0);
  });

  it('applies the tenant\'s classification overrides', async () => {
    const { deviceId, token } = await activeDevice();
    await updateTenantConfig(h.tables, h.contoso, (current) => ({ overrides: { ...current.overrides, SIDELOADED_APP: 'medium' } }));
    // The policy is reused briefly per instance: wait that out.
    await new Promise((resolve) => setTimeout(resolve, tenantCacheMs + 100));
    const response = await post(h.host, 'v1/device/threat-report', token, report(1, [threat('s', 'SIDELOADED_APP')]));
    expect(response.body).toEqual({ deviceId, riskLevel: 'medium', applied: true });
    await updateTenantConfig(h.tables, h.contoso, (current) => ({ overrides: { ...current.overrides, SIDELOADED_APP: 'none' } }));
  });

  it('changes nothing for a replayed report id or a stale sequence', async () => {
    const { deviceId, token } = await activeDevice();
    const original = report(5, [threat('a', 'SPY')]);
    expect((await post(h.host, 'v1/device/threat-report', token, original)).status).toBe(202);
    const device = await storedDevice(h.tables, h.contoso, deviceId);
    const threats = await listDeviceThreats(h.tables, h.contoso, deviceId);
    const queued = await alerts(h.tables, h.contoso, deviceId);

    const replay = await post(h.host, 'v1/device/threat-report', token, { ...original, sequence: 6, threats: [] });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ deviceId, riskLevel: 'high', applied: false });
    const stale = await post(h.host, 'v1/device/threat-report', token, report(5, []));
    expect(stale.body).toEqual({ deviceId, riskLevel: 'high', applied: false });
    expect((await post(h.host, 'v1/device/threat-report', token, report(2, []))).status).toBe(200);

    expect((await storedDevice(h.tables, h.contoso, deviceId)).etag).toBe(device.etag);
    expect(await listDeviceThreats(h.tables, h.contoso, deviceId)).toEqual(threats);
    expect(await alerts(h.tables, h.contoso, deviceId)).toEqual(queued);
  });

  it('ends with exactly the highest sequence\'s threats after 100 concurrent shuffled reports', async () => {
    const { deviceId, token } = await activeDevice();
    const sequences = Array.from({ length: 100 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const responses = await Promise.all(
      sequences.map((sequence) =>
        post(h.host, 'v1/device/threat-report', token, report(sequence, [threat(`s${sequence}`, sequence % 2 ? 'SPY' : 'ADWARE'), threat(`common`, 'PHISHING')])),
      ),
    );
    expect(responses.every((r) => r.status === 200 || r.status === 202)).toBe(true);
    expect(responses.filter((r) => r.body.applied === true).length).toBeGreaterThanOrEqual(1);
    expect(await openThreats(deviceId)).toEqual(['common', 's100']);
    const device = await storedDevice(h.tables, h.contoso, deviceId);
    expect(device).toMatchObject({ riskLevel: 'medium', hasReport: true });
    expect(await openCount(deviceId)).toBe(2);
    // Every later report is stale now.
    expect((await post(h.host, 'v1/device/threat-report', token, report(100, []))).body.applied).toBe(false);
    expect(await openThreats(deviceId)).toEqual(['common', 's100']);
  });

  it('refuses oversized bodies (413) and more than 500 threats (400), storing nothing', async () => {
    const { deviceId, token } = await activeDevice();
    const before = await storedDevice(h.tables, h.contoso, deviceId);
    const big = report(1, [threat('x'.repeat(200), 'SPY', 'n'.repeat(256))]);
    const oversized = await post(h.host, 'v1/device/threat-report', token, { ...big, threats: Array.from({ length: 200 }, (_, i) => ({ ...threat(`t${i}`, 'SPY', 'n'.repeat(256)) })) });
    expect(oversized.status).toBe(413);
    expect(oversized.contentType).toContain('application/problem+json');
    const many = await post(h.host, 'v1/device/threat-report', token, report(1, Array.from({ length: 501 }, (_, i) => ({ id: `${i}`, classification: 'SPY', detectedAt: '2026-03-01T09:00:00Z' }))));
    expect(many.status).toBe(400);
    expect(JSON.stringify(many.body.errors)).toContain('threats');
    expect((await storedDevice(h.tables, h.contoso, deviceId)).etag).toBe(before.etag);
    expect(await listDeviceThreats(h.tables, h.contoso, deviceId)).toEqual([]);
  });
});

describe('per-device rate limit', () => {
  it('answers 429 with Retry-After once a device exceeds its budget, without touching other devices', async () => {
    const limited = await startDeviceHarness({
      limits: { reports: { burst: 3, perSecond: 0.01 }, heartbeats: { burst: 2, perSecond: 0.01 } },
    });
    try {
      const ann = await activeDevice(limited);
      const statuses: number[] = [];
      for (let sequence = 1; sequence <= 4; sequence += 1) {
        statuses.push((await post(limited.host, 'v1/device/threat-report', ann.token, report(sequence, []))).status);
      }
      expect(statuses).toEqual([202, 202, 202, 429]);
      const refused = await post(limited.host, 'v1/device/threat-report', ann.token, report(9, [threat('z', 'SPY')]));
      expect(refused.status).toBe(429);
      expect(refused.contentType).toContain('application/problem+json');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await listDeviceThreats(limited.tables, limited.contoso, ann.deviceId)).toEqual([]);

      expect((await post(limited.host, 'v1/device/heartbeat', ann.token, {})).status).toBe(200);
      expect((await post(limited.host, 'v1/device/heartbeat', ann.token, {})).status).toBe(200);
      expect((await post(limited.host, 'v1/device/heartbeat', ann.token, {})).status).toBe(429);

      const other = await activeDevice(limited);
      expect((await post(limited.host, 'v1/device/threat-report', other.token, report(1, []))).status).toBe(202);
    } finally {
      await limited.close();
    }
  });
});

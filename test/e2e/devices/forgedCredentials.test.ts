/**
 * Failed authentications are limited apart from the device's own budget (CONTRACT.md, "Agent trust"): a stranger who
 * knows a device id and floods it with forged credentials cannot make the real agent's reports answer 429, and once
 * the failure budget is spent the forged requests are refused without reading the device row.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDevice } from '../../integration/devices/deviceRows.js';
import { ReferenceAgent } from '../../../dev/agent/referenceAgent.js';
import { id, post, startDeviceHarness, type DeviceHarness } from './harness.js';

const publicBaseUrl = 'https://mtd.test';
let h: DeviceHarness;

beforeAll(async () => {
  // The device's own budget is small, as in production: 5 reports at once, then one every 100 s.
  h = await startDeviceHarness({
    settings: { PUBLIC_BASE_URL: publicBaseUrl },
    limits: { reports: { burst: 5, perSecond: 0.01 }, heartbeats: { burst: 5, perSecond: 0.01 } },
  });
});

afterAll(async () => {
  await h?.close();
});

function forged(tenantId: string, deviceId: string): string {
  const part = (text: string) => Buffer.from(text).toString('base64url');
  return `mtd1.${part(tenantId)}.${part(deviceId)}.${randomBytes(32).toString('base64url')}`;
}

describe('forged credentials', () => {
  for (const mode of ['dpop', 'bearer'] as const) {
    it(`do not silence a ${mode} device: after 60 forged reports the real agent's reports still answer 202`, async () => {
      const deviceId = randomUUID();
      await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann') });
      const agent = new ReferenceAgent({ baseUrl: h.host.url, userToken: () => h.token(h.contoso, 'ann'), intuneDeviceId: deviceId, platform: 'ios', mode, publicBaseUrl });
      expect((await agent.activate()).status).toBe(200);
      expect((await agent.report()).status).toBe(202);

      const statuses: number[] = [];
      for (let n = 0; n < 60; n += 1) {
        const answer = await post(h.host, 'v1/device/threat-report', forged(h.contoso, deviceId), { reportId: randomUUID(), sequence: n + 1, observedAt: new Date().toISOString(), threats: [] });
        statuses.push(answer.status);
      }
      // Refused as unknown credentials, then, once the failure budget is spent, without a read.
      expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
      expect(statuses.slice(-10).every((status) => status === 429)).toBe(true);

      for (let n = 0; n < 3; n += 1) expect((await agent.report()).status).toBe(202);
    });
  }

  it('spends no device-row read on a forged request once the failure budget is spent', async () => {
    const deviceId = randomUUID();
    await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann') });
    for (let n = 0; n < 20; n += 1) await post(h.host, 'v1/device/heartbeat', forged(h.contoso, deviceId), {});
    const before = h.tables.stats.transactions;
    const refused = await post(h.host, 'v1/device/heartbeat', forged(h.contoso, deviceId), {});
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(h.tables.stats.transactions).toBe(before);
  });
});

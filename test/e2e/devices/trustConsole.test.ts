/**
 * Agent trust in the console: the device detail's `trust` (key binding and the attestation verdict with its reason),
 * the `attestation=` filter of the device list and of the CSV export, the CSV's `attestation` column, and the
 * activation in the device's timeline.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDevice } from '../../integration/devices/deviceRows.js';
import { ReferenceAgent, type AgentAttestation } from '../../../dev/agent/referenceAgent.js';
import { id, startDeviceHarness, type DeviceHarness } from './harness.js';

const publicBaseUrl = 'https://mtd.test';
let h: DeviceHarness;
let annToken: string;
const devices: Record<'verified' | 'failed' | 'bearer', string> = { verified: '', failed: '', bearer: '' };

async function activated(mode: 'dpop' | 'bearer', attestation: AgentAttestation): Promise<string> {
  const deviceId = randomUUID();
  await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann'), platform: 'android' });
  const agent = new ReferenceAgent({ baseUrl: h.host.url, userToken: () => annToken, intuneDeviceId: deviceId, platform: 'android', mode, attestation, publicBaseUrl });
  expect((await agent.activate()).status).toBe(200);
  return deviceId;
}

beforeAll(async () => {
  h = await startDeviceHarness({ settings: { PUBLIC_BASE_URL: publicBaseUrl }, attestation: 'report' });
  annToken = await h.token(h.contoso, 'ann');
  devices.verified = await activated('dpop', { kind: 'android', simUrl: h.sim.url });
  devices.failed = await activated('dpop', { kind: 'android', simUrl: h.sim.url, flaws: ['software-level'] });
  devices.bearer = await activated('bearer', { kind: 'none' });
});

afterAll(async () => {
  await h?.close();
});

async function get(path: string): Promise<Response> {
  return fetch(`${h.host.url}/api/${path}`, { headers: { authorization: `Bearer ${annToken}` } });
}

describe('agent trust in the console', () => {
  it('shows the key binding and the verdict with its reason on the device page', async () => {
    const verified = (await (await get(`v1/console/devices/${devices.verified}`)).json()) as { trust: Record<string, unknown> };
    expect(verified.trust).toMatchObject({ keyBound: true, attestation: { format: 'android-key', status: 'verified' } });
    const failed = (await (await get(`v1/console/devices/${devices.failed}`)).json()) as {
      trust: { keyBound: boolean; attestation: { status: string; reason?: string; checkedAt: string | null } };
      activeThreats: { classification: string }[];
    };
    expect(failed.trust.keyBound).toBe(true);
    expect(failed.trust.attestation.status).toBe('failed');
    expect(failed.trust.attestation.reason).toBeTruthy();
    expect(failed.trust.attestation.checkedAt).toBeTruthy();
    expect(failed.activeThreats.map((threat) => threat.classification)).toEqual(['DEVICE_INTEGRITY_FAILED']);
    const bearer = (await (await get(`v1/console/devices/${devices.bearer}`)).json()) as { trust: Record<string, unknown> };
    expect(bearer.trust).toMatchObject({ keyBound: false, attestation: { format: null, status: 'absent' } });
  });

  it('filters the device list and the export by attestation verdict, and fills the CSV column', async () => {
    const page = (await (await get('v1/console/devices?attestation=failed&limit=200')).json()) as { items: { deviceId: string }[] };
    expect(page.items.map((item) => item.deviceId)).toEqual([devices.failed]);

    const csv = await (await get('v1/console/devices/export?format=csv&attestation=verified')).text();
    const [header, ...rows] = csv.trim().split(/\r?\n/);
    const column = (header ?? '').split(',').indexOf('attestation');
    expect(column).toBeGreaterThan(0);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.split(',')[0]).toBe(devices.verified);
    expect(rows[0]?.split(',')[column]).toBe('verified');
  });

  it('records the activation, key-bound or not, with its verdict, in the timeline', async () => {
    const timeline = (await (await get(`v1/console/devices/${devices.failed}/timeline`)).json()) as { items: { kind: string; summary: string }[] };
    const activation = timeline.items.find((item) => item.kind === 'activation');
    expect(activation?.summary).toContain('key-bound');
    expect(activation?.summary).toContain('attestation failed');
    const bearer = (await (await get(`v1/console/devices/${devices.bearer}/timeline`)).json()) as { items: { kind: string; summary: string }[] };
    expect(bearer.items.find((item) => item.kind === 'activation')?.summary).toContain('bearer credential');
  });
});

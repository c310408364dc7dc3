/**
 * The tenant's agent trust policy (CONTRACT.md, "Agent trust"), through the local host with the simulator playing the
 * phone's platform: `keyBinding: required` refuses keyless activations and a keyless credential's next use;
 * `attestation: report` activates whatever the verdict and raises the service's own threat (graded, evented, kept
 * through the agent's complete-set reports, resolved by a later verified activation); `required` refuses anything
 * but a verified attestation (403, `device.attestation_failed`, the device still pending); `off` checks nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDevice, storedDevice } from '../../integration/devices/deviceRows.js';
import { listDeviceThreats } from '../../../shared/devices/threatRows.js';
import { ReferenceAgent, type AgentAttestation } from '../../../dev/agent/referenceAgent.js';
import { id, post, startDeviceHarness, tenantCacheMs, type DeviceHarness } from './harness.js';

const publicBaseUrl = 'https://mtd.test';
let h: DeviceHarness;
let annToken: string;

beforeAll(async () => {
  h = await startDeviceHarness({ settings: { PUBLIC_BASE_URL: publicBaseUrl } });
  annToken = await h.token(h.contoso, 'ann');
});

afterAll(async () => {
  await h?.close();
});

/** Sets Contoso's `agentTrust` through the console and waits out the host's brief tenant cache. */
async function setTrust(agentTrust: { keyBinding?: 'optional' | 'required'; attestation?: 'off' | 'report' | 'required' }): Promise<void> {
  const answer = await fetch(`${h.host.url}/api/v1/console/connector`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${annToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agentTrust }),
  });
  expect(answer.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, tenantCacheMs + 200));
}

async function agent(mode: 'dpop' | 'bearer', attestation: AgentAttestation = { kind: 'none' }, platform: 'ios' | 'android' = 'android'): Promise<ReferenceAgent> {
  const deviceId = randomUUID();
  await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann'), platform });
  return new ReferenceAgent({ baseUrl: h.host.url, userToken: () => annToken, intuneDeviceId: deviceId, platform, mode, attestation, publicBaseUrl });
}

const android = (flaws: string[] = []): AgentAttestation => ({ kind: 'android', simUrl: h.sim.url, flaws });
const apple = (flaws: string[] = []): AgentAttestation => ({ kind: 'apple', simUrl: h.sim.url, flaws });

async function openServiceThreats(deviceId: string): Promise<string[]> {
  const threats = await listDeviceThreats(h.tables, h.contoso, deviceId);
  return threats.filter((threat) => threat.resolvedAt === undefined && threat.classification.startsWith('DEVICE_INTEGRITY')).map((threat) => threat.classification);
}

async function eventsOf(deviceId: string, types: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  await h.eventsSettled();
  const answer = await fetch(`${h.host.url}/api/v1/events?types=${types}&limit=1000`, { headers: { authorization: `Bearer ${annToken}` } });
  expect(answer.status).toBe(200);
  const page = (await answer.json()) as { items: { type: string; data: { device: { deviceId: string } } & Record<string, unknown> }[] };
  return page.items.filter((event) => event.data.device.deviceId === deviceId);
}

describe('keyBinding: required', () => {
  it('refuses an activation without a device key (400) and a keyless credential on its next use (401)', async () => {
    await setTrust({ keyBinding: 'optional', attestation: 'off' });
    const keyless = await agent('bearer');
    expect((await keyless.activate()).status).toBe(200);
    expect((await keyless.heartbeat()).status).toBe(200);

    await setTrust({ keyBinding: 'required', attestation: 'off' });
    const next = await keyless.heartbeat();
    expect(next.status).toBe(401);
    expect(next.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const refused = await keyless.activate();
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: 'deviceKey' })]);

    // The agent activates again with a key, and is served.
    const bound = new ReferenceAgent({ ...keyless.options, mode: 'dpop' });
    expect((await bound.activate()).body).toMatchObject({ tokenType: 'DPoP', attestation: { status: 'not-checked' } });
    expect((await bound.heartbeat()).status).toBe(200);
    await setTrust({ keyBinding: 'optional', attestation: 'report' });
  });
});

describe('attestation', () => {
  it('off: checks nothing (not-checked), raises nothing', async () => {
    await setTrust({ attestation: 'off' });
    const device = await agent('dpop', android(['unverified-boot']));
    const answer = await device.activate();
    expect(answer.status).toBe(200);
    expect(answer.body.attestation).toEqual({ status: 'not-checked' });
    expect(await openServiceThreats(device.options.intuneDeviceId)).toEqual([]);
    const row = await storedDevice(h.tables, h.contoso, device.options.intuneDeviceId);
    expect(row).toMatchObject({ attestationStatus: 'not-checked', status: 'active' });
  });

  it('report: verified Android and iOS devices activate clean, with the verdict on the row', async () => {
    await setTrust({ attestation: 'report' });
    for (const [attestation, platform] of [[android(), 'android'], [apple(), 'ios']] as const) {
      const device = await agent('dpop', attestation, platform);
      const answer = await device.activate();
      expect(answer.status).toBe(200);
      expect(answer.body.attestation).toEqual({ status: 'verified' });
      const row = await storedDevice(h.tables, h.contoso, device.options.intuneDeviceId);
      expect(row).toMatchObject({ attestationStatus: 'verified', attestationFormat: attestation.kind === 'android' ? 'android-key' : 'apple-app-attest' });
      expect(row.attestationSecurityLevel).toBeTruthy();
      expect(await openServiceThreats(device.options.intuneDeviceId)).toEqual([]);
    }
  });

  it('report: a failed verdict raises DEVICE_INTEGRITY_FAILED (high), kept through an agent\'s empty report, resolved by a verified activation', async () => {
    await setTrust({ attestation: 'report' });
    const device = await agent('dpop', android(['unlocked-bootloader']));
    const answer = await device.activate();
    expect(answer.status).toBe(200);
    expect(answer.body.attestation).toMatchObject({ status: 'failed' });
    expect(String((answer.body.attestation as { reason?: unknown }).reason)).not.toBe('');
    const deviceId = device.options.intuneDeviceId;
    expect(await openServiceThreats(deviceId)).toEqual(['DEVICE_INTEGRITY_FAILED']);
    expect(await storedDevice(h.tables, h.contoso, deviceId)).toMatchObject({ riskLevel: 'high', attestationStatus: 'failed', syncPending: true });

    // The agent's complete set does not name the service's threat: it stays open, and so does the grade.
    const report = await device.report([]);
    expect(report.status).toBe(202);
    expect(report.body.riskLevel).toBe('high');
    expect(await openServiceThreats(deviceId)).toEqual(['DEVICE_INTEGRITY_FAILED']);

    // A later verified activation resolves it.
    const fixed = new ReferenceAgent({ ...device.options, attestation: android() });
    expect((await fixed.activate()).body.attestation).toEqual({ status: 'verified' });
    expect(await openServiceThreats(deviceId)).toEqual([]);
    expect((await storedDevice(h.tables, h.contoso, deviceId)).riskLevel).toBe('none');

    const events = await eventsOf(deviceId, 'threat.detected,threat.resolved');
    expect(events.map((event) => `${event.type} ${(event.data.threat as { classification: string }).classification}`)).toEqual([
      'threat.detected DEVICE_INTEGRITY_FAILED',
      'threat.resolved DEVICE_INTEGRITY_FAILED',
    ]);
  });

  it('report: no attestation raises DEVICE_INTEGRITY_UNVERIFIED (low)', async () => {
    await setTrust({ attestation: 'report' });
    const device = await agent('dpop');
    const answer = await device.activate();
    expect(answer.body.attestation).toMatchObject({ status: 'absent' });
    expect(await openServiceThreats(device.options.intuneDeviceId)).toEqual(['DEVICE_INTEGRITY_UNVERIFIED']);
    expect((await storedDevice(h.tables, h.contoso, device.options.intuneDeviceId)).riskLevel).toBe('low');
  });

  it('required: a failed attestation is refused (403 with the reason), evented, and the device stays pending', async () => {
    await setTrust({ attestation: 'required' });
    const device = await agent('dpop', apple(['wrong-app-id']), 'ios');
    const answer = await device.activate();
    expect(answer.status).toBe(403);
    expect(String(answer.body.detail)).toMatch(/attestation/i);
    const deviceId = device.options.intuneDeviceId;
    const row = await storedDevice(h.tables, h.contoso, deviceId);
    expect(row.status).toBe('pending');
    expect(row.credentialHash).toBeUndefined();
    const events = await eventsOf(deviceId, 'device.attestation_failed');
    expect(events.map((event) => [event.type, event.data.format])).toEqual([['device.attestation_failed', 'apple-app-attest']]);
    expect(String(events[0]?.data.reason)).not.toBe('');

    const verified = new ReferenceAgent({ ...device.options, attestation: apple() });
    expect((await verified.activate()).status).toBe(200);
    await setTrust({ attestation: 'report' });
  });
});

describe('the agent\'s own report', () => {
  it('cannot name the service\'s classifications', async () => {
    const device = await agent('bearer');
    expect((await device.activate()).status).toBe(200);
    const answer = await post(h.host, 'v1/device/threat-report', String(device.token), {
      reportId: randomUUID(),
      sequence: 1,
      observedAt: new Date().toISOString(),
      threats: [{ id: 'a', classification: 'DEVICE_INTEGRITY_UNVERIFIED', detectedAt: new Date().toISOString() }],
    });
    expect(answer.status).toBe(400);
  });
});

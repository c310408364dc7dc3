/**
 * The device credential's lifetime, through the local host on a clock the test moves by days: a credential lives
 * DEVICE_CREDENTIAL_DAYS (90), a heartbeat within 7 days of its expiry answers a new one (silent rotation), the
 * replaced one keeps working for 24 hours (a retry after a lost answer, or two racing heartbeats, receive the same new
 * credential), then only the new one; an expired credential is refused with 401 and activation starts again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { devicePartitionKey } from '../../../shared/devices/device.js';
import { issueCredential } from '../../../shared/devices/credential.js';
import { putDevice } from '../../../shared/devices/deviceRepository.js';
import { listDeviceThreats } from '../../../shared/devices/threatRows.js';
import { seedDevice, storedDevice } from '../../integration/devices/deviceRows.js';
import { activation, id, post, startDeviceHarness, type DeviceHarness } from './harness.js';

const day = 24 * 60 * 60 * 1000;
const hour = 60 * 60 * 1000;

let h: DeviceHarness;
let annToken: string;
const clock = new ManualClock(new Date());

beforeAll(async () => {
  h = await startDeviceHarness({ clock });
  annToken = await h.token(h.contoso, 'ann');
});

afterAll(async () => {
  await h?.close();
});

const hashOf = (token: string): string => createHash('sha256').update(Buffer.from(token.split('.')[3] ?? '', 'base64url')).digest('hex');

function report(sequence: number, threats: unknown[] = []) {
  return { reportId: randomUUID(), sequence, observedAt: clock.now().toISOString(), threats };
}

/** A device of Ann's, activated now (on the test's clock): its credential and the answer. */
async function activated(): Promise<{ deviceId: string; token: string; expiresAt: string }> {
  const deviceId = randomUUID();
  await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann') });
  const answer = await post(h.host, 'v1/device/activate', annToken, activation(deviceId));
  expect(answer.status).toBe(200);
  return { deviceId, token: String(answer.body.deviceToken), expiresAt: String(answer.body.deviceTokenExpiresAt) };
}

describe('device credential lifetime', () => {
  it('issues a credential for 90 days and does not rotate it while it is far from expiry', async () => {
    clock.set(new Date());
    const start = clock.now().getTime();
    const { deviceId, token, expiresAt } = await activated();
    expect(new Date(expiresAt).getTime()).toBe(start + 90 * day);
    expect((await storedDevice(h.tables, h.contoso, deviceId)).credentialExpiresAt).toBe(expiresAt);

    clock.set(new Date(start + 82 * day));
    const heartbeat = await post(h.host, 'v1/device/heartbeat', token, {});
    expect(heartbeat.status).toBe(200);
    expect(heartbeat.body).toEqual({ heartbeatIntervalMinutes: 60 });
  });

  it('rotates silently within 7 days of expiry; the old credential works 24 h more and gets the same new one, then only the new one', async () => {
    clock.set(new Date());
    const start = clock.now().getTime();
    const { deviceId, token: first } = await activated();
    expect((await post(h.host, 'v1/device/threat-report', first, report(1, [{ id: 'a', classification: 'ADWARE', detectedAt: clock.now().toISOString() }]))).status).toBe(202);

    clock.set(new Date(start + 84 * day));
    const rotatedAt = clock.now().getTime();
    const answer = await post(h.host, 'v1/device/heartbeat', first, {});
    expect(answer.status).toBe(200);
    const second = String(answer.body.deviceToken);
    expect(second).toMatch(/^mtd1\./);
    expect(second).not.toBe(first);
    expect(answer.body).toEqual({ heartbeatIntervalMinutes: 60, deviceToken: second, deviceTokenExpiresAt: new Date(rotatedAt + 90 * day).toISOString() });

    // Only hashes are stored: the new credential's, and the old one's as the previous credential.
    const row = await storedDevice(h.tables, h.contoso, deviceId);
    expect(row.credentialHash).toBe(hashOf(second));
    expect(row.previousCredentialHash).toBe(hashOf(first));
    const raw = JSON.stringify(await h.tables.table('devices').getEntity(devicePartitionKey(h.contoso, deviceId), deviceId));
    expect(raw).not.toContain(second.split('.')[3]);
    expect(raw).not.toContain(first.split('.')[3]);

    // The answer was lost: the agent retries with the old credential and receives the same new one.
    clock.set(new Date(rotatedAt + 23 * hour));
    const retry = await post(h.host, 'v1/device/heartbeat', first, {});
    expect(retry.status).toBe(200);
    expect(retry.body.deviceToken).toBe(second);
    expect(retry.body.deviceTokenExpiresAt).toBe(answer.body.deviceTokenExpiresAt);
    // Reports go on in the same sequence with either credential (a rotation is not a new activation).
    const stale = await post(h.host, 'v1/device/threat-report', first, report(1));
    expect(stale.body).toMatchObject({ applied: false, riskLevel: 'low' });
    expect((await post(h.host, 'v1/device/threat-report', first, report(2, [{ id: 'a', classification: 'ADWARE', detectedAt: clock.now().toISOString() }]))).status).toBe(202);
    const viaNew = await post(h.host, 'v1/device/threat-report', second, report(3, [{ id: 'b', classification: 'SPY', detectedAt: clock.now().toISOString() }]));
    expect(viaNew.status).toBe(202);
    expect(viaNew.body).toEqual({ deviceId, riskLevel: 'high', applied: true });
    const fresh = await post(h.host, 'v1/device/heartbeat', second, {});
    expect(fresh.body).toEqual({ heartbeatIntervalMinutes: 60 });

    // 24 hours after the rotation the old credential is dead; nothing of the device changes through it.
    clock.set(new Date(rotatedAt + 24 * hour + 1_000));
    const before = await storedDevice(h.tables, h.contoso, deviceId);
    const dead = await post(h.host, 'v1/device/heartbeat', first, {});
    expect(dead.status).toBe(401);
    expect(dead.contentType).toContain('application/problem+json');
    const deadReport = await post(h.host, 'v1/device/threat-report', first, report(9));
    expect(deadReport.status).toBe(401);
    expect((await storedDevice(h.tables, h.contoso, deviceId)).etag).toBe(before.etag);
    expect((await post(h.host, 'v1/device/heartbeat', second, {})).status).toBe(200);
    // The refused report recorded nothing: sequence 4 is still the next one, and SPY stays open until it says so.
    expect((await post(h.host, 'v1/device/threat-report', second, report(4, [{ id: 'b', classification: 'SPY', detectedAt: clock.now().toISOString() }]))).body)
      .toEqual({ deviceId, riskLevel: 'high', applied: true });
  });

  it('gives two racing heartbeats with the old credential the same new credential', async () => {
    clock.set(new Date());
    const start = clock.now().getTime();
    const { deviceId, token } = await activated();
    clock.set(new Date(start + 88 * day));
    const answers = await Promise.all([1, 2, 3, 4].map(() => post(h.host, 'v1/device/heartbeat', token, {})));
    const tokens = new Set(answers.map((answer) => answer.body.deviceToken));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(tokens.size).toBe(1);
    const [issued] = [...tokens];
    expect((await storedDevice(h.tables, h.contoso, deviceId)).credentialHash).toBe(hashOf(String(issued)));
    expect((await post(h.host, 'v1/device/heartbeat', String(issued), {})).body).toEqual({ heartbeatIntervalMinutes: 60 });
  });

  it('refuses an expired credential with 401 problem+json; activating again issues a new one', async () => {
    clock.set(new Date());
    const start = clock.now().getTime();
    const { deviceId, token } = await activated();
    expect((await post(h.host, 'v1/device/threat-report', token, report(1, [{ id: 'x', classification: 'SPY', detectedAt: clock.now().toISOString() }]))).status).toBe(202);
    clock.set(new Date(start + 90 * day + 1_000));
    const before = await storedDevice(h.tables, h.contoso, deviceId);
    const heartbeat = await post(h.host, 'v1/device/heartbeat', token, {});
    expect(heartbeat.status).toBe(401);
    expect(heartbeat.contentType).toContain('application/problem+json');
    expect(String(heartbeat.body.detail)).toContain('Activate the agent again');
    expect((await post(h.host, 'v1/device/threat-report', token, report(2))).status).toBe(401);
    expect((await storedDevice(h.tables, h.contoso, deviceId)).etag).toBe(before.etag);
    // The all-clear it carried resolved nothing.
    expect((await listDeviceThreats(h.tables, h.contoso, deviceId)).map((threat) => threat.resolvedAt)).toEqual([undefined]);

    const again = await post(h.host, 'v1/device/activate', annToken, activation(deviceId));
    expect(again.status).toBe(200);
    expect(again.body.deviceTokenExpiresAt).toBe(new Date(clock.now().getTime() + 90 * day).toISOString());
    expect((await post(h.host, 'v1/device/heartbeat', String(again.body.deviceToken), {})).body).toEqual({ heartbeatIntervalMinutes: 60 });
  });

  it('treats a credential issued before lifetimes as issued at its activation: a live agent gets a new one, a dormant one is refused', async () => {
    clock.set(new Date());
    const now = clock.now().getTime();
    const legacy = async (lastCheckInAgo: number) => {
      const deviceId = randomUUID();
      const seeded = await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann'), status: 'active' });
      const issued = issueCredential(h.contoso, deviceId);
      const activatedAt = new Date(now - 200 * day).toISOString();
      // A row as the previous build wrote it: a hash and its issue time, no expiry (written through the seam).
      await putDevice(h.tables, { ...seeded, credentialHash: issued.hash, credentialIssuedAt: activatedAt, activatedAt, lastCheckInAt: new Date(now - lastCheckInAgo).toISOString() });
      return { deviceId, token: issued.token };
    };

    const live = await legacy(2 * hour);
    const rotated = await post(h.host, 'v1/device/heartbeat', live.token, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.deviceTokenExpiresAt).toBe(new Date(now + 90 * day).toISOString());
    expect((await storedDevice(h.tables, h.contoso, live.deviceId)).credentialHash).toBe(hashOf(String(rotated.body.deviceToken)));

    const dormant = await legacy(8 * day);
    expect((await post(h.host, 'v1/device/heartbeat', dormant.token, {})).status).toBe(401);
  });
});

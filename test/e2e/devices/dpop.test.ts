/**
 * Key-bound device credentials through the local host (CONTRACT.md, "Agent trust"): the single-use challenge, an
 * activation with a device key answering DPoP, a DPoP proof on every device request (a copied credential without
 * the key, a replayed, mis-addressed, stale or mis-hashed proof refused with 401 and nothing recorded), rotation
 * keeping the key, bearer devices still served while the tenant's key binding is optional, and the service's own
 * classifications refused in an agent's report.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { seedDevice, storedDevice } from '../../integration/devices/deviceRows.js';
import { ath, dpopProof, generateDeviceKey, ReferenceAgent } from '../../../dev/agent/referenceAgent.js';
import { activation, id, post, startDeviceHarness, type DeviceHarness } from './harness.js';

const day = 24 * 60 * 60 * 1000;
/** The service's PUBLIC_BASE_URL: proofs name it (the contract proxy in front of the host changes the Host header). */
const publicBaseUrl = 'https://mtd.test';
let h: DeviceHarness;
let annToken: string;
const clock = new ManualClock(new Date());

beforeAll(async () => {
  h = await startDeviceHarness({ clock, settings: { PUBLIC_BASE_URL: publicBaseUrl }, attestation: 'report' });
  annToken = await h.token(h.contoso, 'ann');
});

afterAll(async () => {
  await h?.close();
});

async function annDevice(): Promise<string> {
  const deviceId = randomUUID();
  await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann') });
  return deviceId;
}

function agentFor(deviceId: string, mode: 'dpop' | 'bearer' = 'dpop'): ReferenceAgent {
  return new ReferenceAgent({ baseUrl: h.host.url, userToken: () => annToken, intuneDeviceId: deviceId, platform: 'android', mode, publicBaseUrl });
}

async function challenge(token = annToken): Promise<string> {
  const answer = await post(h.host, 'v1/device/challenge', token, undefined, { raw: '' });
  expect(answer.status).toBe(200);
  return String(answer.body.challenge);
}

function expectRefused(answer: { status: number; headers: Headers; contentType?: string }, error: 'invalid_dpop_proof' | 'invalid_token'): void {
  expect(answer.status).toBe(401);
  expect(answer.headers.get('www-authenticate')).toContain(`error="${error}"`);
  expect(answer.headers.get('content-type')).toContain('application/problem+json');
}

describe('the activation challenge', () => {
  it('is 32 random bytes, valid 5 minutes, and used up by one activation whatever its outcome', async () => {
    clock.set(new Date());
    const answer = await post(h.host, 'v1/device/challenge', annToken, undefined, { raw: '' });
    expect(answer.status).toBe(200);
    const value = String(answer.body.challenge);
    expect(Buffer.from(value, 'base64url')).toHaveLength(32);
    expect(new Date(String(answer.body.expiresAt)).getTime()).toBe(clock.now().getTime() + 5 * 60_000);

    const key = await generateDeviceKey();
    const deviceId = await annDevice();
    const first = await post(h.host, 'v1/device/activate', annToken, { ...activation(deviceId, 'android'), deviceKey: key.publicJwk, challenge: value });
    expect(first.status).toBe(200);
    const again = await post(h.host, 'v1/device/activate', annToken, { ...activation(deviceId, 'android'), deviceKey: key.publicJwk, challenge: value });
    expect(again.status).toBe(400);
    expect(again.body.errors).toEqual([expect.objectContaining({ path: 'challenge' })]);
  });

  it('is used up by a refused activation too, and refused for another user', async () => {
    const value = await challenge();
    const key = await generateDeviceKey();
    const bensDevice = randomUUID();
    await seedDevice(h.tables, h.contoso, { deviceId: bensDevice, userId: id('ben') });
    const ben = await h.token(h.contoso, 'ben');
    const wrongUser = await post(h.host, 'v1/device/activate', ben, { ...activation(bensDevice), deviceKey: key.publicJwk, challenge: value });
    expect(wrongUser.status).toBe(400);

    // Another user's device (403) uses the challenge up too.
    const anns = await challenge();
    const refused = await post(h.host, 'v1/device/activate', annToken, { ...activation(bensDevice), deviceKey: key.publicJwk, challenge: anns });
    expect(refused.status).toBe(403);
    const reuse = await post(h.host, 'v1/device/activate', annToken, { ...activation(await annDevice()), deviceKey: key.publicJwk, challenge: anns });
    expect(reuse.status).toBe(400);

    const mine = await annDevice();
    // A request refused for its body after the challenge was presented: a private key member.
    const leaky = await post(h.host, 'v1/device/activate', annToken, { ...activation(mine), deviceKey: { ...key.publicJwk, d: key.publicJwk.x }, challenge: value });
    expect(leaky.status).toBe(400);
    expect(JSON.stringify(leaky.body.errors)).toContain('deviceKey');
    expect((await storedDevice(h.tables, h.contoso, mine)).status).toBe('pending');
  });

  it('expires after 5 minutes', async () => {
    clock.set(new Date());
    const value = await challenge();
    clock.set(new Date(Date.now() + 5 * 60_000 + 1_000));
    const key = await generateDeviceKey();
    const deviceId = await annDevice();
    const late = await post(h.host, 'v1/device/activate', annToken, { ...activation(deviceId), deviceKey: key.publicJwk, challenge: value });
    clock.set(new Date());
    expect(late.status).toBe(400);
    expect(JSON.stringify(late.body.errors)).toContain('expired');
    expect((await storedDevice(h.tables, h.contoso, deviceId)).status).toBe('pending');
  });

  it('is required with a device key', async () => {
    const key = await generateDeviceKey();
    const answer = await post(h.host, 'v1/device/activate', annToken, { ...activation(await annDevice()), deviceKey: key.publicJwk });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'challenge' })]);
  });
});

describe('key-bound credentials', () => {
  it('activates with a key: DPoP, the thumbprint on the row; heartbeats and reports carry proofs', async () => {
    clock.set(new Date());
    const deviceId = await annDevice();
    const agent = agentFor(deviceId);
    const activated = await agent.activate();
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ tokenType: 'DPoP', attestation: { status: 'absent' } });
    expect((await storedDevice(h.tables, h.contoso, deviceId)).keyThumbprint).toBe(agent.key?.jkt);

    const beat = await agent.heartbeat();
    expect(beat.body).toEqual({ heartbeatIntervalMinutes: 60 });
    const reported = await agent.report([{ id: 'p1', classification: 'PHISHING', detectedAt: new Date().toISOString() }]);
    expect(reported.status).toBe(202);
  });

  it('refuses the copied credential without the key: as Bearer, and with a proof of another key', async () => {
    const deviceId = await annDevice();
    const agent = agentFor(deviceId);
    expect((await agent.activate()).status).toBe(200);
    const before = await storedDevice(h.tables, h.contoso, deviceId);
    const token = String(agent.token);

    const asBearer = await post(h.host, 'v1/device/heartbeat', token, {});
    expectRefused(asBearer, 'invalid_dpop_proof');
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP /);

    const thief = await generateDeviceKey();
    const stolen = await fetch(`${h.host.url}/api/v1/device/threat-report`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `DPoP ${token}`,
        dpop: await dpopProof(thief, { htm: 'POST', htu: `${publicBaseUrl}/api/v1/device/threat-report`, ath: ath(token) }),
      },
      body: JSON.stringify({ reportId: randomUUID(), sequence: 1, observedAt: new Date().toISOString(), threats: [] }),
    });
    expectRefused(stolen, 'invalid_dpop_proof');
    const after = await storedDevice(h.tables, h.contoso, deviceId);
    expect(after.etag).toBe(before.etag);
  });

  it('refuses a replayed proof, a wrong method or URL, a stale iat and a wrong ath', async () => {
    const deviceId = await annDevice();
    const agent = agentFor(deviceId);
    expect((await agent.activate()).status).toBe(200);
    const token = String(agent.token);

    const headers = await agent.deviceHeaders('POST', 'v1/device/heartbeat');
    expect((await agent.send('v1/device/heartbeat', {}, headers)).status).toBe(200);
    expectRefused(await agent.send('v1/device/heartbeat', {}, headers), 'invalid_dpop_proof');

    const refusedWith = async (overrides: Parameters<ReferenceAgent['deviceHeaders']>[2]) =>
      agent.send('v1/device/heartbeat', {}, await agent.deviceHeaders('POST', 'v1/device/heartbeat', overrides));
    expectRefused(await refusedWith({ htm: 'GET' }), 'invalid_dpop_proof');
    expectRefused(await refusedWith({ htu: `${publicBaseUrl}/api/v1/device/threat-report` }), 'invalid_dpop_proof');
    expectRefused(await refusedWith({ iat: Math.floor(Date.now() / 1000) - 6 * 60 }), 'invalid_dpop_proof');
    expectRefused(await refusedWith({ ath: ath(`${token}x`) }), 'invalid_dpop_proof');
    const noProof = await agent.send('v1/device/heartbeat', {}, { 'content-type': 'application/json', authorization: `DPoP ${token}` });
    expectRefused(noProof, 'invalid_dpop_proof');
    // The agent itself is still served.
    expect((await agent.heartbeat()).status).toBe(200);
  });

  it('keeps the key through a silent rotation: the new credential needs the same key', async () => {
    const start = Date.now();
    clock.set(new Date(start));
    const deviceId = await annDevice();
    const agent = agentFor(deviceId);
    expect((await agent.activate()).status).toBe(200);
    const jkt = agent.key?.jkt;

    clock.set(new Date(start + 85 * day));
    const iat = Math.floor(clock.now().getTime() / 1000);
    const rotated = await agent.send('v1/device/heartbeat', {}, await agent.deviceHeaders('POST', 'v1/device/heartbeat', { iat }));
    expect(rotated.status).toBe(200);
    const fresh = String(rotated.body.deviceToken);
    expect(fresh).not.toBe(agent.token);
    const row = await storedDevice(h.tables, h.contoso, deviceId);
    expect(row.keyThumbprint).toBe(jkt);

    agent.token = fresh;
    expect((await agent.send('v1/device/heartbeat', {}, await agent.deviceHeaders('POST', 'v1/device/heartbeat', { iat }))).status).toBe(200);
    expectRefused(await post(h.host, 'v1/device/heartbeat', fresh, {}), 'invalid_dpop_proof');
    clock.set(new Date());
  });

  it('re-activation replaces the key: proofs of the old key are refused', async () => {
    clock.set(new Date());
    const deviceId = await annDevice();
    const agent = agentFor(deviceId);
    expect((await agent.activate()).status).toBe(200);
    const oldKey = agent.key;
    expect((await agent.activate()).status).toBe(200);
    expect(agent.key?.jkt).not.toBe(oldKey?.jkt);
    const token = String(agent.token);
    const withOldKey = await agent.send('v1/device/heartbeat', {}, {
      'content-type': 'application/json',
      authorization: `DPoP ${token}`,
      dpop: await dpopProof(oldKey!, { htm: 'POST', htu: `${publicBaseUrl}/api/v1/device/heartbeat`, ath: ath(token) }),
    });
    expectRefused(withOldKey, 'invalid_dpop_proof');
  });
});

describe('bearer devices and the service\'s classifications', () => {
  it('keeps serving a device activated without a key while key binding is optional, and refuses a proof for it', async () => {
    const deviceId = await annDevice();
    const agent = agentFor(deviceId, 'bearer');
    const activated = await agent.activate();
    expect(activated.status).toBe(200);
    expect(activated.body.tokenType).toBe('Bearer');
    expect((await storedDevice(h.tables, h.contoso, deviceId)).keyThumbprint).toBeUndefined();
    expect((await agent.report()).status).toBe(202);

    const token = String(agent.token);
    const key = await generateDeviceKey();
    const asDpop = await agent.send('v1/device/heartbeat', {}, {
      'content-type': 'application/json',
      authorization: `DPoP ${token}`,
      dpop: await dpopProof(key, { htm: 'POST', htu: `${publicBaseUrl}/api/v1/device/heartbeat`, ath: ath(token) }),
    });
    expectRefused(asDpop, 'invalid_token');
  });

  it('refuses an agent report naming DEVICE_INTEGRITY_FAILED or DEVICE_INTEGRITY_UNVERIFIED (400, naming the field)', async () => {
    const deviceId = await annDevice();
    const agent = agentFor(deviceId);
    expect((await agent.activate()).status).toBe(200);
    for (const classification of ['DEVICE_INTEGRITY_FAILED', 'DEVICE_INTEGRITY_UNVERIFIED']) {
      const answer = await agent.report([{ id: 'x', classification, detectedAt: new Date().toISOString() }]);
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([expect.objectContaining({ path: 'threats.0.classification' })]);
    }
    const reserved = await agent.report([{ id: 'service:mine', classification: 'PHISHING', detectedAt: new Date().toISOString() }]);
    expect(reserved.status).toBe(400);
    expect((await storedDevice(h.tables, h.contoso, deviceId)).lastSequence).toBe(-1);
  });
});

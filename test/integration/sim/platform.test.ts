/**
 * The simulator playing the phone's platform over HTTPS: what its routes issue verifies against the roots the
 * service is told to trust, each flaw fails its step, and its status list is what the service reads.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePlatformAuthority, revokedAttestationSerial } from '../../../dev/sim/platform.js';
import type { Simulator } from '../../../dev/sim/server.js';
import { startSimulator } from '../../../dev/sim/server.js';
import { loadDefaultScenario } from '../../../dev/sim/scenario.js';
import { createAttestationVerifier } from '../../../shared/attestation/index.js';
import { parseConfig } from '../../../shared/base/config.js';
import { simSettings, testPlatform, tlsFiles } from '../../support/simClient.js';
import { control } from './simFixture.js';

let sim: Simulator;

beforeAll(async () => {
  const platform = await testPlatform();
  if (!platform) throw new Error('TEST_PLATFORM_DIR comes from test/support/globalSetup.ts');
  sim = await startSimulator({ ...tlsFiles(), scenario: await loadDefaultScenario(), platform });
});
afterAll(async () => {
  await sim.close();
});

/** A service's verifier with the settings tests give a service talking to this simulator. */
function verifier() {
  return createAttestationVerifier(parseConfig({ ...simSettings(sim.url), AzureWebJobsStorage: 'UseDevelopmentStorage=true' }));
}

async function device() {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const deviceKey = publicKey.export({ format: 'jwk' }) as JWK;
  const jkt = await calculateJwkThumbprint(deviceKey, 'sha256');
  const challenge = `challenge-${jkt.slice(0, 8)}`;
  return { deviceKey, jkt, challenge, clientDataHash: createHash('sha256').update(`${challenge}.${jkt}`).digest('base64') };
}

describe('/_sim/platform', () => {
  it('issues an Android key attestation chain that verifies, and one with a flaw that fails its step', async () => {
    const d = await device();
    const good = await control(sim, 'POST', '/_sim/platform/android/key-attestation', { challenge: d.challenge, publicKeyJwk: d.deviceKey });
    expect(good.status).toBe(200);
    const { certificateChain } = good.body as { certificateChain: string[] };
    expect(certificateChain).toHaveLength(3);
    const v = verifier();
    expect(await v.verify({ format: 'android-key', certificateChain }, d, new Date())).toMatchObject({ status: 'verified', securityLevel: 'TrustedEnvironment' });

    const unlocked = await control(sim, 'POST', '/_sim/platform/android/key-attestation', {
      challenge: d.challenge,
      publicKeyJwk: d.deviceKey,
      flaws: ['unlocked-bootloader'],
    });
    const chain = (unlocked.body as { certificateChain: string[] }).certificateChain;
    expect(await v.verify({ format: 'android-key', certificateChain: chain }, d, new Date())).toMatchObject({ status: 'failed', reason: 'the bootloader is unlocked' });
  });

  it('serves the revocation list in Google format, naming what the revoked flaw issues under', async () => {
    const list = await control(sim, 'GET', '/_sim/platform/android/attestation-status');
    expect(list).toEqual({ status: 200, body: { entries: { [revokedAttestationSerial]: { status: 'REVOKED', reason: 'KEY_COMPROMISE' } } } });
    const d = await device();
    const revoked = await control(sim, 'POST', '/_sim/platform/android/key-attestation', { challenge: d.challenge, publicKeyJwk: d.deviceKey, flaws: ['revoked'] });
    const chain = (revoked.body as { certificateChain: string[] }).certificateChain;
    expect(await verifier().verify({ format: 'android-key', certificateChain: chain }, d, new Date())).toMatchObject({
      status: 'failed',
      reason: `certificate ${revokedAttestationSerial} is revoked (KEY_COMPROMISE)`,
    });
  });

  it('issues an App Attest object that verifies, and one for another App ID that fails', async () => {
    const d = await device();
    const v = verifier();
    const good = await control(sim, 'POST', '/_sim/platform/apple/app-attest', { clientDataHash: d.clientDataHash });
    expect(good.status).toBe(200);
    const issued = good.body as { keyId: string; attestationObject: string };
    expect(await v.verify({ format: 'apple-app-attest', ...issued }, d, new Date())).toMatchObject({ status: 'verified', securityLevel: 'SecureEnclave' });
    const other = await control(sim, 'POST', '/_sim/platform/apple/app-attest', { clientDataHash: d.clientDataHash, flaws: ['wrong-app-id'] });
    expect(await v.verify({ format: 'apple-app-attest', ...(other.body as typeof issued) }, d, new Date())).toMatchObject({
      status: 'failed',
      reason: 'rpIdHash does not match an allowed App ID',
    });
  });

  it('answers 400 to a body it cannot use', async () => {
    const d = await device();
    expect((await control(sim, 'POST', '/_sim/platform/android/key-attestation', { challenge: d.challenge, publicKeyJwk: d.deviceKey, flaws: ['bogus'] })).status).toBe(400);
    expect((await control(sim, 'POST', '/_sim/platform/apple/app-attest', { clientDataHash: 'c2hvcnQ=' })).status).toBe(400);
  });

  it('keeps its roots across restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-platform-'));
    try {
      const first = await ensurePlatformAuthority(dir);
      const second = await ensurePlatformAuthority(dir);
      expect(second.androidRootsPem).toBe(first.androidRootsPem);
      expect(second.appleRootsPem).toBe(first.appleRootsPem);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The revocation status list: fetched once for many verifications, refreshed after 24 h, the last good copy kept
 * when a refresh fails, and no Android attestation verified before a first copy was obtained.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { androidAttestationStatus, issueAndroidKeyAttestation, revokedAttestationSerial } from '../../../dev/sim/platform.js';
import { createAttestationVerifier } from '../../../shared/attestation/index.js';
import { newDevice, settingsFor, simAuthority, statusFetch } from './fixtures.js';

const HOUR = 3600 * 1000;

async function attest(revoked = false) {
  const device = await newDevice();
  const { certificateChain } = await issueAndroidKeyAttestation(await simAuthority(), {
    challenge: device.challenge,
    publicKeyJwk: device.deviceKey,
    flaws: revoked ? ['revoked'] : [],
  });
  return { input: { format: 'android-key' as const, certificateChain }, device };
}

describe('attestation status list', () => {
  let server: Server;
  let requests = 0;
  let url = '';
  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(androidAttestationStatus()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/attestation/status`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads the list over HTTP and refuses a chain with a revoked serial', async () => {
    const verifier = createAttestationVerifier(settingsFor(await simAuthority(), { ANDROID_ATTESTATION_STATUS_URL: url }));
    const revoked = await attest(true);
    expect(await verifier.verify(revoked.input, revoked.device, new Date())).toEqual({
      format: 'android-key',
      status: 'failed',
      reason: `certificate ${revokedAttestationSerial} is revoked (KEY_COMPROMISE)`,
    });
    const good = await attest();
    expect(await verifier.verify(good.input, good.device, new Date())).toMatchObject({ status: 'verified' });
    expect(requests).toBe(1);
  });

  it('fetches once for many verifications, also concurrent ones, and again after 24 hours', async () => {
    const status = statusFetch();
    const verifier = createAttestationVerifier(settingsFor(await simAuthority()), { fetch: status.fetch });
    const attestations = await Promise.all(Array.from({ length: 5 }, () => attest()));
    const start = new Date();
    const verdicts = await Promise.all(attestations.map(({ input, device }) => verifier.verify(input, device, start)));
    expect(verdicts.every((v) => v.status === 'verified')).toBe(true);
    expect(status.calls()).toBe(1);
    const later = attestations[0]!;
    await verifier.verify(later.input, later.device, new Date(start.getTime() + 23 * HOUR));
    expect(status.calls()).toBe(1);
    await verifier.verify(later.input, later.device, new Date(start.getTime() + 25 * HOUR));
    expect(status.calls()).toBe(2);
  });

  it('keeps the last good copy when a refresh fails', async () => {
    const status = statusFetch();
    const verifier = createAttestationVerifier(settingsFor(await simAuthority()), { fetch: status.fetch });
    const start = new Date();
    const revoked = await attest(true);
    expect(await verifier.verify(revoked.input, revoked.device, start)).toMatchObject({ status: 'failed' });
    status.fail(true);
    const dayLater = new Date(start.getTime() + 25 * HOUR);
    // The refresh fails: the revoked serial is still known, and a good chain still verifies.
    expect(await verifier.verify(revoked.input, revoked.device, dayLater)).toMatchObject({
      status: 'failed',
      reason: `certificate ${revokedAttestationSerial} is revoked (KEY_COMPROMISE)`,
    });
    const good = await attest();
    expect(await verifier.verify(good.input, good.device, dayLater)).toMatchObject({ status: 'verified' });
    expect(status.calls()).toBe(2);
  });

  it('verifies no Android attestation until a first copy is obtained, retrying at most once a minute', async () => {
    const status = statusFetch();
    status.fail(true);
    const verifier = createAttestationVerifier(settingsFor(await simAuthority()), { fetch: status.fetch });
    const good = await attest();
    const start = new Date();
    expect(await verifier.verify(good.input, good.device, start)).toEqual({
      format: 'android-key',
      status: 'failed',
      reason: 'the attestation status list could not be obtained',
    });
    expect(await verifier.verify(good.input, good.device, new Date(start.getTime() + 10_000))).toMatchObject({ status: 'failed' });
    expect(status.calls()).toBe(1);
    status.fail(false);
    expect(await verifier.verify(good.input, good.device, new Date(start.getTime() + 61_000))).toMatchObject({ status: 'verified' });
    expect(status.calls()).toBe(2);
  });
});

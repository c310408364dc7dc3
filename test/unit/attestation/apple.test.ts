/**
 * Apple App Attest: a valid attestation object verifies, and each of Apple's validation steps, made wrong alone,
 * fails with a reason naming that step.
 */
import { createHash } from 'node:crypto';
import { decode, encode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { issueAppleAppAttestation, type AppleFlaw } from '../../../dev/sim/platform.js';
import { newDevice, simVerifier } from './fixtures.js';

async function verdictWith(flaws: AppleFlaw[], overrides: Parameters<typeof simVerifier>[0] = {}) {
  const { verifier, roots } = await simVerifier(overrides);
  const device = await newDevice();
  const issued = await issueAppleAppAttestation(roots, { clientDataHash: device.clientDataHash, flaws });
  return verifier.verify({ format: 'apple-app-attest', ...issued }, device, new Date());
}

describe('Apple App Attest', () => {
  it('verifies an attestation of the agent app bound to the challenge and the device key', async () => {
    expect(await verdictWith([])).toEqual({ format: 'apple-app-attest', status: 'verified', securityLevel: 'SecureEnclave' });
  });

  const steps: [AppleFlaw, string][] = [
    ['foreign-root', 'the chain does not end at a trusted root'],
    ['nonce-mismatch', 'the nonce does not match'],
    ['wrong-key-id', "keyId is not the credential key's hash"],
    ['wrong-app-id', 'rpIdHash does not match an allowed App ID'],
    ['nonzero-counter', 'the counter is not 0'],
    ['wrong-aaguid', 'the AAGUID is not appattest'],
    ['development', 'the AAGUID is not appattest'],
  ];
  for (const [flaw, reason] of steps) {
    it(`fails with ${flaw}`, async () => {
      expect(await verdictWith([flaw])).toEqual({ format: 'apple-app-attest', status: 'failed', reason });
    });
  }

  it('accepts the development AAGUID only when the environment is development', async () => {
    expect(await verdictWith(['development'], { APPLE_APP_ATTEST_ENVIRONMENT: 'development' })).toMatchObject({ status: 'verified' });
    expect(await verdictWith([], { APPLE_APP_ATTEST_ENVIRONMENT: 'development' })).toMatchObject({
      status: 'failed',
      reason: 'the AAGUID is not appattestdevelop',
    });
  });

  it('fails when the attestation was made for another challenge or another device key', async () => {
    const { verifier, roots } = await simVerifier();
    const device = await newDevice();
    const issued = await issueAppleAppAttestation(roots, { clientDataHash: device.clientDataHash });
    const otherDevice = await newDevice(device.challenge);
    expect(await verifier.verify({ format: 'apple-app-attest', ...issued }, { ...device, challenge: `${device.challenge}x` }, new Date())).toMatchObject({
      reason: 'the nonce does not match',
    });
    expect(await verifier.verify({ format: 'apple-app-attest', ...issued }, { ...device, jkt: otherDevice.jkt }, new Date())).toMatchObject({
      reason: 'the nonce does not match',
    });
  });

  it('fails when the credential id in the authenticator data is not the keyId', async () => {
    const { verifier, roots } = await simVerifier();
    const device = await newDevice();
    const issued = await issueAppleAppAttestation(roots, { clientDataHash: device.clientDataHash });
    // Another attestation's keyId: the hash check passes only for its own credential certificate.
    const other = await issueAppleAppAttestation(roots, { clientDataHash: device.clientDataHash });
    const verdict = await verifier.verify({ format: 'apple-app-attest', keyId: other.keyId, attestationObject: issued.attestationObject }, device, new Date());
    expect(verdict).toMatchObject({ status: 'failed', reason: "keyId is not the credential key's hash" });
  });

  it('fails with a broken signature in the x5c chain', async () => {
    const { verifier, roots } = await simVerifier();
    const device = await newDevice();
    const issued = await issueAppleAppAttestation(roots, { clientDataHash: device.clientDataHash });
    const object = decode(Buffer.from(issued.attestationObject, 'base64')) as { attStmt: { x5c: Uint8Array[] } };
    const credCert = Buffer.from(object.attStmt.x5c[0]!);
    credCert[credCert.length - 5] = (credCert[credCert.length - 5] ?? 0) ^ 0xff; // inside the signature
    object.attStmt.x5c[0] = credCert;
    const verdict = await verifier.verify({ format: 'apple-app-attest', keyId: issued.keyId, attestationObject: Buffer.from(encode(object)).toString('base64') }, device, new Date());
    expect(verdict).toMatchObject({ status: 'failed', reason: 'the chain is broken: certificate 0 is not signed by certificate 1' });
  });

  it('answers malformed objects with a failed verdict instead of throwing', async () => {
    const { verifier } = await simVerifier();
    const device = await newDevice();
    const keyId = createHash('sha256').update('k').digest('base64');
    const cases: [string, string][] = [
      [Buffer.from([0xff, 0xff, 0x00]).toString('base64'), 'the attestation object is not CBOR'],
      [Buffer.from(encode({ fmt: 'packed', attStmt: {}, authData: Buffer.alloc(60) })).toString('base64'), 'the attestation format is not apple-appattest'],
      [Buffer.from(encode({ fmt: 'apple-appattest', attStmt: { x5c: [] }, authData: Buffer.alloc(60) })).toString('base64'), 'the attestation statement has no certificate chain'],
    ];
    for (const [attestationObject, reason] of cases) {
      const verdict = await verifier.verify({ format: 'apple-app-attest', keyId, attestationObject }, device, new Date());
      expect(verdict).toEqual({ format: 'apple-app-attest', status: 'failed', reason });
    }
  });
});

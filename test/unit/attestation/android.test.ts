/**
 * Android key attestation: a valid chain verifies, and each of Google's verification steps, made wrong alone,
 * fails with a reason naming that step.
 */
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { id_ce_keyDescription } from '@peculiar/asn1-android';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { issueAndroidKeyAttestation, revokedAttestationSerial, type AndroidFlaw } from '../../../dev/sim/platform.js';
import { newDevice, simVerifier } from './fixtures.js';

async function verdictWith(flaws: AndroidFlaw[], overrides: Parameters<typeof simVerifier>[0] = {}) {
  const { verifier, roots } = await simVerifier(overrides);
  const device = await newDevice();
  const { certificateChain } = await issueAndroidKeyAttestation(roots, { challenge: device.challenge, publicKeyJwk: device.deviceKey, flaws });
  return verifier.verify({ format: 'android-key', certificateChain }, device, new Date());
}

describe('Android key attestation', () => {
  it('verifies a hardware-backed key of the agent app on a locked, verified device', async () => {
    expect(await verdictWith([])).toEqual({ format: 'android-key', status: 'verified', securityLevel: 'TrustedEnvironment' });
  });

  const steps: [AndroidFlaw, RegExp][] = [
    ['foreign-root', /the chain does not end at a trusted root/],
    ['broken-chain', /the chain is broken: certificate 0 is not signed by certificate 1/],
    ['revoked', new RegExp(`certificate ${revokedAttestationSerial} is revoked`)],
    ['wrong-challenge', /the attestation challenge does not match/],
    ['software-level', /the key is not hardware-backed \(Software\)/],
    ['unverified-boot', /verified boot state is Unverified/],
    ['unlocked-bootloader', /the bootloader is unlocked/],
    ['wrong-package', /package com\.example\.repackaged is not an allowed agent package/],
    ['wrong-signer', /the app's signing certificate is not allowed/],
    ['other-key', /the attested key is not the device key/],
  ];
  for (const [flaw, reason] of steps) {
    it(`fails with ${flaw}`, async () => {
      const verdict = await verdictWith([flaw]);
      expect(verdict.status).toBe('failed');
      expect(verdict.reason).toMatch(reason);
    });
  }

  it('accepts the allowed signer digest written with colons and upper case in the settings', async () => {
    const { simAgentIdentity } = await import('../../../dev/sim/platform.js');
    const { parseConfig } = await import('../../../shared/base/config.js');
    const colons = simAgentIdentity.androidSignerSha256.toUpperCase().match(/../g)!.join(':');
    const config = parseConfig({
      SENDGRID_API_KEY: 'SG.x',
      MAIL_FROM: 'a@example.com',
      CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
      CONNECTOR_CLIENT_SECRET: 'secret',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      ANDROID_APP_SIGNER_SHA256: `0000000000000000000000000000000000000000000000000000000000000000, ${colons}`,
    });
    expect(await verdictWith([], { ANDROID_APP_SIGNER_SHA256: config.ANDROID_APP_SIGNER_SHA256 })).toMatchObject({ status: 'verified' });
  });

  it('fails when the package is allowed but no allowed package is configured', async () => {
    const verdict = await verdictWith([], { ANDROID_APP_PACKAGES: [] });
    expect(verdict).toMatchObject({ status: 'failed', reason: 'package com.mtdconnector.agent is not an allowed agent package' });
  });

  it('fails with a certificate that is not valid at the verification time', async () => {
    const { verifier, roots } = await simVerifier();
    const device = await newDevice();
    const { certificateChain } = await issueAndroidKeyAttestation(roots, { challenge: device.challenge, publicKeyJwk: device.deviceKey });
    const verdict = await verifier.verify({ format: 'android-key', certificateChain }, device, new Date(Date.now() + 400 * 24 * 3600 * 1000));
    expect(verdict).toMatchObject({ status: 'failed' });
    expect(verdict.reason).toMatch(/is not valid at/);
  });

  it('refuses a chain that goes on past the attested key', async () => {
    // Whoever holds an attested key can sign a certificate below it with a key description of their choosing; only
    // the description nearest the root is the hardware's.
    const { verifier, roots } = await simVerifier();
    const device = await newDevice();
    const { certificateChain } = await issueAndroidKeyAttestation(roots, { challenge: device.challenge, publicKeyJwk: device.deviceKey });
    const attested = new x509.X509Certificate(Buffer.from(certificateChain[0]!, 'base64'));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signingKey = await webcrypto.subtle.importKey('pkcs8', device.privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const extended = await x509.X509CertificateGenerator.create({
      serialNumber: '02',
      subject: 'CN=Extended',
      issuer: attested.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 24 * 3600 * 1000),
      publicKey: other.publicKey.export({ type: 'spki', format: 'der' }),
      signingKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [attested.getExtension(id_ce_keyDescription)!],
    });
    const chain = [Buffer.from(extended.rawData).toString('base64'), ...certificateChain];
    const verdict = await verifier.verify({ format: 'android-key', certificateChain: chain }, { ...device, deviceKey: other.publicKey.export({ format: 'jwk' }) }, new Date());
    expect(verdict).toMatchObject({ status: 'failed', reason: 'the chain extends past the attested key (a key description above the leaf)' });
  });

  it('answers malformed input with a failed verdict instead of throwing', async () => {
    const { verifier } = await simVerifier();
    const device = await newDevice();
    const notDer = Buffer.from('not a certificate at all, just text long enough').toString('base64');
    const verdict = await verifier.verify({ format: 'android-key', certificateChain: [notDer, notDer] }, device, new Date());
    expect(verdict).toEqual({ format: 'android-key', status: 'failed', reason: 'certificate 0 is not a valid DER certificate' });
  });
});

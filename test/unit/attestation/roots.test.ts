/** The trust anchors shipped with the service, and roots given by the settings (inline PEM or a file). */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { issueAndroidKeyAttestation } from '../../../dev/sim/platform.js';
import { createAttestationVerifier } from '../../../shared/attestation/index.js';
import { appleAppAttestationRootPem, googleHardwareAttestationRootsPem } from '../../../shared/attestation/shippedRoots.js';
import { newDevice, settingsFor, simAuthority, statusFetch } from './fixtures.js';

const rootsDir = join(import.meta.dirname, '../../../shared/attestation/roots');

function certificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block));
}

describe('shipped roots', () => {
  it('embeds exactly the PEM files of shared/attestation/roots', async () => {
    expect(googleHardwareAttestationRootsPem).toBe(await readFile(join(rootsDir, 'google-hardware-attestation-roots.pem'), 'utf8'));
    expect(appleAppAttestationRootPem).toBe(await readFile(join(rootsDir, 'apple-app-attestation-root-ca.pem'), 'utf8'));
  });

  it("are Google's and Apple's published, self-signed roots", () => {
    const google = certificates(googleHardwareAttestationRootsPem);
    expect(google.map((c) => [c.subject.replace(/\n/g, ', '), c.fingerprint256])).toEqual([
      ['serialNumber=f92009e853b6b045', 'CE:DB:1C:B6:DC:89:6A:E5:EC:79:73:48:BC:E9:28:67:53:C2:B3:8E:E7:1C:E0:FB:E3:4A:9A:12:48:80:0D:FC'],
      ['CN=Key Attestation CA1, OU=Android, O=Google LLC, C=US', '6D:9D:B4:CE:6C:5C:0B:29:31:66:D0:89:86:E0:57:74:A8:77:6C:EB:52:5D:9E:43:29:52:0D:E1:2B:A4:BC:C0'],
    ]);
    const apple = certificates(appleAppAttestationRootPem);
    expect(apple.map((c) => [c.subject.replace(/\n/g, ', '), c.fingerprint256])).toEqual([
      ['CN=Apple App Attestation Root CA, O=Apple Inc., ST=California', '1C:B9:82:3B:A2:8B:A6:AD:2D:33:A0:06:94:1D:E2:AE:4F:51:3E:F1:D4:E8:31:B9:F7:E0:FA:7B:62:42:C9:32'],
    ]);
    for (const cert of [...google, ...apple]) {
      expect(cert.ca).toBe(true);
      expect(cert.verify(cert.publicKey)).toBe(true);
    }
    // Google's published attestation root public key (RSA 4096).
    expect(google[0]!.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')).toMatch(/^MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAr7bHgiuxpwHsK7Qui8xU/);
  });

  it('are what the verifier trusts when no roots are configured: a simulator chain does not verify', async () => {
    const device = await newDevice();
    const { certificateChain } = await issueAndroidKeyAttestation(await simAuthority(), { challenge: device.challenge, publicKeyJwk: device.deviceKey });
    const verifier = createAttestationVerifier(settingsFor(await simAuthority(), { ATTESTATION_ANDROID_ROOTS: undefined }), { fetch: statusFetch().fetch });
    expect(await verifier.verify({ format: 'android-key', certificateChain }, device, new Date())).toMatchObject({
      status: 'failed',
      reason: 'the chain does not end at a trusted root',
    });
  });
});

describe('configured roots', () => {
  it('reads a PEM file named by the setting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attestation-roots-'));
    try {
      const file = join(dir, 'roots.pem');
      await writeFile(file, (await simAuthority()).androidRootsPem);
      const device = await newDevice();
      const { certificateChain } = await issueAndroidKeyAttestation(await simAuthority(), { challenge: device.challenge, publicKeyJwk: device.deviceKey });
      const verifier = createAttestationVerifier(settingsFor(await simAuthority(), { ATTESTATION_ANDROID_ROOTS: file }), { fetch: statusFetch().fetch });
      expect(await verifier.verify({ format: 'android-key', certificateChain }, device, new Date())).toMatchObject({ status: 'verified' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails verdicts (and does not throw) when the configured roots cannot be read', async () => {
    const device = await newDevice();
    const { certificateChain } = await issueAndroidKeyAttestation(await simAuthority(), { challenge: device.challenge, publicKeyJwk: device.deviceKey });
    const errors: string[] = [];
    const verifier = createAttestationVerifier(settingsFor(await simAuthority(), { ATTESTATION_ANDROID_ROOTS: '/nonexistent/roots.pem' }), {
      fetch: statusFetch().fetch,
      log: { info: () => undefined, warn: () => undefined, error: (line) => errors.push(line) },
    });
    expect(await verifier.verify({ format: 'android-key', certificateChain }, device, new Date())).toMatchObject({
      status: 'failed',
      reason: 'the trusted roots cannot be loaded',
    });
    expect(errors).toHaveLength(1);
  });
});

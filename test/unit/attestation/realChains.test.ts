/**
 * Real devices' attestations (test/unit/attestation/fixtures/README.md): the verifier reads data in Google's and
 * Apple's formats that it did not make itself. A chain ending at Google's 2016 root certificate verifies against the
 * shipped roots (same key), its key description parses, and verification stops at the first step the development
 * device fails; a real App Attest object chains to Apple's shipped root and stops at the nonce (its client data is
 * not this service's binding).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { verifyAttestationObject } from '../../../shared/attestation/apple.js';
import { shippedAppleRoots } from '../../../shared/attestation/roots.js';
import { createAttestationVerifier } from '../../../shared/attestation/index.js';
import { newDevice, settingsFor, simAuthority } from './fixtures.js';

const fixtures = join(import.meta.dirname, 'fixtures');

function chain(file: string): string[] {
  const pem = readFileSync(join(fixtures, file), 'utf8');
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) =>
    block.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''),
  );
}

/** A status list in Google's format (the documented example entries, plus `extra`). */
function statusList(extra: Record<string, { status: string; reason?: string }> = {}): typeof fetch {
  const body = {
    entries: {
      '2c8cdddfd5e03bfc': { status: 'REVOKED', expires: '2020-11-13', reason: 'KEY_COMPROMISE', comment: 'Key stored on unsecure system' },
      c8966fcb2fbb0d7a: { status: 'SUSPENDED', reason: 'SOFTWARE_FLAW', comment: 'Bug in keystore causes this key malfunction b/555555' },
      ...extra,
    },
  };
  return (() => Promise.resolve(new Response(JSON.stringify(body))));
}

const when = new Date('2020-06-01T00:00:00Z');

async function verify(file: string, options: { challenge?: string; roots?: string; extra?: Record<string, { status: string; reason?: string }> } = {}) {
  const device = await newDevice(options.challenge ?? 'abc');
  const verifier = createAttestationVerifier(
    settingsFor(await simAuthority(), { ATTESTATION_ANDROID_ROOTS: options.roots }),
    { fetch: statusList(options.extra) },
  );
  return verifier.verify({ format: 'android-key', certificateChain: chain(file) }, device, when);
}

describe('real Android attestation chains', () => {
  it("chain to Google's shipped root and stop at the development device's unverified boot", async () => {
    expect(await verify('google-sample-tee-chain.pem')).toEqual({ format: 'android-key', status: 'failed', reason: 'verified boot state is Unverified' });
  });

  it("still chain to the shipped root once the 2016 root certificate they end with has expired (the key is trusted)", async () => {
    const device = await newDevice('abc');
    const verifier = createAttestationVerifier(settingsFor(await simAuthority(), { ATTESTATION_ANDROID_ROOTS: undefined }), { fetch: statusList() });
    const afterRootExpiry = new Date('2027-01-01T00:00:00Z');
    expect(await verifier.verify({ format: 'android-key', certificateChain: chain('google-sample-tee-chain.pem') }, device, afterRootExpiry)).toMatchObject({
      reason: 'verified boot state is Unverified',
    });
  });

  it('read the real challenge', async () => {
    expect(await verify('google-sample-tee-chain.pem', { challenge: 'abd' })).toMatchObject({ reason: 'the attestation challenge does not match' });
  });

  it('are refused when an intermediate is revoked in the status list', async () => {
    expect(await verify('google-sample-tee-chain.pem', { extra: { '13206311789638820911': { status: 'REVOKED', reason: 'KEY_COMPROMISE' } } })).toMatchObject({
      reason: 'certificate 13206311789638820911 is revoked (KEY_COMPROMISE)',
    });
  });

  it("refuse a chain from another root, and read it once that root is configured", async () => {
    expect(await verify('google-sample-strongbox-chain.pem')).toMatchObject({ reason: 'the chain does not end at a trusted root' });
    const ownRoot = chain('google-sample-strongbox-chain.pem').at(-1)!;
    const pem = `-----BEGIN CERTIFICATE-----\n${ownRoot.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    expect(await verify('google-sample-strongbox-chain.pem', { roots: pem })).toMatchObject({ reason: 'verified boot state is Unverified' });
  });
});

describe('a real App Attest attestation', () => {
  const sample = JSON.parse(readFileSync(join(fixtures, 'ios-14.4-app-attest.json'), 'utf8')) as {
    appId: string;
    clientDataBase64: string;
    keyIdBase64: string;
    timestamp: string;
    attestationObjectBase64: string;
  };
  const input = { format: 'apple-app-attest' as const, keyId: sample.keyIdBase64, attestationObject: sample.attestationObjectBase64 };

  async function verifyAt(at: Date, roots?: string) {
    const verifier = createAttestationVerifier(
      settingsFor(await simAuthority(), { ATTESTATION_APPLE_ROOTS: roots, APPLE_APP_IDS: [sample.appId], APPLE_APP_ATTEST_ENVIRONMENT: 'development' }),
    );
    return verifier.verify(input, await newDevice(), at);
  }

  it("chains to Apple's shipped root and stops at the nonce", async () => {
    expect(await verifyAt(new Date(sample.timestamp))).toEqual({ format: 'apple-app-attest', status: 'failed', reason: 'the nonce does not match' });
  });

  it("is refused under the simulator's roots, and once its credential certificate has expired", async () => {
    expect(await verifyAt(new Date(sample.timestamp), (await simAuthority()).appleRootsPem)).toMatchObject({ reason: 'the chain does not end at a trusted root' });
    expect((await verifyAt(new Date('2026-01-01T00:00:00Z'))).reason).toMatch(/^certificate [0-9a-f]+ is not valid at 2026-01-01/);
  });

  it("passes every one of Apple's steps with the client data it was made for", () => {
    const clientDataHash = createHash('sha256').update(Buffer.from(sample.clientDataBase64, 'base64')).digest();
    const policy = { roots: shippedAppleRoots(), appIds: [sample.appId], environment: 'development' as const };
    const at = new Date(sample.timestamp);
    expect(verifyAttestationObject(input, clientDataHash, policy, at)).toEqual({ securityLevel: 'SecureEnclave' });
    // The same object, judged for production or for another app, fails at its step.
    expect(() => verifyAttestationObject(input, clientDataHash, { ...policy, environment: 'production' }, at)).toThrow('the AAGUID is not appattest');
    expect(() => verifyAttestationObject(input, clientDataHash, { ...policy, appIds: ['6MURL8TA57.com.example.other'] }, at)).toThrow(
      'rpIdHash does not match an allowed App ID',
    );
  });
});

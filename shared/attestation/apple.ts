/**
 * Apple App Attest, following Apple's "Validating apps that connect to your server" (attestation object steps 1–9).
 * The receipt is not evaluated: it serves Apple's fraud-metric service, which this check does not call.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { decode } from 'cborg';
import type { JWK } from 'jose';
import { parseCertificate, verifyChain } from './certificates.js';
import { fail } from './failure.js';

export interface ApplePolicy {
  roots: readonly X509Certificate[];
  appIds: readonly string[];
  environment: 'production' | 'development';
}

/** The App Attest nonce extension. */
export const appleNonceOid = '1.2.840.113635.100.8.2';

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export const aaguids = {
  production: Buffer.concat([Buffer.from('appattest', 'ascii'), Buffer.alloc(7)]),
  development: Buffer.from('appattestdevelop', 'ascii'),
} as const;

/** Reads one DER element (tag, contents) at `offset`. */
function derElement(bytes: Uint8Array, offset: number): { tag: number; start: number; end: number } {
  const tag = bytes[offset];
  let length = bytes[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated');
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 3) throw new Error('bad length');
    length = 0;
    for (let i = 0; i < count; i += 1) length = (length << 8) | (bytes[start + i] ?? 0);
    start += count;
  }
  if (start + length > bytes.length) throw new Error('truncated');
  return { tag, start, end: start + length };
}

/** The nonce in the credCert extension: SEQUENCE { [1] EXPLICIT OCTET STRING }. */
function extensionNonce(value: Uint8Array): Buffer {
  try {
    const sequence = derElement(value, 0);
    if (sequence.tag !== 0x30) throw new Error('not a sequence');
    const tagged = derElement(value, sequence.start);
    if (tagged.tag !== 0xa1) throw new Error('not [1]');
    const octets = derElement(value, tagged.start);
    if (octets.tag !== 0x04) throw new Error('not an octet string');
    return Buffer.from(value.subarray(octets.start, octets.end));
  } catch {
    fail('the nonce extension cannot be parsed');
  }
}

function asBytes(value: unknown): Buffer | undefined {
  return value instanceof Uint8Array ? Buffer.from(value) : undefined;
}

/** The agent's clientDataHash: SHA-256(UTF-8 of challenge + "." + jkt), binding the device key to the attested app. */
export function agentClientDataHash(expected: { challenge: string; jkt: string }): Buffer {
  return sha256(Buffer.from(`${expected.challenge}.${expected.jkt}`, 'utf8'));
}

export function verifyAppleAppAttest(
  input: { keyId: string; attestationObject: string },
  expected: { challenge: string; jkt: string; deviceKey: JWK },
  policy: ApplePolicy,
  now: Date,
): { securityLevel: string } {
  return verifyAttestationObject(input, agentClientDataHash(expected), policy, now);
}

/** Apple's steps for an attestation object made with `clientDataHash`. */
export function verifyAttestationObject(
  input: { keyId: string; attestationObject: string },
  clientDataHash: Buffer,
  policy: ApplePolicy,
  now: Date,
): { securityLevel: string } {
  let object: { fmt?: unknown; attStmt?: { x5c?: unknown; receipt?: unknown }; authData?: unknown };
  try {
    object = decode(Buffer.from(input.attestationObject, 'base64')) as typeof object;
  } catch {
    fail('the attestation object is not CBOR');
  }
  if (typeof object !== 'object' || object === null || object.fmt !== 'apple-appattest') fail('the attestation format is not apple-appattest');
  const x5c = Array.isArray(object.attStmt?.x5c) ? object.attStmt.x5c.map(asBytes) : [];
  const authData = asBytes(object.authData);
  if (x5c.length < 2 || x5c.length > 10 || x5c.some((cert) => cert === undefined)) fail('the attestation statement has no certificate chain');
  if (!authData || authData.length < 55) fail('the authenticator data is truncated');

  // 1. credCert and the intermediate chain to Apple's App Attestation root.
  const chain = (x5c as Buffer[]).map((der, index) => parseCertificate(der, `x5c certificate ${index}`));
  verifyChain(chain, policy.roots, now);
  const credCert = chain[0]!;

  // 2–4. clientDataHash binds the challenge and the device key; the nonce binds it to this authenticator data.
  const nonce = sha256(authData, clientDataHash);
  const extension = credCert.extensions.get(appleNonceOid);
  if (!extension) fail('the credential certificate has no nonce extension');
  if (!extensionNonce(extension).equals(nonce)) fail('the nonce does not match');

  // 5. keyId is the SHA-256 of the credential key (the uncompressed point).
  const jwk = credCert.x509.publicKey.export({ format: 'jwk' }) as JWK;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) fail('the credential key is not a P-256 key');
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  const keyId = Buffer.from(input.keyId, 'base64');
  if (!sha256(point).equals(keyId)) fail("keyId is not the credential key's hash");

  // 6. rpIdHash is the SHA-256 of an allowed App ID.
  const rpIdHash = authData.subarray(0, 32);
  if (!policy.appIds.some((appId) => sha256(Buffer.from(appId, 'utf8')).equals(rpIdHash))) fail('rpIdHash does not match an allowed App ID');

  // 7. The counter is 0 for a fresh attestation.
  if (authData.readUInt32BE(33) !== 0) fail('the counter is not 0');

  // 8. The AAGUID names the environment.
  const aaguid = authData.subarray(37, 53);
  if (!aaguid.equals(aaguids[policy.environment])) fail(`the AAGUID is not ${policy.environment === 'production' ? 'appattest' : 'appattestdevelop'}`);

  // 9. The credential id is the key id.
  const idLength = authData.readUInt16BE(53);
  const credentialId = authData.subarray(55, 55 + idLength);
  if (credentialId.length !== idLength || !credentialId.equals(keyId)) fail('the credential id is not the keyId');

  return { securityLevel: 'SecureEnclave' };
}

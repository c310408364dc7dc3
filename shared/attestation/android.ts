/**
 * Android hardware key attestation, following Google's "Verify hardware-backed key pairs with key attestation":
 * the chain to a Google root, the revocation status of every certificate, then the leaf's key description.
 */
import type { X509Certificate } from 'node:crypto';
import {
  AttestationApplicationId,
  KeyDescription,
  NonStandardKeyDescription,
  SecurityLevel,
  VerifiedBootState,
  id_ce_keyDescription,
  type AuthorizationList,
  type NonStandardAuthorizationList,
} from '@peculiar/asn1-android';
import { AsnConvert } from '@peculiar/asn1-schema';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { parseCertificate, verifyChain, type ParsedCertificate } from './certificates.js';
import { fail } from './failure.js';
import { StatusListUnavailable, type StatusList } from './statusList.js';

export interface AndroidPolicy {
  roots: readonly X509Certificate[];
  packages: readonly string[];
  /** Lower-case hex SHA-256 digests of allowed signing certificates. */
  signers: readonly string[];
  statusList: StatusList;
}

type AnyList = AuthorizationList | NonStandardAuthorizationList;

/** A field of an authorization list in either schema (tagged SEQUENCE, or the lenient list of single fields). */
function field<K extends keyof AuthorizationList>(list: AnyList | undefined, key: K): AuthorizationList[K] | undefined {
  if (!list) return undefined;
  if (Array.isArray(list)) return list.findProperty(key);
  return list[key];
}

interface Description {
  attestationSecurityLevel: SecurityLevel;
  attestationChallenge: Uint8Array;
  softwareEnforced: AnyList;
  hardwareEnforced: AnyList;
}

/**
 * Parses the key description. Keymaster and KeyMint versions share the strict schema; devices whose authorization
 * lists carry tags out of order or tags newer than the package knows parse with the lenient one.
 */
function parseKeyDescription(value: Uint8Array): Description {
  try {
    const strict = AsnConvert.parse(value, KeyDescription);
    return {
      attestationSecurityLevel: strict.attestationSecurityLevel,
      attestationChallenge: new Uint8Array(strict.attestationChallenge.buffer),
      softwareEnforced: strict.softwareEnforced,
      hardwareEnforced: strict.teeEnforced,
    };
  } catch {
    try {
      const lenient = AsnConvert.parse(value, NonStandardKeyDescription);
      return {
        attestationSecurityLevel: lenient.attestationSecurityLevel,
        attestationChallenge: new Uint8Array(lenient.attestationChallenge.buffer),
        softwareEnforced: lenient.softwareEnforced,
        hardwareEnforced: lenient.teeEnforced,
      };
    } catch {
      fail('the key description extension cannot be parsed');
    }
  }
}

const securityLevelName: Record<number, string> = {
  [SecurityLevel.software]: 'Software',
  [SecurityLevel.trustedEnvironment]: 'TrustedEnvironment',
  [SecurityLevel.strongBox]: 'StrongBox',
};

const bootStateName: Record<number, string> = {
  [VerifiedBootState.verified]: 'Verified',
  [VerifiedBootState.selfSigned]: 'SelfSigned',
  [VerifiedBootState.unverified]: 'Unverified',
  [VerifiedBootState.failed]: 'Failed',
};

/** Bytes of an OCTET STRING as parsed: the schema's OctetString object, or a bare ArrayBuffer / view. */
function octets(value: unknown): Buffer {
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'object' && value !== null && 'buffer' in value) return octets((value).buffer);
  fail('the attestation application id cannot be parsed');
}

async function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'sha256');
}

export async function verifyAndroidKey(
  certificateChain: readonly string[],
  expected: { challenge: string; deviceKey: JWK },
  policy: AndroidPolicy,
  now: Date,
): Promise<{ securityLevel: string }> {
  // 1. Parse, check each signature up to a trusted root, and validity.
  const chain: ParsedCertificate[] = certificateChain.map((b64, index) => parseCertificate(Buffer.from(b64, 'base64'), `certificate ${index}`));
  verifyChain(chain, policy.roots, now);

  // 2. No certificate's key revoked or suspended in Google's status list.
  for (const cert of chain) {
    let entry;
    try {
      entry = await policy.statusList.lookup(cert.serial, now);
    } catch (error) {
      if (error instanceof StatusListUnavailable) fail(error.message);
      throw error;
    }
    if (entry) fail(`certificate ${cert.serial} is ${entry.status === 'SUSPENDED' ? 'suspended' : 'revoked'}${entry.reason ? ` (${entry.reason})` : ''}`);
  }

  // 3. The key description: only in the leaf. An extension further up means the chain was extended past the attested
  // key, and only the instance nearest the root is trustworthy.
  const leaf = chain[0]!;
  if (chain.slice(1).some((cert) => cert.extensions.has(id_ce_keyDescription))) {
    fail('the chain extends past the attested key (a key description above the leaf)');
  }
  const extension = leaf.extensions.get(id_ce_keyDescription);
  if (!extension) fail('the leaf certificate has no key description extension');
  const description = parseKeyDescription(extension);

  if (!Buffer.from(description.attestationChallenge).equals(Buffer.from(expected.challenge, 'utf8'))) {
    fail('the attestation challenge does not match');
  }
  const level = description.attestationSecurityLevel;
  if (level !== SecurityLevel.trustedEnvironment && level !== SecurityLevel.strongBox) {
    fail(`the key is not hardware-backed (${securityLevelName[level] ?? String(level)})`);
  }

  const rootOfTrust = field(description.hardwareEnforced, 'rootOfTrust');
  if (!rootOfTrust) fail('the hardware-enforced root of trust is missing');
  if (rootOfTrust.verifiedBootState !== VerifiedBootState.verified) {
    fail(`verified boot state is ${bootStateName[rootOfTrust.verifiedBootState] ?? String(rootOfTrust.verifiedBootState)}`);
  }
  if (!rootOfTrust.deviceLocked) fail('the bootloader is unlocked');

  const applicationIdOctets = field(description.softwareEnforced, 'attestationApplicationId') ?? field(description.hardwareEnforced, 'attestationApplicationId');
  if (!applicationIdOctets) fail('the attestation application id is missing');
  let applicationId: AttestationApplicationId;
  try {
    applicationId = AsnConvert.parse(applicationIdOctets.buffer, AttestationApplicationId);
  } catch {
    fail('the attestation application id cannot be parsed');
  }
  const packages = applicationId.packageInfos.map((info) => octets(info.packageName).toString('utf8'));
  if (!packages.some((name) => policy.packages.includes(name))) {
    fail(packages.length === 0 ? 'the attestation names no package' : `package ${packages[0]} is not an allowed agent package`);
  }
  const digests = applicationId.signatureDigests.map((digest) => octets(digest).toString('hex'));
  if (!digests.some((digest) => policy.signers.includes(digest))) fail("the app's signing certificate is not allowed");

  // 4. The attested key is the device key.
  let leafJwk: JWK;
  try {
    leafJwk = leaf.x509.publicKey.export({ format: 'jwk' });
  } catch {
    fail('the attested key is not the device key');
  }
  if (leafJwk.kty !== 'EC' || (await thumbprint(leafJwk)) !== (await thumbprint(expected.deviceKey))) {
    fail('the attested key is not the device key');
  }
  return { securityLevel: securityLevelName[level]! };
}

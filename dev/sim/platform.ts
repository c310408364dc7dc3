/**
 * The phone's platform, played by the simulator: Android Keystore key attestation chains (with a real key
 * description extension) and Apple App Attest attestation objects, issued from the simulator's own test roots, with
 * a switch (a "flaw") for each way an attestation can be bad, and Google's attestation status list format.
 *
 * The roots are generated once and kept under the data dir (like the local TLS CA), so a restarted simulator keeps
 * signing under the roots the service was told to trust.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, webcrypto, type JsonWebKey, type KeyObject } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AttestationApplicationId,
  AttestationPackageInfo,
  AuthorizationList,
  KeyDescription,
  RootOfTrust,
  SecurityLevel,
  VerifiedBootState,
  Version,
  id_ce_keyDescription,
} from '@peculiar/asn1-android';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as x509 from '@peculiar/x509';
import { encode } from 'cborg';

/** The simulated agent app's identity: what a local run's settings allow. */
export const simAgentIdentity = {
  androidPackage: 'com.mtdconnector.agent',
  androidSignerSha256: createHash('sha256').update('MTD Connector simulated agent signing certificate').digest('hex'),
  appleAppId: 'SIMTEAM001.com.mtdconnector.agent',
} as const;

/** The serial (lower-case hex) of the attestation intermediate the status list marks revoked (`revoked` flaw). */
export const revokedAttestationSerial = '7e5d0ce0ffa11ed1';

export const androidFlaws = [
  'foreign-root',
  'revoked',
  'software-level',
  'unverified-boot',
  'unlocked-bootloader',
  'wrong-package',
  'wrong-signer',
  'wrong-challenge',
  'other-key',
  'broken-chain',
] as const;
export type AndroidFlaw = (typeof androidFlaws)[number];

export const appleFlaws = ['foreign-root', 'wrong-app-id', 'nonzero-counter', 'wrong-aaguid', 'nonce-mismatch', 'wrong-key-id', 'development'] as const;
export type AppleFlaw = (typeof appleFlaws)[number];

const DAY_MS = 24 * 3600 * 1000;
const ROOT_DAYS = 3650;
const ecdsa = { name: 'ECDSA', hash: 'SHA-256' } as const;

interface StoredIssuer {
  certPem: string;
  keyPem: string;
}

/** What is kept on disk: the two roots, and the intermediates under them (one of them revoked). */
interface StoredAuthority {
  android: { root: StoredIssuer; intermediate: StoredIssuer; revokedIntermediate: StoredIssuer };
  apple: { root: StoredIssuer; intermediate: StoredIssuer };
}

interface Issuer {
  cert: x509.X509Certificate;
  key: webcrypto.CryptoKey;
}

export interface PlatformAuthority {
  android: { root: Issuer; intermediate: Issuer; revokedIntermediate: Issuer };
  apple: { root: Issuer; intermediate: Issuer };
  /** PEM of the Android root(s) the service should trust (ATTESTATION_ANDROID_ROOTS). */
  androidRootsPem: string;
  /** PEM of the Apple root(s) the service should trust (ATTESTATION_APPLE_ROOTS). */
  appleRootsPem: string;
}

function newKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

async function signingKey(privateKey: KeyObject | string): Promise<webcrypto.CryptoKey> {
  const der = typeof privateKey === 'string' ? createPrivateDer(privateKey) : privateKey.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}

function createPrivateDer(pem: string): Buffer {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

function spki(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

function randomSerial(): string {
  const bytes = randomBytes(12);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return bytes.toString('hex');
}

async function caCertificate(params: {
  name: string;
  publicKey: KeyObject;
  signer?: Issuer;
  signerKey?: webcrypto.CryptoKey;
  serial?: string;
  days?: number;
}): Promise<x509.X509Certificate> {
  const now = Date.now();
  return x509.X509CertificateGenerator.create({
    serialNumber: params.serial ?? randomSerial(),
    subject: params.name,
    issuer: params.signer ? params.signer.cert.subject : params.name,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + (params.days ?? ROOT_DAYS) * DAY_MS),
    publicKey: spki(params.publicKey),
    signingKey: params.signerKey ?? params.signer!.key,
    signingAlgorithm: ecdsa,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
}

async function newRoot(name: string): Promise<{ issuer: Issuer; keyPem: string }> {
  const pair = newKeyPair();
  const key = await signingKey(pair.privateKey);
  const cert = await caCertificate({ name, publicKey: pair.publicKey, signerKey: key });
  return { issuer: { cert, key }, keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

async function newIntermediate(name: string, root: Issuer, serial?: string): Promise<{ issuer: Issuer; keyPem: string }> {
  const pair = newKeyPair();
  const cert = await caCertificate({ name, publicKey: pair.publicKey, signer: root, ...(serial ? { serial } : {}) });
  return { issuer: { cert, key: await signingKey(pair.privateKey) }, keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A fresh authority (roots and intermediates), in memory. `label` names it in the certificates' subjects. */
export async function createPlatformAuthority(label = 'MTD Connector simulator'): Promise<PlatformAuthority> {
  return fromStored(await generateStored(label));
}

async function generateStored(label: string): Promise<StoredAuthority> {
  const androidRoot = await newRoot(`CN=${label} Android Attestation Root, O=${label}`);
  const androidIntermediate = await newIntermediate(`CN=${label} Android Attestation Intermediate, O=${label}`, androidRoot.issuer);
  const revoked = await newIntermediate(`CN=${label} Android Attestation Intermediate (revoked), O=${label}`, androidRoot.issuer, revokedAttestationSerial);
  const appleRoot = await newRoot(`CN=${label} App Attestation Root CA, O=${label}`);
  const appleIntermediate = await newIntermediate(`CN=${label} App Attestation CA 1, O=${label}`, appleRoot.issuer);
  const stored = (issued: { issuer: Issuer; keyPem: string }): StoredIssuer => ({ certPem: issued.issuer.cert.toString('pem'), keyPem: issued.keyPem });
  return {
    android: { root: stored(androidRoot), intermediate: stored(androidIntermediate), revokedIntermediate: stored(revoked) },
    apple: { root: stored(appleRoot), intermediate: stored(appleIntermediate) },
  };
}

async function fromStored(stored: StoredAuthority): Promise<PlatformAuthority> {
  const issuer = async (s: StoredIssuer): Promise<Issuer> => ({ cert: new x509.X509Certificate(s.certPem), key: await signingKey(s.keyPem) });
  return {
    android: {
      root: await issuer(stored.android.root),
      intermediate: await issuer(stored.android.intermediate),
      revokedIntermediate: await issuer(stored.android.revokedIntermediate),
    },
    apple: { root: await issuer(stored.apple.root), intermediate: await issuer(stored.apple.intermediate) },
    androidRootsPem: `${stored.android.root.certPem.trim()}\n`,
    appleRootsPem: `${stored.apple.root.certPem.trim()}\n`,
  };
}

export interface PlatformAuthorityFiles {
  /** PEM file of the Android root: ATTESTATION_ANDROID_ROOTS. */
  androidRootsFile: string;
  /** PEM file of the Apple root: ATTESTATION_APPLE_ROOTS. */
  appleRootsFile: string;
}

/** The files `ensurePlatformAuthority(dir)` writes the roots to (for settings, without loading anything). */
export function platformAuthorityFiles(dir: string): PlatformAuthorityFiles {
  return { androidRootsFile: join(dir, 'android-roots.pem'), appleRootsFile: join(dir, 'apple-roots.pem') };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Loads the authority kept in `dir`, creating it on first use (or when a certificate is within a day of expiry):
 * `authority.json` (certificates and keys, private) and the roots as PEM files for the service's settings.
 */
export async function ensurePlatformAuthority(dir: string): Promise<PlatformAuthority & PlatformAuthorityFiles> {
  const files = platformAuthorityFiles(dir);
  const authorityFile = join(dir, 'authority.json');
  let stored: StoredAuthority | undefined;
  if ((await exists(authorityFile)) && (await exists(files.androidRootsFile)) && (await exists(files.appleRootsFile))) {
    try {
      stored = JSON.parse(await readFile(authorityFile, 'utf8')) as StoredAuthority;
      const certs = [stored.android.root, stored.android.intermediate, stored.android.revokedIntermediate, stored.apple.root, stored.apple.intermediate];
      if (certs.some((s) => new x509.X509Certificate(s.certPem).notAfter.getTime() < Date.now() + DAY_MS)) stored = undefined;
    } catch {
      stored = undefined;
    }
  }
  if (!stored) {
    stored = await generateStored('MTD Connector simulator');
    await mkdir(dir, { recursive: true });
    await writeFile(authorityFile, JSON.stringify(stored, null, 2), { mode: 0o600 });
    // The roots last: a partly written set is never taken for a complete one.
    await writeFile(files.androidRootsFile, `${stored.android.root.certPem.trim()}\n`);
    await writeFile(files.appleRootsFile, `${stored.apple.root.certPem.trim()}\n`);
  }
  return { ...(await fromStored(stored)), ...files };
}

let foreign: Promise<PlatformAuthority> | undefined;
/** A second authority no one trusts, for the `foreign-root` flaw. */
function foreignAuthority(): Promise<PlatformAuthority> {
  foreign ??= createPlatformAuthority('Untrusted platform');
  return foreign;
}

function der(cert: x509.X509Certificate): Buffer {
  return Buffer.from(cert.rawData);
}

// ---------------------------------------------------------------------------------------------------------------
// Android key attestation

export interface AndroidAttestationRequest {
  challenge: string;
  /** The device key (public P-256 JWK) the leaf certifies. */
  publicKeyJwk: JsonWebKey;
  packageName?: string;
  signerSha256?: string;
  flaws?: readonly AndroidFlaw[];
}

/**
 * AttestationApplicationId declares its OCTET STRINGs as plain ArrayBuffers (not the schema's OctetString class);
 * the typings say OctetString, so the cast.
 */
function arrayBuffer(bytes: Buffer): OctetString {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as unknown as OctetString;
}

function keyDescription(request: AndroidAttestationRequest, flaws: ReadonlySet<AndroidFlaw>): ArrayBuffer {
  const challenge = flaws.has('wrong-challenge') ? `${request.challenge}-other` : request.challenge;
  const level = flaws.has('software-level') ? SecurityLevel.software : SecurityLevel.trustedEnvironment;
  const applicationId = new AttestationApplicationId({
    packageInfos: [
      new AttestationPackageInfo({
        packageName: arrayBuffer(Buffer.from(flaws.has('wrong-package') ? 'com.example.repackaged' : (request.packageName ?? simAgentIdentity.androidPackage), 'utf8')),
        version: 1,
      }),
    ],
    signatureDigests: [
      arrayBuffer(Buffer.from(flaws.has('wrong-signer') ? createHash('sha256').update('a different signing certificate').digest('hex') : (request.signerSha256 ?? simAgentIdentity.androidSignerSha256).replace(/:/g, ''), 'hex')),
    ],
  });
  const rootOfTrust = new RootOfTrust({
    verifiedBootKey: new OctetString(createHash('sha256').update('simulated verified boot key').digest()),
    deviceLocked: !flaws.has('unlocked-bootloader'),
    verifiedBootState: flaws.has('unverified-boot') ? VerifiedBootState.unverified : VerifiedBootState.verified,
    verifiedBootHash: new OctetString(createHash('sha256').update('simulated boot image').digest()),
  });
  const description = new KeyDescription({
    attestationVersion: Version.keyMint2,
    attestationSecurityLevel: level,
    keymasterVersion: Version.keyMint2,
    keymasterSecurityLevel: level,
    attestationChallenge: new OctetString(Buffer.from(challenge, 'utf8')),
    uniqueId: new OctetString(),
    softwareEnforced: new AuthorizationList({
      creationDateTime: Date.now(),
      attestationApplicationId: new OctetString(AsnConvert.serialize(applicationId)),
    }),
    teeEnforced: new AuthorizationList({
      algorithm: 3, // EC
      keySize: 256,
      ecCurve: 1, // P-256
      origin: 0, // generated in the Keystore
      rootOfTrust,
      osVersion: 140000,
      osPatchLevel: 202611,
    }),
  });
  return AsnConvert.serialize(description);
}

/** Issues a Keystore attestation chain (base64 DER, leaf first) for `request.publicKeyJwk`, with the given flaws. */
export async function issueAndroidKeyAttestation(authority: PlatformAuthority, request: AndroidAttestationRequest): Promise<{ certificateChain: string[] }> {
  const flaws = new Set(request.flaws ?? []);
  const issuing = flaws.has('foreign-root') ? await foreignAuthority() : authority;
  const intermediate = flaws.has('revoked') ? issuing.android.revokedIntermediate : issuing.android.intermediate;
  const subjectKey = flaws.has('other-key') ? newKeyPair().publicKey : createPublicKey({ key: request.publicKeyJwk, format: 'jwk' });
  // A broken chain: the leaf names the intermediate as issuer but is signed by another key.
  const leafSigner = flaws.has('broken-chain') ? await signingKey(newKeyPair().privateKey) : intermediate.key;
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=Android Keystore Key',
    issuer: intermediate.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * DAY_MS),
    publicKey: spki(subjectKey),
    signingKey: leafSigner,
    signingAlgorithm: ecdsa,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.Extension(id_ce_keyDescription, false, keyDescription(request, flaws)),
    ],
  });
  return { certificateChain: [leaf, intermediate.cert, issuing.android.root.cert].map((cert) => der(cert).toString('base64')) };
}

/** Google's attestation status list format, listing the revoked intermediate. */
export function androidAttestationStatus(): { entries: Record<string, { status: string; reason?: string }> } {
  return { entries: { [revokedAttestationSerial]: { status: 'REVOKED', reason: 'KEY_COMPROMISE' } } };
}

// ---------------------------------------------------------------------------------------------------------------
// Apple App Attest

export interface AppleAttestationRequest {
  /** base64 of the 32-byte client data hash the app passes to attestKey. */
  clientDataHash: string;
  appId?: string;
  flaws?: readonly AppleFlaw[];
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** The credCert nonce extension: SEQUENCE { [1] EXPLICIT OCTET STRING (32 bytes) }. */
function nonceExtension(nonce: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x30, 0x24, 0xa1, 0x22, 0x04, 0x20]), nonce]);
}

/** Issues `{ keyId, attestationObject }` (base64) as DCAppAttestService.attestKey returns them, with the given flaws. */
export async function issueAppleAppAttestation(authority: PlatformAuthority, request: AppleAttestationRequest): Promise<{ keyId: string; attestationObject: string }> {
  const flaws = new Set(request.flaws ?? []);
  const issuing = flaws.has('foreign-root') ? await foreignAuthority() : authority;
  const clientDataHash = Buffer.from(request.clientDataHash, 'base64');
  const credential = newKeyPair();
  const jwk = credential.publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x ?? '', 'base64url');
  const y = Buffer.from(jwk.y ?? '', 'base64url');
  const keyId = sha256(Buffer.concat([Buffer.from([0x04]), x, y]));

  const appId = flaws.has('wrong-app-id') ? 'OTHERTEAM1.com.example.other' : (request.appId ?? simAgentIdentity.appleAppId);
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(flaws.has('nonzero-counter') ? 1 : 0);
  const aaguid = flaws.has('wrong-aaguid')
    ? Buffer.from('notappattest0000', 'ascii')
    : flaws.has('development')
      ? Buffer.from('appattestdevelop', 'ascii')
      : Buffer.concat([Buffer.from('appattest', 'ascii'), Buffer.alloc(7)]);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(keyId.length);
  const coseKey = Buffer.from(encode(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, x], [-3, y]])));
  const authData = Buffer.concat([sha256(Buffer.from(appId, 'utf8')), Buffer.from([0x40]), counter, aaguid, idLength, keyId, coseKey]);
  const nonce = flaws.has('nonce-mismatch') ? sha256(authData, randomBytes(32)) : sha256(authData, clientDataHash);

  const now = Date.now();
  const credCert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${keyId.toString('hex')}, OU=AAA Certification, O=Apple Inc., ST=California`,
    issuer: issuing.apple.intermediate.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 90 * DAY_MS),
    publicKey: spki(credential.publicKey),
    signingKey: issuing.apple.intermediate.key,
    signingAlgorithm: ecdsa,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.Extension('1.2.840.113635.100.8.2', false, nonceExtension(nonce))],
  });
  const attestationObject = Buffer.from(
    encode({
      fmt: 'apple-appattest',
      attStmt: { x5c: [der(credCert), der(issuing.apple.intermediate.cert)], receipt: randomBytes(64) },
      authData,
    }),
  );
  const returnedKeyId = flaws.has('wrong-key-id') ? sha256(randomBytes(32)) : keyId;
  return { keyId: returnedKeyId.toString('base64'), attestationObject: attestationObject.toString('base64') };
}

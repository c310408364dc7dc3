/** Attestations issued in-process by the simulator's platform, and a verifier trusting its roots. */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import {
  androidAttestationStatus,
  createPlatformAuthority,
  simAgentIdentity,
  type PlatformAuthority,
} from '../../../dev/sim/platform.js';
import { createAttestationVerifier, type AttestationSettings } from '../../../shared/attestation/index.js';

export interface Device {
  deviceKey: JWK;
  jkt: string;
  challenge: string;
  /** base64 SHA-256(challenge + "." + jkt): what the iOS agent passes to attestKey. */
  clientDataHash: string;
  /** The device key's private half (the phone's Keystore / Secure Enclave). */
  privateKey: KeyObject;
}

export async function newDevice(challenge = `challenge-${Math.random().toString(36).slice(2)}`): Promise<Device> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const deviceKey = publicKey.export({ format: 'jwk' }) as JWK;
  const jkt = await calculateJwkThumbprint(deviceKey, 'sha256');
  const clientDataHash = createHash('sha256').update(`${challenge}.${jkt}`, 'utf8').digest('base64');
  return { deviceKey, jkt, challenge, clientDataHash, privateKey };
}

let authority: Promise<PlatformAuthority> | undefined;
export function simAuthority(): Promise<PlatformAuthority> {
  authority ??= createPlatformAuthority('Test platform');
  return authority;
}

export function settingsFor(roots: PlatformAuthority, overrides: Partial<AttestationSettings> = {}): AttestationSettings {
  return {
    ATTESTATION_ANDROID_ROOTS: roots.androidRootsPem,
    ATTESTATION_APPLE_ROOTS: roots.appleRootsPem,
    ANDROID_APP_PACKAGES: [simAgentIdentity.androidPackage],
    ANDROID_APP_SIGNER_SHA256: [simAgentIdentity.androidSignerSha256],
    ANDROID_ATTESTATION_STATUS_URL: 'https://status.example.test/attestation/status',
    APPLE_APP_IDS: [simAgentIdentity.appleAppId],
    APPLE_APP_ATTEST_ENVIRONMENT: 'production',
    ...overrides,
  };
}

/** A fetch answering with the simulator's status list, counting its calls; `fail` makes it answer 503. */
export function statusFetch(): { fetch: typeof fetch; calls: () => number; fail: (on: boolean) => void } {
  let calls = 0;
  let failing = false;
  const fetchFn = (() => {
    calls += 1;
    if (failing) return Promise.resolve(new Response('unavailable', { status: 503 }));
    return Promise.resolve(new Response(JSON.stringify(androidAttestationStatus()), { status: 200, headers: { 'content-type': 'application/json' } }));
  }) as typeof fetch;
  return { fetch: fetchFn, calls: () => calls, fail: (on) => (failing = on) };
}

export async function simVerifier(overrides: Partial<AttestationSettings> = {}) {
  const roots = await simAuthority();
  const status = statusFetch();
  const verifier = createAttestationVerifier(settingsFor(roots, overrides), { fetch: status.fetch });
  return { verifier, roots, status };
}

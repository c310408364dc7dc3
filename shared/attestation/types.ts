/** The attestation module's public types and the activation body's `attestation` schema. */
import type { JWK } from 'jose';
import { z } from 'zod';
import type { Config } from '../base/config.js';
import type { Logger } from '../base/logger.js';

export type AttestationFormat = 'android-key' | 'apple-app-attest';

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** One base64 DER certificate; a real attestation certificate is 0.5..2 KiB. */
const derCertificate = z
  .string()
  .min(100)
  .max(8192)
  .regex(base64, { message: 'must be base64' })
  .describe('A DER certificate, base64.');

const androidKeyAttestation = z
  .strictObject({
    format: z.literal('android-key'),
    certificateChain: z
      .array(derCertificate)
      .min(2)
      .max(10)
      .describe(
        'The Keystore attestation certificate chain of the device key, leaf first (the leaf certifies the device key ' +
          'and carries the key description extension), each certificate base64 DER.',
      ),
  })
  .describe('Android hardware key attestation of the device key (KeyGenParameterSpec.setAttestationChallenge).');

const appleAppAttest = z
  .strictObject({
    format: z.literal('apple-app-attest'),
    keyId: z
      .string()
      .min(40)
      .max(64)
      .regex(base64, { message: 'must be base64' })
      .describe('The App Attest key identifier (base64 of the SHA-256 of its public key), as DCAppAttestService returns it.'),
    attestationObject: z
      .string()
      .min(100)
      .max(40_000)
      .regex(base64, { message: 'must be base64' })
      .describe(
        'The attestation object from DCAppAttestService.attestKey (base64 CBOR), made with clientDataHash = ' +
          'SHA-256(UTF-8 of challenge + "." + jkt).',
      ),
  })
  .describe('Apple App Attest attestation of the app instance holding the device key.');

/** The activation body's `attestation`. */
export const attestationInputSchema = z
  .discriminatedUnion('format', [androidKeyAttestation, appleAppAttest])
  .describe('The platform attestation proving the device key lives in a genuine device running the agent.');

export type AttestationInput = z.infer<typeof attestationInputSchema>;

export interface AttestationVerdict {
  format: AttestationFormat;
  status: 'verified' | 'failed';
  /** Why it failed, naming the failed step; absent when verified. */
  reason?: string;
  /** `TrustedEnvironment` / `StrongBox` (Android), `SecureEnclave` (App Attest); present when verified. */
  securityLevel?: string;
}

export interface AttestationExpectation {
  /** The challenge issued by `POST /api/v1/device/challenge`. */
  challenge: string;
  /** The device key's public JWK (P-256). */
  deviceKey: JWK;
  /** RFC 7638 SHA-256 thumbprint (base64url) of `deviceKey`. */
  jkt: string;
}

export interface AttestationVerifier {
  /** Never throws for bad input: a malformed or failing attestation is `{ status: 'failed', reason }`. */
  verify(input: AttestationInput, expected: AttestationExpectation, now: Date): Promise<AttestationVerdict>;
}

export type AttestationSettings = Pick<
  Config,
  | 'ATTESTATION_ANDROID_ROOTS'
  | 'ATTESTATION_APPLE_ROOTS'
  | 'ANDROID_APP_PACKAGES'
  | 'ANDROID_APP_SIGNER_SHA256'
  | 'ANDROID_ATTESTATION_STATUS_URL'
  | 'APPLE_APP_IDS'
  | 'APPLE_APP_ATTEST_ENVIRONMENT'
>;

export interface AttestationOptions {
  /** For the revocation status list. */
  fetch?: typeof fetch;
  log?: Logger;
}

/**
 * Platform attestation at device activation: Android hardware key attestation and Apple App Attest, verified as
 * Google and Apple document them, against trust anchors shipped with the service (overridable by settings).
 */
import type { AttestationOptions, AttestationSettings, AttestationVerifier } from './types.js';
import { createVerifier } from './verifier.js';

export {
  attestationInputSchema,
  type AttestationExpectation,
  type AttestationFormat,
  type AttestationInput,
  type AttestationOptions,
  type AttestationSettings,
  type AttestationVerdict,
  type AttestationVerifier,
} from './types.js';

export function createAttestationVerifier(config: AttestationSettings, options: AttestationOptions = {}): AttestationVerifier {
  return createVerifier(config, options);
}

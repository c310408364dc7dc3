/** The verifier behind createAttestationVerifier: trusted roots (loaded once), the status list, the dispatch. */
import type { X509Certificate } from 'node:crypto';
import { toError } from '../base/errors.js';
import { verifyAndroidKey } from './android.js';
import { verifyAppleAppAttest } from './apple.js';
import { AttestationFailure } from './failure.js';
import type { AttestationOptions, AttestationSettings, AttestationVerdict, AttestationVerifier } from './types.js';
import { loadRoots } from './roots.js';
import { appleAppAttestationRootPem, googleHardwareAttestationRootsPem } from './shippedRoots.js';
import { createStatusList } from './statusList.js';

export function createVerifier(config: AttestationSettings, options: AttestationOptions): AttestationVerifier {
  const statusList = createStatusList(config.ANDROID_ATTESTATION_STATUS_URL, options);
  let androidRoots: X509Certificate[] | undefined;
  let appleRoots: X509Certificate[] | undefined;
  const roots = (platform: 'android' | 'apple'): X509Certificate[] => {
    try {
      if (platform === 'android') return (androidRoots ??= loadRoots(config.ATTESTATION_ANDROID_ROOTS, googleHardwareAttestationRootsPem));
      return (appleRoots ??= loadRoots(config.ATTESTATION_APPLE_ROOTS, appleAppAttestationRootPem));
    } catch (error) {
      options.log?.error(`attestation roots for ${platform} cannot be loaded: ${toError(error).message}`);
      throw new AttestationFailure('the trusted roots cannot be loaded');
    }
  };

  return {
    async verify(input, expected, now): Promise<AttestationVerdict> {
      try {
        if (input.format === 'android-key') {
          const { securityLevel } = await verifyAndroidKey(
            input.certificateChain,
            expected,
            {
              roots: roots('android'),
              packages: config.ANDROID_APP_PACKAGES,
              signers: config.ANDROID_APP_SIGNER_SHA256,
              statusList,
            },
            now,
          );
          return { format: input.format, status: 'verified', securityLevel };
        }
        const { securityLevel } = verifyAppleAppAttest(
          input,
          expected,
          { roots: roots('apple'), appIds: config.APPLE_APP_IDS, environment: config.APPLE_APP_ATTEST_ENVIRONMENT },
          now,
        );
        return { format: input.format, status: 'verified', securityLevel };
      } catch (error) {
        if (error instanceof AttestationFailure) return { format: input.format, status: 'failed', reason: error.message };
        // Input that slipped past every structured check (a truncated structure, an unexpected type).
        options.log?.warn(`attestation (${input.format}) could not be verified: ${toError(error).message}`);
        return { format: input.format, status: 'failed', reason: 'the attestation is malformed' };
      }
    },
  };
}

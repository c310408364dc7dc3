/** A local run trusts the simulated platform's roots and agent only when the simulator is its tenant. */
import { describe, expect, it } from 'vitest';
import { devSettings } from '../../../dev/devSettings.js';
import { platformAuthorityFiles, simAgentIdentity } from '../../../dev/sim/platform.js';

const platform = platformAuthorityFiles('/data/platform');

describe('devSettings attestation', () => {
  it("point at the simulator's roots, status list and agent identity", () => {
    const settings = devSettings({ env: {}, simUrl: 'https://localhost:7443', platform });
    expect(settings).toMatchObject({
      ATTESTATION_ANDROID_ROOTS: '/data/platform/android-roots.pem',
      ATTESTATION_APPLE_ROOTS: '/data/platform/apple-roots.pem',
      ANDROID_ATTESTATION_STATUS_URL: 'https://localhost:7443/_sim/platform/android/attestation-status',
      ANDROID_APP_PACKAGES: simAgentIdentity.androidPackage,
      ANDROID_APP_SIGNER_SHA256: simAgentIdentity.androidSignerSha256,
      APPLE_APP_IDS: simAgentIdentity.appleAppId,
    });
  });

  it("leave the defaults (Google's and Apple's roots) without a simulator", () => {
    const settings = devSettings({ env: {}, platform });
    for (const name of ['ATTESTATION_ANDROID_ROOTS', 'ATTESTATION_APPLE_ROOTS', 'ANDROID_ATTESTATION_STATUS_URL', 'ANDROID_APP_PACKAGES', 'APPLE_APP_IDS']) {
      expect(settings[name]).toBeUndefined();
    }
  });

  it('let the environment override them', () => {
    const settings = devSettings({ env: { APPLE_APP_IDS: 'TEAM000001.com.real.agent' }, simUrl: 'https://localhost:7443', platform });
    expect(settings.APPLE_APP_IDS).toBe('TEAM000001.com.real.agent');
  });
});

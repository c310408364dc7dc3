/**
 * The cost of one attestation verification at activation: an Android key attestation chain (3 certificates, key
 * description) and an App Attest object, issued in-process by the simulator's platform and verified as the service
 * does (roots loaded and status list fetched once, then cached). Prints µs per verification (p50, p99) and ends
 * with one line of JSON. `ROUNDS` (default 300) sets how many of each.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { calculateJwkThumbprint, type JWK } from 'jose';
import {
  androidAttestationStatus,
  createPlatformAuthority,
  issueAndroidKeyAttestation,
  issueAppleAppAttestation,
  simAgentIdentity,
} from '../dev/sim/platform.js';
import { createAttestationVerifier, type AttestationInput } from '../shared/attestation/index.js';

const rounds = Number(process.env.ROUNDS ?? 300);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const authority = await createPlatformAuthority('Bench platform');
  let statusFetches = 0;
  const verifier = createAttestationVerifier(
    {
      ATTESTATION_ANDROID_ROOTS: authority.androidRootsPem,
      ATTESTATION_APPLE_ROOTS: authority.appleRootsPem,
      ANDROID_APP_PACKAGES: [simAgentIdentity.androidPackage],
      ANDROID_APP_SIGNER_SHA256: [simAgentIdentity.androidSignerSha256],
      ANDROID_ATTESTATION_STATUS_URL: 'https://status.bench.invalid/attestation/status',
      APPLE_APP_IDS: [simAgentIdentity.appleAppId],
      APPLE_APP_ATTEST_ENVIRONMENT: 'production',
    },
    {
      fetch: (() => {
        statusFetches += 1;
        return Promise.resolve(new Response(JSON.stringify(androidAttestationStatus())));
      }),
    },
  );

  type Case = { input: AttestationInput; expected: { challenge: string; deviceKey: JWK; jkt: string } };
  const android: Case[] = [];
  const apple: Case[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const deviceKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as JWK;
    const jkt = await calculateJwkThumbprint(deviceKey, 'sha256');
    const challenge = `bench-challenge-${i}`;
    const expected = { challenge, deviceKey, jkt };
    const { certificateChain } = await issueAndroidKeyAttestation(authority, { challenge, publicKeyJwk: deviceKey });
    android.push({ input: { format: 'android-key', certificateChain }, expected });
    const clientDataHash = createHash('sha256').update(`${challenge}.${jkt}`).digest('base64');
    apple.push({ input: { format: 'apple-app-attest', ...(await issueAppleAppAttestation(authority, { clientDataHash })) }, expected });
  }

  const measure = async (cases: Case[]): Promise<{ p50: number; p99: number; failed: number }> => {
    // The first verification loads the roots (and, on Android, fetches the status list): not part of the steady cost.
    await verifier.verify(cases[0]!.input, cases[0]!.expected, new Date());
    const times: number[] = [];
    let failed = 0;
    for (const { input, expected } of cases) {
      const started = performance.now();
      const verdict = await verifier.verify(input, expected, new Date());
      times.push((performance.now() - started) * 1000);
      if (verdict.status !== 'verified') failed += 1;
    }
    times.sort((a, b) => a - b);
    return { p50: Math.round(percentile(times, 50)), p99: Math.round(percentile(times, 99)), failed };
  };

  const androidCost = await measure(android);
  const appleCost = await measure(apple);
  console.log(`attestation verification, ${rounds} of each (Node ${process.version}):`);
  console.log(`  android-key (3-certificate chain, key description): p50 ${androidCost.p50} µs, p99 ${androidCost.p99} µs, not verified ${androidCost.failed}`);
  console.log(`  apple-app-attest (CBOR, 2-certificate x5c):          p50 ${appleCost.p50} µs, p99 ${appleCost.p99} µs, not verified ${appleCost.failed}`);
  console.log(`  status list fetches: ${statusFetches}`);
  console.log(
    JSON.stringify({
      bench: 'attestation',
      rounds,
      androidKeyUs: { p50: androidCost.p50, p99: androidCost.p99 },
      appleAppAttestUs: { p50: appleCost.p50, p99: appleCost.p99 },
      notVerified: androidCost.failed + appleCost.failed,
      statusListFetches: statusFetches,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

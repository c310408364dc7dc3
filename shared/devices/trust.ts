/**
 * The tenant's agent trust policy at activation (CONTRACT.md, "Agent trust"): the attestation verdict under
 * `agentTrust.attestation`, and the service's own threats it raises or resolves on the device.
 */
import type { AttestationPolicy, ReportedThreat, ServiceClassification } from '../domain/index.js';
import { createAttestationVerifier, type AttestationInput, type AttestationSettings, type AttestationVerifier } from '../attestation/index.js';
import type { JWK } from 'jose';
import type { Logger } from '../base/logger.js';
import { serviceThreatIdPrefix } from './schemas.js';

export type AttestationStatus = 'verified' | 'failed' | 'absent' | 'not-checked';

export interface TrustVerdict {
  readonly format?: AttestationInput['format'];
  readonly status: AttestationStatus;
  readonly reason?: string;
  readonly securityLevel?: string;
}

/** One verifier per settings object (its revocation list cache lives in it). */
const verifiers = new WeakMap<object, AttestationVerifier>();

export function attestationVerifierFor(config: AttestationSettings, log?: Logger): AttestationVerifier {
  let verifier = verifiers.get(config);
  if (!verifier) {
    verifier = createAttestationVerifier(config, log ? { log } : {});
    verifiers.set(config, verifier);
  }
  return verifier;
}

/** The verdict of an activation: `off` checks nothing; no attestation is `absent`; else the platform's verdict. */
export async function attestationVerdict(
  verifier: AttestationVerifier,
  policy: AttestationPolicy,
  attestation: AttestationInput | undefined,
  expected: { challenge: string; deviceKey: JWK; jkt: string } | undefined,
  now: Date,
): Promise<TrustVerdict> {
  if (policy === 'off') return { ...(attestation ? { format: attestation.format } : {}), status: 'not-checked' };
  if (!attestation || !expected) return { status: 'absent', reason: 'no attestation was sent' };
  const verdict = await verifier.verify(attestation, expected, now);
  return {
    format: verdict.format,
    status: verdict.status,
    ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}),
    ...(verdict.securityLevel !== undefined ? { securityLevel: verdict.securityLevel } : {}),
  };
}

const serviceThreatNames: Readonly<Record<ServiceClassification, string>> = {
  DEVICE_INTEGRITY_FAILED: 'Device integrity not proven: the platform attestation failed',
  DEVICE_INTEGRITY_UNVERIFIED: 'Device integrity unverified: no platform attestation',
};

export function serviceThreatId(classification: ServiceClassification): string {
  return `${serviceThreatIdPrefix}${classification}`;
}

/**
 * The complete set of the service's own threats after an activation: under `report`, `DEVICE_INTEGRITY_FAILED` for
 * a failed verdict and `DEVICE_INTEGRITY_UNVERIFIED` for an absent one; nothing otherwise, which resolves any raised
 * before (a verified activation, or a policy that no longer reports).
 */
export function serviceThreatsFor(verdict: TrustVerdict, policy: AttestationPolicy, now: Date): ReportedThreat[] {
  if (policy !== 'report') return [];
  const classification: ServiceClassification | undefined =
    verdict.status === 'failed' ? 'DEVICE_INTEGRITY_FAILED' : verdict.status === 'absent' ? 'DEVICE_INTEGRITY_UNVERIFIED' : undefined;
  if (!classification) return [];
  return [{ id: serviceThreatId(classification), classification, name: serviceThreatNames[classification], detectedAt: now.toISOString() }];
}

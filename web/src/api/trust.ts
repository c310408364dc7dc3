/**
 * Agent trust as the console shows it (CONTRACT.md, "Agent trust"): a device's key binding and attestation verdict
 * (`trust` in GET /api/v1/console/devices/{deviceId}), the list's attestation filter, and the fleet's counts
 * (`devices.trust` in GET /api/v1/console/summary).
 */
import type { operations } from './schema.js';

type DeviceQuery = NonNullable<operations['getConsoleDevices']['parameters']['query']>;
export type DeviceTrust = operations['getConsoleDevicesDeviceId']['responses'][200]['content']['application/json']['trust'];
export type AttestationStatus = DeviceTrust['attestation']['status'];

export const attestationStatuses = ['verified', 'failed', 'absent', 'not-checked'] as const satisfies readonly AttestationStatus[];
type MissingStatuses = Exclude<AttestationStatus | NonNullable<DeviceQuery['attestation']>, (typeof attestationStatuses)[number]>;
/** Fails to compile when the service gains a verdict this list lacks. */
export const attestationStatusesComplete: MissingStatuses extends never ? true : false = true;

export const attestationStatusLabels: Readonly<Record<AttestationStatus, string>> = {
  verified: 'Verified',
  failed: 'Failed',
  absent: 'Absent',
  'not-checked': 'Not checked',
};

const formatNames: Readonly<Record<NonNullable<DeviceTrust['attestation']['format']>, string>> = {
  'android-key': 'Android key attestation',
  'apple-app-attest': 'Apple App Attest',
};

/** The attestation in one line of words, e.g. "Failed (Android key attestation): bootloader unlocked". */
export function describeAttestation(attestation: Pick<DeviceTrust['attestation'], 'status' | 'format' | 'reason'>): string {
  const format = attestation.format ? formatNames[attestation.format] : undefined;
  const head = `${attestationStatusLabels[attestation.status]}${format ? ` (${format})` : ''}`;
  return attestation.reason ? `${head}: ${attestation.reason}` : head;
}

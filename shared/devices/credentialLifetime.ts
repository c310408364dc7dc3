/**
 * How long a device credential lives (docs/DATA-MODEL.md, "Device credential lifetime"): `DEVICE_CREDENTIAL_DAYS`
 * from its issue; within the rotation window before its expiry a heartbeat answers a new one (silent rotation),
 * after which the replaced credential keeps working for 24 hours; an expired one is refused with 401 and the agent
 * activates again with its user's token.
 */
import type { Device } from './device.js';
import { hashSecret, secretMatches } from './credential.js';

const dayMs = 24 * 60 * 60 * 1000;
/** A credential this close to its expiry is rotated by the next heartbeat. */
export const rotationWindowMaxMs = 7 * dayMs;
/** How long the credential a rotation replaced keeps working. */
export const previousCredentialGraceMs = dayMs;

export interface CredentialLifetime {
  readonly lifetimeMs: number;
  /** 7 days, or half the lifetime when that is shorter (so a fresh credential is never due at once). */
  readonly rotationWindowMs: number;
}

export function credentialLifetime(days: number): CredentialLifetime {
  const lifetimeMs = days * dayMs;
  return { lifetimeMs, rotationWindowMs: Math.min(rotationWindowMaxMs, lifetimeMs / 2) };
}

function timeOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * When the device's current credential expires (ms). A credential issued before credentials had a lifetime (no
 * `credentialExpiresAt`) counts as issued at its last activation (`credentialIssuedAt`, else `activatedAt`), and is
 * accepted at least until 7 days after the device's last check-in, so a running agent is never locked out by the
 * change: such a credential is due for rotation, and the agent's next heartbeat receives one with a full lifetime.
 */
export function credentialExpiresAtMs(device: Device, lifetime: CredentialLifetime, nowMs: number): number {
  const recorded = timeOf(device.credentialExpiresAt);
  if (recorded !== undefined) return recorded;
  const issued = timeOf(device.credentialIssuedAt) ?? timeOf(device.activatedAt) ?? nowMs;
  const checkedIn = timeOf(device.lastCheckInAt) ?? nowMs;
  return Math.max(issued + lifetime.lifetimeMs, checkedIn + rotationWindowMaxMs);
}

/** Which of the device's credentials a presented secret is, if it is still accepted at `nowMs`. */
export type CredentialMatch = 'current' | 'previous';

export function matchCredential(device: Device, secret: Buffer, lifetime: CredentialLifetime, nowMs: number): CredentialMatch | undefined {
  if (secretMatches(device.credentialHash, secret)) {
    return nowMs < credentialExpiresAtMs(device, lifetime, nowMs) ? 'current' : undefined;
  }
  const until = timeOf(device.previousCredentialUntil);
  if (until !== undefined && nowMs < until && secretMatches(device.previousCredentialHash, secret)) return 'previous';
  return undefined;
}

/** Whether the row still accepts the credential whose hash is `presentedHash` (re-checked on every write). */
export function acceptsCredentialHash(device: Device, presentedHash: string, lifetime: CredentialLifetime, nowMs: number): boolean {
  if (!device.credentialHash) return false;
  if (device.credentialHash === presentedHash) return nowMs < credentialExpiresAtMs(device, lifetime, nowMs);
  const until = timeOf(device.previousCredentialUntil);
  return device.previousCredentialHash === presentedHash && until !== undefined && nowMs < until;
}

/**
 * The hash that names the device's credential session: the credential activation issued. Silent rotations keep it,
 * so report sequences continue across them and a report's commit is tied to the activation, not to one credential.
 */
export function sessionHashOf(device: Device): string | undefined {
  return device.credentialSessionHash ?? device.credentialHash;
}

/** Whether a heartbeat with the current credential should rotate it. */
export function dueForRotation(device: Device, lifetime: CredentialLifetime, nowMs: number): boolean {
  return credentialExpiresAtMs(device, lifetime, nowMs) - nowMs <= lifetime.rotationWindowMs;
}

/** The hash of a secret, for comparing a presented credential with a row's fields. */
export const presentedHash = hashSecret;

/** A heartbeat: the agent is alive. Records the check-in (a disconnected device becomes active again) and versions. */
import { transition } from '../domain/index.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';
import type { EventRuntime } from '../events/runtime.js';
import type { DevicePrincipal } from './deviceAuth.js';
import { deviceChallenge, deviceCredentialLifetime, isCheckInStatus } from './deviceAuth.js';
import { deriveRotatedCredential, rotationNonce } from './credential.js';
import { acceptsCredentialHash, dueForRotation, previousCredentialGraceMs, sessionHashOf, type CredentialLifetime } from './credentialLifetime.js';
import type { Device } from './device.js';
import { mutateDevice, type DeviceWrite } from './deviceRepository.js';
import { nudgeAfter } from './afterDeviceWrite.js';
import type { DeviceRuntime } from './runtime.js';
import { threatStateKey } from './threatCache.js';

/**
 * Check-ins are coalesced: when nothing else about the device changes, `lastCheckInAt` is rewritten at most once per
 * `CHECKIN_WRITE_INTERVAL_MINUTES` (15 by default; the disconnect rule counts in days and allows for this interval),
 * so a chatty agent costs no device write per call.
 */
export function checkInWriteIntervalMs(services: Pick<CorePorts, 'config'>): number {
  return services.config.CHECKIN_WRITE_INTERVAL_MINUTES * 60_000;
}

export function checkInIsFresh(current: Device, now: string, intervalMs: number): boolean {
  if (!current.lastCheckInAt) return false;
  const age = new Date(now).getTime() - new Date(current.lastCheckInAt).getTime();
  return age >= 0 && age < intervalMs;
}

/**
 * The check-in part of any agent call: status back to active, `lastCheckInAt` now. Undefined when refused: the row
 * no longer accepts the credential (re-activated, deactivated, expired, or replaced more than 24 h ago).
 */
export function checkedIn(current: Device, principal: DevicePrincipal, now: string, lifetime: CredentialLifetime): Device | undefined {
  if (!acceptsCredentialHash(current, principal.credentialHash, lifetime, new Date(now).getTime()) || !isCheckInStatus(current.status)) {
    return undefined;
  }
  const next = transition(current.status, 'checkIn');
  if (!next.ok) return undefined;
  return {
    ...current,
    status: next.status,
    statusChangedAt: next.changed ? now : current.statusChangedAt,
    lastCheckInAt: now,
  };
}

/** The credential ended while the request ran; the challenge names the scheme the device authenticated with. */
export const credentialRevoked = (keyBound = false): HttpError =>
  new HttpError(401, 'The device credential is no longer valid. Activate the agent again with the user\'s sign-in.', {
    headers: { 'www-authenticate': deviceChallenge(keyBound ? 'DPoP' : 'Bearer', 'invalid_token') },
  });

/** The check-in alone: no write while the status stays and the last check-in is fresh. */
export function checkInOnly(current: Device, next: Device, now: string, intervalMs: number): Device | undefined {
  return next.status === current.status && checkInIsFresh(current, now, intervalMs) ? undefined : next;
}

/** What an agent call's check-in writes with: the device row, the parsed-row cache, the nudge and the event relay. */
export type CheckInDeps = Pick<CorePorts, 'config' | 'tables' | 'queues' | 'log'> & {
  readonly devices: DeviceRuntime;
  readonly events: EventRuntime;
};

/**
 * Writes an agent call's check-in and whatever `change` adds to it (given the current row and the checked-in one;
 * undefined writes nothing) with the row's ETag, then nudges. Throws 401 when the row no longer takes this
 * credential. The row written is what this instance starts the device's next report from (deviceAuth.ts).
 */
export async function writeCheckIn(
  services: CheckInDeps,
  principal: DevicePrincipal,
  now: string,
  change: (current: Device, next: Device) => Device | undefined = (current, next) =>
    checkInOnly(current, next, now, checkInWriteIntervalMs(services)),
  start: Device = principal.device,
): Promise<DeviceWrite | undefined> {
  let revoked = true;
  const write = await mutateDevice(
    services.tables,
    principal.tenantId,
    principal.deviceId,
    (current) => {
      const next = checkedIn(current, principal, now, deviceCredentialLifetime(services));
      revoked = next === undefined;
      return next ? change(current, next) : undefined;
    },
    start,
    new Date(now),
  );
  if (revoked) throw credentialRevoked(principal.device.keyThumbprint !== undefined);
  if (write) services.devices.parsedDevices.set(threatStateKey(principal.tenantId, principal.deviceId), write.after);
  await nudgeAfter(services, [write]);
  return write;
}

export interface HeartbeatAnswer {
  readonly heartbeatIntervalMinutes: number;
  /** A new device credential (silent rotation): the agent uses it from now on. */
  readonly deviceToken?: string;
  readonly deviceTokenExpiresAt?: string;
}

/**
 * What a heartbeat does to the credential, decided against the row as it is at write time (so two heartbeats that
 * race, or a retry after a lost answer, agree):
 * - the current credential, due for rotation: a new credential derived from the presented one with a fresh nonce
 *   becomes current, the presented one is kept as the previous one for 24 hours;
 * - the previous credential (within its 24 hours): the current one, derived again from the presented secret and the
 *   row's nonce; the same credential as the rotation's answer, so an agent never ends up with a credential the row
 *   does not know;
 * - otherwise nothing.
 */
function rotation(
  services: Pick<CorePorts, 'config'>,
  principal: DevicePrincipal,
  current: Device,
  next: Device,
  nowMs: number,
): { device?: Device; token?: string; expiresAt?: string } {
  const lifetime = deviceCredentialLifetime(services);
  if (current.credentialHash === principal.credentialHash) {
    if (!dueForRotation(current, lifetime, nowMs)) return {};
    const nonce = rotationNonce();
    const issued = deriveRotatedCredential(principal.tenantId, principal.deviceId, principal.secret, nonce);
    const expiresAt = new Date(nowMs + lifetime.lifetimeMs).toISOString();
    const device: Device = {
      ...next,
      credentialHash: issued.hash,
      credentialIssuedAt: new Date(nowMs).toISOString(),
      credentialExpiresAt: expiresAt,
      credentialSessionHash: sessionHashOf(current),
      previousCredentialHash: principal.credentialHash,
      previousCredentialUntil: new Date(nowMs + previousCredentialGraceMs).toISOString(),
      credentialRotationNonce: nonce,
    };
    return { device, token: issued.token, expiresAt };
  }
  if (current.previousCredentialHash === principal.credentialHash && current.credentialRotationNonce && current.credentialExpiresAt) {
    const again = deriveRotatedCredential(principal.tenantId, principal.deviceId, principal.secret, current.credentialRotationNonce);
    if (again.hash === current.credentialHash) return { token: again.token, expiresAt: current.credentialExpiresAt };
  }
  return {};
}

type HeartbeatDeps = CheckInDeps & Pick<CorePorts, 'clock'>;

export async function recordHeartbeat(
  services: HeartbeatDeps,
  principal: DevicePrincipal,
  body: { osVersion?: string | undefined; appVersion?: string | undefined },
): Promise<HeartbeatAnswer> {
  const clockNow = services.clock.now();
  const now = clockNow.toISOString();
  let rotated: { token?: string; expiresAt?: string } = {};
  await writeCheckIn(services, principal, now, (current, next) => {
    const osVersion = body.osVersion ?? current.osVersion;
    const appVersion = body.appVersion ?? current.appVersion;
    const versions = osVersion === current.osVersion && appVersion === current.appVersion ? next : { ...next, osVersion, appVersion };
    const decided = rotation(services, principal, current, versions, clockNow.getTime());
    rotated = { ...(decided.token ? { token: decided.token } : {}), ...(decided.expiresAt ? { expiresAt: decided.expiresAt } : {}) };
    if (decided.device) return decided.device;
    if (versions === next) return checkInOnly(current, next, now, checkInWriteIntervalMs(services));
    return versions;
  });
  const answer: HeartbeatAnswer = { heartbeatIntervalMinutes: principal.tenant.settings.heartbeatFrequencyMinutes };
  return rotated.token && rotated.expiresAt ? { ...answer, deviceToken: rotated.token, deviceTokenExpiresAt: rotated.expiresAt } : answer;
}

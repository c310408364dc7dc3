/** A heartbeat: the agent is alive. Records the check-in (a disconnected device becomes active again) and versions. */
import { transition } from '../domain/index.js';
import { HttpError } from '../http/problem.js';
import type { Services } from '../services.js';
import type { DevicePrincipal } from './deviceAuth.js';
import { isCheckInStatus } from './deviceAuth.js';
import type { Device } from './device.js';
import { mutateDevice, type DeviceWrite } from './deviceRepository.js';
import { nudgeAfter } from './nudge.js';
import { threatStateKey } from './threatStore.js';

/**
 * Check-ins are coalesced: when nothing else about the device changes, `lastCheckInAt` is rewritten at most once per
 * `CHECKIN_WRITE_INTERVAL_MINUTES` (15 by default; the disconnect rule counts in days and allows for this interval),
 * so a chatty agent costs no device write per call.
 */
export function checkInWriteIntervalMs(services: Pick<Services, 'config'>): number {
  return services.config.CHECKIN_WRITE_INTERVAL_MINUTES * 60_000;
}

export function checkInIsFresh(current: Device, now: string, intervalMs: number): boolean {
  if (!current.lastCheckInAt) return false;
  const age = new Date(now).getTime() - new Date(current.lastCheckInAt).getTime();
  return age >= 0 && age < intervalMs;
}

/** The check-in part of any agent call: status back to active, `lastCheckInAt` now. Undefined when refused. */
export function checkedIn(current: Device, principal: DevicePrincipal, now: string): Device | undefined {
  if (current.credentialHash !== principal.credentialHash || !isCheckInStatus(current.status)) return undefined;
  const next = transition(current.status, 'checkIn');
  if (!next.ok) return undefined;
  return {
    ...current,
    status: next.status,
    statusChangedAt: next.changed ? now : current.statusChangedAt,
    lastCheckInAt: now,
  };
}

export const credentialRevoked = (): HttpError =>
  new HttpError(401, 'The device credential is no longer valid. Activate the agent again with the user\'s sign-in.', {
    headers: { 'www-authenticate': 'Bearer realm="device"' },
  });

/** The check-in alone: no write while the status stays and the last check-in is fresh. */
export function checkInOnly(current: Device, next: Device, now: string, intervalMs: number): Device | undefined {
  return next.status === current.status && checkInIsFresh(current, now, intervalMs) ? undefined : next;
}

/**
 * Writes an agent call's check-in and whatever `change` adds to it (given the current row and the checked-in one;
 * undefined writes nothing) with the row's ETag, then nudges. Throws 401 when the row no longer takes this
 * credential. The row written is what this instance starts the device's next report from (deviceAuth.ts).
 */
export async function writeCheckIn(
  services: Services,
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
      const next = checkedIn(current, principal, now);
      revoked = next === undefined;
      return next ? change(current, next) : undefined;
    },
    start,
    new Date(now),
  );
  if (revoked) throw credentialRevoked();
  if (write) services.devices.parsedDevices.set(threatStateKey(principal.tenantId, principal.deviceId), write.after);
  await nudgeAfter(services, [write]);
  return write;
}

export async function recordHeartbeat(
  services: Services,
  principal: DevicePrincipal,
  body: { osVersion?: string | undefined; appVersion?: string | undefined },
): Promise<{ heartbeatIntervalMinutes: number }> {
  const now = services.clock.now().toISOString();
  await writeCheckIn(services, principal, now, (current, next) => {
    const osVersion = body.osVersion ?? current.osVersion;
    const appVersion = body.appVersion ?? current.appVersion;
    if (osVersion === current.osVersion && appVersion === current.appVersion) {
      return checkInOnly(current, next, now, checkInWriteIntervalMs(services));
    }
    return { ...next, osVersion, appVersion };
  });
  return { heartbeatIntervalMinutes: principal.tenant.settings.heartbeatFrequencyMinutes };
}

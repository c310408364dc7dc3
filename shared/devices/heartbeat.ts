/** A heartbeat: the agent is alive. Records the check-in (a disconnected device becomes active again) and versions. */
import { transition } from '../domain/index.js';
import { HttpError } from '../http/problem.js';
import type { Services } from '../services.js';
import type { DevicePrincipal } from './deviceAuth.js';
import { isCheckInStatus } from './deviceAuth.js';
import type { Device } from './device.js';
import { mutateDevice } from './deviceRepository.js';
import { nudgeAfter } from './nudge.js';

/**
 * Check-ins are coalesced: when nothing else about the device changes, `lastCheckInAt` is rewritten at most once
 * a minute (the disconnect rule counts in days), so a chatty agent costs no device write per call.
 */
export const checkInWriteIntervalMs = 60_000;

export function checkInIsFresh(current: Device, now: string): boolean {
  if (!current.lastCheckInAt) return false;
  const age = new Date(now).getTime() - new Date(current.lastCheckInAt).getTime();
  return age >= 0 && age < checkInWriteIntervalMs;
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

export async function recordHeartbeat(
  services: Services,
  principal: DevicePrincipal,
  body: { osVersion?: string | undefined; appVersion?: string | undefined },
): Promise<{ heartbeatIntervalMinutes: number }> {
  const now = services.clock.now().toISOString();
  let revoked = true;
  const write = await mutateDevice(
    services.tables,
    principal.tenantId,
    principal.deviceId,
    (current) => {
      const next = checkedIn(current, principal, now);
      revoked = next === undefined;
      if (!next) return undefined;
      const osVersion = body.osVersion ?? current.osVersion;
      const appVersion = body.appVersion ?? current.appVersion;
      const unchanged = next.status === current.status && osVersion === current.osVersion && appVersion === current.appVersion;
      if (unchanged && checkInIsFresh(current, now)) return undefined;
      return { ...next, osVersion, appVersion };
    },
    principal.device,
  );
  if (revoked) throw credentialRevoked();
  await nudgeAfter(services, [write]);
  return { heartbeatIntervalMinutes: principal.tenant.settings.heartbeatFrequencyMinutes };
}

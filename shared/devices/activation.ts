/**
 * Activation: the signed-in user's agent binds to a device discovered for that user in that tenant and receives
 * a fresh device credential, valid `DEVICE_CREDENTIAL_DAYS`. Activating again rotates the credential (the old one,
 * and any a silent rotation replaced, stop working at once) and starts a new report sequence.
 */
import type { z } from 'zod';
import type { VerifiedUser } from '../tokens/entraToken.js';
import { transition } from '../domain/index.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';
import type { EventRuntime } from '../events/runtime.js';
import { issueCredential } from './credential.js';
import { credentialLifetime } from './credentialLifetime.js';
import type { Device } from './device.js';
import { mutateDevice, readDevice } from './deviceRepository.js';
import { nudgeAfter } from './afterDeviceWrite.js';
import type { DeviceRuntime } from './runtime.js';
import type { activateBodySchema, activateResponseSchema } from './schemas.js';
import { startCredentialSession } from './credentialSession.js';
import { threatStateKey } from './threatCache.js';

export type ActivateBody = z.output<typeof activateBodySchema>;
export type ActivateResult = z.output<typeof activateResponseSchema>;

type ActivationDeps = Pick<CorePorts, 'config' | 'tables' | 'clock' | 'queues' | 'log'> & {
  readonly devices: DeviceRuntime;
  readonly events: EventRuntime;
};

export async function activateDevice(
  services: ActivationDeps,
  user: Pick<VerifiedUser, 'tenantId' | 'userId'>,
  body: ActivateBody,
): Promise<ActivateResult> {
  const tenantId = user.tenantId.toLowerCase();
  const deviceId = body.intuneDeviceId.toLowerCase();
  const userId = user.userId.toLowerCase();
  const issued = issueCredential(tenantId, deviceId);
  const clockNow = services.clock.now();
  const now = clockNow.toISOString();
  const expiresAt = new Date(clockNow.getTime() + credentialLifetime(services.config.DEVICE_CREDENTIAL_DAYS).lifetimeMs).toISOString();

  const notFound = (): HttpError =>
    new HttpError(404, 'No device with this Intune device id was discovered for your organization. Enroll it in Intune and try again later.');
  const refusalFor = (current: Device): HttpError | undefined => {
    if (current.userId.toLowerCase() !== userId) return new HttpError(403, 'This device is not enrolled for you: it belongs to another user.');
    if (!transition(current.status, 'activate').ok) {
      return new HttpError(403, 'This device is not enrolled for threat defense (it was deactivated). Ask your administrator.');
    }
    return undefined;
  };

  const found = await readDevice(services.tables, tenantId, deviceId);
  if (!found) throw notFound();
  const early = refusalFor(found);
  if (early) throw early;
  // The new credential goes to the threat sequence row first: from here on the old one cannot commit a report.
  await startCredentialSession(services.tables, services.devices.threatStates, tenantId, deviceId, issued.hash, now);

  let refusal: HttpError | undefined;
  const write = await mutateDevice(services.tables, tenantId, deviceId, (current) => {
    refusal = refusalFor(current);
    const next = transition(current.status, 'activate');
    if (refusal || !next.ok) return undefined;
    return {
      ...current,
      status: next.status,
      statusChangedAt: next.changed ? now : current.statusChangedAt,
      activatedAt: now,
      lastCheckInAt: now,
      platform: body.platform,
      osVersion: body.osVersion,
      appVersion: body.appVersion,
      credentialHash: issued.hash,
      credentialIssuedAt: now,
      credentialExpiresAt: expiresAt,
      // A new session: no previous credential, nothing derived.
      credentialSessionHash: undefined,
      previousCredentialHash: undefined,
      previousCredentialUntil: undefined,
      credentialRotationNonce: undefined,
      // A new credential is a new agent session: its report sequence starts again.
      lastSequence: -1,
    };
  }, found, new Date(now));
  if (refusal) throw refusal;
  if (!write) throw notFound();

  services.devices.threatStates.delete(threatStateKey(tenantId, deviceId));
  services.devices.parsedDevices.set(threatStateKey(tenantId, deviceId), write.after);
  await nudgeAfter(services, [write]);
  const tenant = await services.devices.tenants.get(tenantId);
  return {
    deviceId,
    deviceToken: issued.token,
    deviceTokenExpiresAt: expiresAt,
    heartbeatIntervalMinutes: tenant.settings.heartbeatFrequencyMinutes,
  };
}

/**
 * Activation: the signed-in user's agent binds to a device discovered for that user in that tenant and receives
 * a fresh device credential, valid `DEVICE_CREDENTIAL_DAYS`. Activating again rotates the credential (the old one,
 * and any a silent rotation replaced, stop working at once), replaces the bound key and starts a new report sequence.
 *
 * Agent trust (CONTRACT.md): with `deviceKey` the credential is bound to the key's thumbprint (`tokenType: DPoP`);
 * a challenge is then required and used up whatever the outcome; the attestation is judged under the tenant's
 * `agentTrust.attestation` (trust.ts) before anything of the device is written, so a refusal (`required`, 403)
 * leaves the device as it was, with a `device.attestation_failed` event; under `report` the service's own threat is
 * raised or resolved with the activation.
 */
import type { z } from 'zod';
import type { VerifiedUser } from '../tokens/entraToken.js';
import { deviceRiskLevel, isServiceClassification, transition } from '../domain/index.js';
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
import { credentialSession } from './credential.js';
import { withThreatLevel, devicePartitionKey } from './device.js';
import { useChallenge } from './challenges.js';
import { attestationVerdict, attestationVerifierFor, serviceThreatsFor, type TrustVerdict } from './trust.js';
import { jwkThumbprint } from '../tokens/dpop.js';
import { applyThreatReport } from './threatStore.js';
import { threatEvents } from './threatEvents.js';
import { eventDevice } from '../events/event.js';
import { timelineAction } from './deviceTimeline.js';
import type { StoredThreat } from '../domain/index.js';

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

  const { deviceKey, challenge, attestation } = body;
  // First, so the challenge is used up whatever the outcome.
  const used = challenge ? await useChallenge(services.tables, { tenantId, userId }, challenge, clockNow) : undefined;
  const found = await readDevice(services.tables, tenantId, deviceId);
  if (!found) throw notFound();
  const early = refusalFor(found);
  if (early) throw early;
  if (used !== undefined && used !== 'used') {
    throw badField('challenge', used === 'expired' ? 'has expired: fetch a new one' : 'is not a challenge issued to you, or was already used: fetch a new one');
  }

  const tenant = await services.devices.tenants.get(tenantId);
  const trust = tenant.settings.agentTrust;
  if (!deviceKey && trust.keyBinding === 'required') {
    throw badField('deviceKey', 'is required: your organization requires key-bound device credentials (agentTrust.keyBinding)');
  }
  if (deviceKey && !challenge) throw badField('challenge', 'is required with deviceKey (POST /api/v1/device/challenge)');
  if (attestation && !deviceKey) throw badField('deviceKey', 'is required with attestation: the attestation proves the device key');
  const jkt = deviceKey ? await jwkThumbprint(deviceKey) : undefined;
  const verdict = await attestationVerdict(
    attestationVerifierFor(services.config, services.log),
    trust.attestation,
    attestation,
    deviceKey && challenge && jkt ? { challenge, deviceKey, jkt } : undefined,
    clockNow,
  );
  if (trust.attestation === 'required' && verdict.status !== 'verified') {
    await recordRefusal(services, found, verdict, attestation?.format, clockNow);
    throw new HttpError(403, `The device's attestation did not verify (${verdict.reason ?? verdict.status}); your organization requires a verified device.`);
  }

  // The new credential goes to the threat sequence row first: from here on the old one cannot commit a report.
  await startCredentialSession(services.tables, services.devices.threatStates, tenantId, deviceId, issued.hash, now);
  const open = await applyServiceThreats(services, { ...found, status: 'active' }, issued.hash, serviceThreatsFor(verdict, trust.attestation, clockNow), tenant, clockNow);
  const threatLevel = open ? deviceRiskLevel(open, tenant.policy, tenant.appRules) : undefined;
  const serviceThreatOpen = open?.some((threat) => isServiceClassification(threat.classification)) ?? false;

  let refusal: HttpError | undefined;
  const write = await mutateDevice(services.tables, tenantId, deviceId, (current) => {
    refusal = refusalFor(current);
    const next = transition(current.status, 'activate');
    if (refusal || !next.ok) return undefined;
    const activated: Device = {
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
      // The key and verdict of this activation replace the last ones.
      keyThumbprint: jkt,
      attestationFormat: verdict.format,
      attestationStatus: verdict.status,
      attestationReason: verdict.reason,
      attestationSecurityLevel: verdict.securityLevel,
      attestationCheckedAt: now,
      // The service's own threat is a report on the device: Intune is told its grade, not just "activated".
      hasReport: current.hasReport || serviceThreatOpen,
    };
    return threatLevel === undefined ? activated : withThreatLevel(activated, threatLevel, clockNow);
  }, found, new Date(now));
  if (refusal) throw refusal;
  if (!write) throw notFound();

  services.devices.threatStates.delete(threatStateKey(tenantId, deviceId));
  services.devices.parsedDevices.set(threatStateKey(tenantId, deviceId), write.after);
  services.devices.failures.succeeded(tenantId, deviceId, issued.hash, jkt);
  await nudgeAfter(services, [write]);
  return {
    deviceId,
    deviceToken: issued.token,
    deviceTokenExpiresAt: expiresAt,
    tokenType: jkt ? 'DPoP' : 'Bearer',
    attestation: { status: verdict.status, ...(verdict.reason !== undefined ? { reason: verdict.reason } : {}) },
    heartbeatIntervalMinutes: tenant.settings.heartbeatFrequencyMinutes,
  };
}

function badField(path: string, message: string): HttpError {
  return new HttpError(400, `Invalid request body: ${path}: ${message}.`, { errors: [{ path, message }] });
}

type TenantContextOf = Awaited<ReturnType<DeviceRuntime['tenants']['get']>>;

/**
 * Replaces the device's service threats (trust.ts) with `threats`, through the threat store like a report (graded,
 * counted, evented), leaving the agent's threats and sequence alone. The open threats after it, or undefined when
 * the store refused (the credential changed meanwhile: the device write then decides).
 */
async function applyServiceThreats(
  services: ActivationDeps,
  device: Device,
  credentialHash: string,
  threats: ReturnType<typeof serviceThreatsFor>,
  tenant: TenantContextOf,
  at: Date,
): Promise<readonly StoredThreat[] | undefined> {
  const { tenantId, deviceId } = device;
  const now = at.toISOString();
  const outcome = await applyThreatReport(services.tables, services.devices.threatStates, {
    tenantId,
    deviceId,
    session: credentialSession(credentialHash),
    credentialHash,
    reportId: `activation-${now}`,
    sequence: 0,
    threats,
    observedAt: now,
    now,
    scope: 'service',
    events: {
      events: (change) => threatEvents(device, tenant.policy, change, at, tenant.appRules),
      prepare: () => services.events.prepare(tenantId, 'threats', devicePartitionKey(tenantId, deviceId)),
    },
  });
  if (!outcome.applied) return undefined;
  if (outcome.events > 0) services.events.nudge(tenantId, 'threats', devicePartitionKey(tenantId, deviceId), outcome.outbox);
  return outcome.open;
}

/** A refused activation (`agentTrust.attestation: required`): its event, and a row in the device's timeline. */
async function recordRefusal(
  services: ActivationDeps,
  device: Device,
  verdict: TrustVerdict,
  format: TrustVerdict['format'],
  at: Date,
): Promise<void> {
  const reason = verdict.reason ?? verdict.status;
  const [event] = await services.events.record(device.tenantId, [
    { type: 'device.attestation_failed', occurredAt: at.toISOString(), data: { device: eventDevice(device), format: format ?? 'none', reason } },
  ]);
  const [, entity] = timelineAction(device.tenantId, device.deviceId, {
    at: at.toISOString(),
    kind: 'attestation',
    summary: `Activation refused: attestation ${verdict.status} (${reason})`,
    ...(event ? { eventId: event.id } : {}),
    data: { format: format ?? null, status: verdict.status, reason },
  });
  await services.tables.table('devices').createEntity(entity);
}

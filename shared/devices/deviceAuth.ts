/**
 * Authenticates the agent's device credential, cheapest check first so a stranger's request costs as little as
 * possible: the credential's shape (no storage); the device's rate limit for the route (in memory, before any
 * storage read); the device row, which must hold the credential's hash (compared in constant time) and be active
 * or disconnected; only then the tenant's context (settings, policy), which must be active. A forged
 * `mtd1.<tenant>.<device>.<secret>` costs one point read of a device row and loads nothing of the tenant.
 *
 * A threat report needs no read when this instance holds the device's state: the credential must be the one it
 * last saw on the device row and on the `s|` row of its threats. That is enough because the report then commits
 * only through a write conditioned on the `s|` row's ETag, and every end of a credential (re-activation,
 * deactivation) writes that row first (credentialSession.ts): a credential ended elsewhere fails the write, the state
 * is read again, and the report is refused. Heartbeats read the device row every time.
 *
 * Lifetime (credentialLifetime.ts): a credential is accepted until its expiry, and one a silent rotation replaced
 * for 24 hours after the rotation. Rotations keep the credential session (the `s|` row names the credential that
 * activation issued), so they need no `s|` write; instead the fast path is taken only while the row this instance
 * holds is not yet due for rotation, so a rotation made elsewhere is always read before an old credential is
 * accepted.
 */
import { HttpError } from '../http/problem.js';
import { bearerToken, type ApiRequest } from '../http/request.js';
import type { CorePorts } from '../ports.js';
import type { Device } from './device.js';
import { credentialSession, hashSecret, parseCredential } from './credential.js';
import { credentialLifetime, dueForRotation, matchCredential, sessionHashOf, type CredentialLifetime, type CredentialMatch } from './credentialLifetime.js';
import { readDevice } from './deviceRepository.js';
import type { DeviceRuntime } from './runtime.js';
import { cachedCredentialIs } from './credentialSession.js';
import { threatStateKey } from './threatCache.js';
import type { TenantContext } from './tenantContext.js';
import { getTenant } from '../tenants/tenantRepository.js';
import { offboardingRefusal } from '../tenants/offboardingState.js';

export interface DevicePrincipal {
  readonly tenantId: string;
  readonly deviceId: string;
  /** The row as read while authenticating (with its ETag). */
  readonly device: Device;
  /** The hash of the presented credential: a write for this request is refused once the row no longer accepts it. */
  readonly credentialHash: string;
  /** Whether it is the device's current credential or the one a silent rotation replaced (within its 24 h). */
  readonly matched: CredentialMatch;
  /** The presented secret (in memory only): a heartbeat derives the rotated credential from it. */
  readonly secret: Buffer;
  /** The hash naming the credential session (the credential activation issued): reports commit only within it. */
  readonly sessionHash: string;
  /** The credential generation, scoping report sequences. */
  readonly session: string;
  readonly tenant: TenantContext;
}

export type DeviceRoute = 'report' | 'heartbeat';

function unauthorized(detail: string): HttpError {
  return new HttpError(401, detail, { headers: { 'www-authenticate': 'Bearer realm="device"' } });
}

const refused = 'The device credential is not valid. Activate the agent again with the user\'s sign-in.';

export function isCheckInStatus(status: Device['status']): boolean {
  return status === 'active' || status === 'disconnected';
}

/** The lifetime rules under the app's settings. */
export function deviceCredentialLifetime(services: Pick<CorePorts, 'config'>): CredentialLifetime {
  return credentialLifetime(services.config.DEVICE_CREDENTIAL_DAYS);
}

type DeviceAuthDeps = Pick<CorePorts, 'config' | 'clock' | 'tables'> & { readonly devices: DeviceRuntime };

/**
 * The device as this instance last knew it, when the credential is accepted by that row and the row's session is
 * the one its `s|` row records.
 */
function knownDevice(
  services: DeviceAuthDeps,
  tenantId: string,
  deviceId: string,
  secret: Buffer,
  nowMs: number,
): { device: Device; matched: CredentialMatch } | undefined {
  const device = services.devices.parsedDevices.latest(threatStateKey(tenantId, deviceId));
  const sessionHash = device ? sessionHashOf(device) : undefined;
  if (!device || !sessionHash || !isCheckInStatus(device.status)) return undefined;
  if (!cachedCredentialIs(services.devices.threatStates, tenantId, deviceId, sessionHash)) return undefined;
  // A row whose credential is due for rotation may have been rotated elsewhere: read it (see above).
  const lifetime = deviceCredentialLifetime(services);
  if (dueForRotation(device, lifetime, nowMs)) return undefined;
  const matched = matchCredential(device, secret, lifetime, nowMs);
  return matched ? { device, matched } : undefined;
}

export function authenticateDevice(services: DeviceAuthDeps, route: DeviceRoute): (request: ApiRequest) => Promise<DevicePrincipal> {
  return async (request) => {
    const token = bearerToken(request);
    if (!token) throw unauthorized('A device credential is required (Authorization: Bearer <device token>).');
    const presented = parseCredential(token);
    if (!presented) throw unauthorized(refused);
    const { tenantId, deviceId, secret } = presented;
    const limiter = route === 'report' ? services.devices.reportLimiter : services.devices.heartbeatLimiter;
    const decision = limiter.take(`${tenantId}|${deviceId}`);
    if (!decision.allowed) {
      throw new HttpError(429, `Too many ${route === 'report' ? 'threat reports' : 'heartbeats'} from this device; retry later.`, {
        headers: { 'retry-after': String(decision.retryAfterSeconds) },
      });
    }
    const nowMs = services.clock.now().getTime();
    const known = route === 'report' ? knownDevice(services, tenantId, deviceId, secret, nowMs) : undefined;
    const device = known?.device ?? (await readDevice(services.tables, tenantId, deviceId, services.devices.parsedDevices));
    // A known device matched the secret already. An expired credential, or a replaced one past its 24 h, is refused.
    const matched = known?.matched ?? (device ? matchCredential(device, secret, deviceCredentialLifetime(services), nowMs) : undefined);
    const sessionHash = device ? sessionHashOf(device) : undefined;
    if (!device || !matched || !sessionHash || !isCheckInStatus(device.status)) {
      throw unauthorized(refused);
    }
    const tenant = await services.devices.tenants.get(tenantId);
    if (!tenant.active) {
      // Only on the way to a refusal: is the tenant being offboarded (410, so the agent stops), or not connected?
      if ((await getTenant(services.tables, tenantId))?.status === 'offboarding') throw offboardingRefusal();
      throw new HttpError(403, 'Your organization is not connected to this service.');
    }
    return {
      tenantId,
      deviceId,
      device,
      credentialHash: hashSecret(secret),
      matched,
      secret,
      sessionHash,
      session: credentialSession(sessionHash),
      tenant,
    };
  };
}

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
 * deactivation) writes that row first (threatStore.ts): a credential ended elsewhere fails the write, the state
 * is read again, and the report is refused. Heartbeats read the device row every time.
 */
import { HttpError } from '../http/problem.js';
import { bearerToken, type ApiRequest } from '../http/request.js';
import type { Services } from '../services.js';
import type { Device } from './device.js';
import { credentialSession, parseCredential, secretMatches } from './credential.js';
import { readDevice } from './deviceRepository.js';
import { cachedCredentialIs, threatStateKey } from './threatStore.js';
import type { TenantContext } from './tenantContext.js';

export interface DevicePrincipal {
  readonly tenantId: string;
  readonly deviceId: string;
  /** The row as read while authenticating (with its ETag). */
  readonly device: Device;
  /** The hash the credential matched: a write for this request is refused once the credential was rotated. */
  readonly credentialHash: string;
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

/** The device as this instance last knew it, when the credential matches both its row and its `s|` row. */
function knownDevice(services: Services, tenantId: string, deviceId: string, secret: Buffer): Device | undefined {
  const device = services.devices.parsedDevices.latest(threatStateKey(tenantId, deviceId));
  if (!device?.credentialHash || !isCheckInStatus(device.status)) return undefined;
  if (!cachedCredentialIs(services.devices.threatStates, tenantId, deviceId, device.credentialHash)) return undefined;
  return secretMatches(device.credentialHash, secret) ? device : undefined;
}

export function authenticateDevice(services: Services, route: DeviceRoute): (request: ApiRequest) => Promise<DevicePrincipal> {
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
    const known = route === 'report' ? knownDevice(services, tenantId, deviceId, secret) : undefined;
    const device = known ?? (await readDevice(services.tables, tenantId, deviceId, services.devices.parsedDevices));
    // A known device matched the secret already.
    if (!device?.credentialHash || !isCheckInStatus(device.status) || (device !== known && !secretMatches(device.credentialHash, secret))) {
      throw unauthorized(refused);
    }
    const tenant = await services.devices.tenants.get(tenantId);
    if (!tenant.active) throw new HttpError(403, 'Your organization is not connected to this service.');
    return {
      tenantId,
      deviceId,
      device,
      credentialHash: device.credentialHash,
      session: credentialSession(device.credentialHash),
      tenant,
    };
  };
}

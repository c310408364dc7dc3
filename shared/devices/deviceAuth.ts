/**
 * Authenticates the agent's device credential, cheapest check first so a stranger's request costs as little as
 * possible: the credential's shape and, for `Authorization: DPoP`, the proof's signature and claims (no storage);
 * for a device whose failures used up its failure buckets, whether this is the credential and key last seen to
 * succeed (failureGuard.ts: else 429 without any read); the device row, which must hold the credential's hash
 * (compared in constant time), be active or disconnected, and name the proof's key (`keyThumbprint`); the proof's
 * `jti`, new for the device within the window; only then the device's own rate budget (so failures never use it)
 * and the tenant's context (settings, policy), which must be active and, under `agentTrust.keyBinding: required`,
 * refuse a credential bound to no key. A forged `mtd1.<tenant>.<device>.<secret>` costs at most one point read of a
 * device row and loads nothing of the tenant. Every refusal is a 401 with `WWW-Authenticate` naming the scheme.
 *
 * A threat report needs no read when this instance holds the device's state: the credential must be the one it
 * last saw on the device row and on the `s|` row of its threats. That is enough because the report then commits
 * only through a write conditioned on the `s|` row's ETag, and every end of a credential (re-activation,
 * deactivation) writes that row first (credentialSession.ts): a credential ended elsewhere fails the write, the state
 * is read again, and the report is refused. Heartbeats read the device row every time.
 *
 * Lifetime (credentialLifetime.ts): a credential is accepted until its expiry, and one a silent rotation replaced
 * for 24 hours after the rotation. Rotations keep the credential session (the `s|` row names the credential that
 * activation issued) and the bound key, so they need no `s|` write; instead the fast path is taken only while the
 * row this instance holds is not yet due for rotation, so a rotation made elsewhere is always read before an old
 * credential is accepted.
 */
import { HttpError } from '../http/problem.js';
import type { ApiRequest } from '../http/request.js';
import { DpopProofError, dpopMaxAgeMs, verifyDpopProof, type VerifiedDpopProof } from '../tokens/dpop.js';
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

export type DeviceAuthScheme = 'DPoP' | 'Bearer';
type AuthError = 'invalid_token' | 'invalid_dpop_proof';

/** The `WWW-Authenticate` challenge of a refusal: DPoP for key-bound use, Bearer for the rest. */
export function deviceChallenge(scheme: DeviceAuthScheme, error?: AuthError): string {
  if (scheme === 'DPoP') return `DPoP algs="ES256"${error ? `, error="${error}"` : ''}`;
  return `Bearer realm="device"${error ? `, error="${error}"` : ''}`;
}

function unauthorized(detail: string, scheme: DeviceAuthScheme = 'Bearer', error?: AuthError): HttpError {
  return new HttpError(401, detail, { headers: { 'www-authenticate': deviceChallenge(scheme, error) } });
}

/** `Authorization: DPoP <token>` or `Authorization: Bearer <token>`. */
function deviceAuthorization(request: ApiRequest): { scheme: DeviceAuthScheme; token: string } | undefined {
  const header = request.headers.get('authorization');
  if (!header) return undefined;
  const match = /^(Bearer|DPoP)\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  if (!match?.[1] || !match[2]) return undefined;
  return { scheme: match[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2] };
}

/** The URLs a proof's `htu` may name: `PUBLIC_BASE_URL` + the path, or the URL as received. */
function htuCandidates(services: Pick<CorePorts, 'config'>, url: string): string[] {
  try {
    const received = new URL(url);
    return [`${services.config.PUBLIC_BASE_URL}${received.pathname}`, url];
  } catch {
    return [`${services.config.PUBLIC_BASE_URL}/`];
  }
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

function tooMany(what: string, retryAfterSeconds: number): HttpError {
  return new HttpError(429, `Too many ${what}; retry later.`, { headers: { 'retry-after': String(retryAfterSeconds) } });
}

export function authenticateDevice(services: DeviceAuthDeps, route: DeviceRoute): (request: ApiRequest) => Promise<DevicePrincipal> {
  return async (request) => {
    const authorization = deviceAuthorization(request);
    if (!authorization) {
      throw unauthorized('A device credential is required (Authorization: DPoP <device token> with a DPoP proof, or Bearer <device token>).');
    }
    const { scheme, token } = authorization;
    const presented = parseCredential(token);
    if (!presented) throw unauthorized(refused, scheme, 'invalid_token');
    const { tenantId, deviceId, secret } = presented;
    const failures = services.devices.failures;
    const nowMs = services.clock.now().getTime();
    /** A refusal after the credential named its device: counted apart from the device's budget. */
    const refuse = (detail: string, error: AuthError, as: DeviceAuthScheme = scheme): HttpError => {
      failures.failed(tenantId, deviceId);
      return unauthorized(detail, as, error);
    };

    // The proof, before anything is read: its signature and claims need nothing but the request.
    let proof: VerifiedDpopProof | undefined;
    if (scheme === 'DPoP') {
      const header = request.headers.get('dpop');
      if (!header) throw refuse('A DPoP proof header is required with Authorization: DPoP.', 'invalid_dpop_proof');
      try {
        proof = await verifyDpopProof(header, { method: request.method, urls: htuCandidates(services, request.url), accessToken: token, nowMs });
      } catch (error) {
        if (!(error instanceof DpopProofError)) throw error;
        throw refuse(`The DPoP proof is refused: ${error.reason}.`, 'invalid_dpop_proof');
      }
    }
    const credentialHash = hashSecret(secret);
    const blocked = failures.refuses(tenantId, deviceId, credentialHash, proof?.jkt);
    if (!blocked.allowed) throw tooMany('failed authentications for this device', blocked.retryAfterSeconds);

    const known = route === 'report' ? knownDevice(services, tenantId, deviceId, secret, nowMs) : undefined;
    const device = known?.device ?? (await readDevice(services.tables, tenantId, deviceId, services.devices.parsedDevices));
    // A known device matched the secret already. An expired credential, or a replaced one past its 24 h, is refused.
    const matched = known?.matched ?? (device ? matchCredential(device, secret, deviceCredentialLifetime(services), nowMs) : undefined);
    const sessionHash = device ? sessionHashOf(device) : undefined;
    if (!device || !matched || !sessionHash || !isCheckInStatus(device.status)) {
      throw refuse(refused, 'invalid_token');
    }
    if (device.keyThumbprint !== undefined) {
      if (!proof) throw refuse('This device credential is bound to a key: send it as Authorization: DPoP with a DPoP proof.', 'invalid_dpop_proof', 'DPoP');
      if (proof.jkt !== device.keyThumbprint) throw refuse('The DPoP proof is not signed with the key this credential is bound to.', 'invalid_dpop_proof');
      if (!services.devices.proofReplays.firstUse(tenantId, deviceId, proof.jti, proof.iatMs + dpopMaxAgeMs, nowMs)) {
        throw refuse('The DPoP proof was already used (jti seen before); sign a new proof for every request.', 'invalid_dpop_proof');
      }
    } else if (proof) {
      throw refuse('This device credential is not bound to a key: send it as Authorization: Bearer.', 'invalid_token', 'Bearer');
    }

    // Authenticated: only now does the request use the device's own budget.
    const limiter = route === 'report' ? services.devices.reportLimiter : services.devices.heartbeatLimiter;
    const decision = limiter.take(`${tenantId}|${deviceId}`);
    if (!decision.allowed) throw tooMany(`${route === 'report' ? 'threat reports' : 'heartbeats'} from this device`, decision.retryAfterSeconds);

    const tenant = await services.devices.tenants.get(tenantId);
    if (!tenant.active) {
      // Only on the way to a refusal: is the tenant being offboarded (410, so the agent stops), or not connected?
      if ((await getTenant(services.tables, tenantId))?.status === 'offboarding') throw offboardingRefusal();
      throw new HttpError(403, 'Your organization is not connected to this service.');
    }
    if (device.keyThumbprint === undefined && tenant.settings.agentTrust.keyBinding === 'required') {
      // Issued before the tenant required key binding: the agent activates again, with a key.
      throw unauthorized('Your organization requires key-bound device credentials. Activate the agent again with a device key.', 'Bearer', 'invalid_token');
    }
    failures.succeeded(tenantId, deviceId, credentialHash, proof?.jkt);
    return {
      tenantId,
      deviceId,
      device,
      credentialHash,
      matched,
      secret,
      sessionHash,
      session: credentialSession(sessionHash),
      tenant,
    };
  };
}

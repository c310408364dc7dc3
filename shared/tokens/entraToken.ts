/**
 * Validation of Entra ID v2 access tokens for our API (console users and the agent's user), multi-tenant:
 * the issuer is `{ENTRA_AUTHORITY_HOST}/{tid}/v2.0` for the token's own `tid`, its keys come from that issuer's
 * OpenID metadata (`jwks_uri`), and `aud` must be our API. Metadata and key sets are cached in bounded caches; jose
 * refetches a key set when a token names an unknown `kid` (at most once per cooldown).
 *
 * Two layers: `verifyClaims` checks signature, issuer, audience, lifetime and tenant and returns the claims, delegated
 * or app-only (the event feed layers its own `roles` policy on it); `verify` adds the delegated-user policy of the
 * console and activation (`scp` contains `API_SCOPE`, `azp` among the allowed clients). Both first let the caller
 * admit the token's tenant (look it up in our own tables), so a token naming an unprovisioned tenant never causes a
 * fetch of that tenant's metadata.
 */
import { LRUCache } from 'lru-cache';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import { systemClock } from '../base/clock.js';
import type { Config } from '../base/config.js';
import { toError } from '../base/errors.js';

/** A user signed in to our API, from a verified token. */
export interface VerifiedUser {
  /** The user's tenant (lower case), from the verified `tid`. */
  readonly tenantId: string;
  /** The user's object id (`oid`, lower case). */
  readonly userId: string;
  readonly name?: string;
  /** `preferred_username` (or `upn`). */
  readonly upn?: string;
  readonly email?: string;
  /** Group object ids from the `groups` claim; null when the token does not carry them (overage): ask Graph. */
  readonly groups: readonly string[] | null;
}

/** The verified claims of any token for our API, delegated (`scp`) or app-only (no `scp`). */
export interface VerifiedToken extends VerifiedUser {
  /** The scopes of `scp` (space-separated); empty for an app-only token. */
  readonly scopes: readonly string[];
  /** App roles (`roles`); for an app-only token these are the roles granted to the calling application. */
  readonly roles: readonly string[];
  /** The calling application's id (`azp`, or v1 `appid`), lower case. */
  readonly clientId?: string;
  /** No `scp`: a token an application obtained for itself (client credentials), not on behalf of a user. */
  readonly appOnly: boolean;
}

export interface VerifyOptions {
  /**
   * Called with the token's (unverified) tenant before anything is fetched for it: throw to refuse. Callers look the
   * tenant up in our own tables here, so strangers' made-up tenants cost one read and no request to Entra ID.
   */
  admit(tenantId: string): Promise<void>;
}

export interface UserVerifyOptions extends VerifyOptions {
  /** Whose client ids (`azp`) are allowed: the console's (`CONSOLE_CLIENT_IDS`) or the agent's (`AGENT_CLIENT_IDS`). */
  readonly client: 'console' | 'agent';
}

export type TokenErrorCode =
  | 'ERR_TOKEN_MISSING'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_ALGORITHM'
  | 'ERR_TOKEN_TENANT'
  | 'ERR_TOKEN_ISSUER'
  | 'ERR_TOKEN_AUDIENCE'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_UNKNOWN_KEY'
  | 'ERR_TOKEN_SIGNATURE'
  | 'ERR_TOKEN_CLAIMS'
  /** A valid token without the delegated scope this route needs (app-only, or issued for another scope). */
  | 'ERR_TOKEN_SCOPE'
  /** A valid token obtained by an application that may not call this route (`azp`). */
  | 'ERR_TOKEN_CLIENT'
  /** The issuer's metadata or keys could not be fetched: our problem (503), not the caller's. */
  | 'ERR_TOKEN_KEYS_UNAVAILABLE';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** Whether the caller's token is at fault (401) rather than our ability to check it (503). */
  get isCallerFault(): boolean {
    return this.code !== 'ERR_TOKEN_KEYS_UNAVAILABLE';
  }

  /** A valid token that may not do this (403 `insufficient_scope`) rather than a bad one (401). */
  get isInsufficient(): boolean {
    return this.code === 'ERR_TOKEN_SCOPE' || this.code === 'ERR_TOKEN_CLIENT';
  }
}

export interface UserTokenValidator {
  /** Verifies a bearer token's signature, issuer, audience, lifetime and tenant; throws `TokenError`. */
  verifyClaims(token: string, options: VerifyOptions): Promise<VerifiedToken>;
  /** `verifyClaims`, then the delegated-user policy of console routes and activation; throws `TokenError`. */
  verify(token: string, options: UserVerifyOptions): Promise<VerifiedUser>;
}

export interface UserTokenValidatorOptions {
  clock?: Clock;
  /** Seconds of clock skew accepted on `exp` and `nbf`. */
  clockToleranceSeconds?: number;
  /** How long fetched metadata is kept. */
  metadataMaxAgeMs?: number;
  /**
   * How long Entra ID's answer that it does not know a tenant is remembered. Only that verdict is kept: a 429, a 5xx
   * or a network failure is never cached, so an outage of a minute does not lock a tenant's users out for longer.
   */
  metadataFailureMaxAgeMs?: number;
  /** Most tenants whose metadata is kept at once (least recently used dropped first). */
  maxCachedIssuers?: number;
  /** Most key sets kept at once (least recently used dropped first). */
  maxCachedKeySets?: number;
  /**
   * Least time between two fetches of a key set on an unknown `kid` (jose's cooldown). Default 1 s: a rotated key is
   * accepted within a second, and made-up key ids cost at most one fetch a second.
   */
  keySetCooldownMs?: number;
  /** Fetch used for metadata (tests may count calls); jose uses the global fetch for key sets. */
  fetch?: typeof fetch;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const metadataSchema = z.object({ issuer: z.string(), jwks_uri: z.url() });

const claimsSchema = z.object({
  tid: z.string().regex(guid),
  oid: z.string().regex(guid, 'oid must be a GUID'),
  name: z.string().optional(),
  preferred_username: z.string().optional(),
  upn: z.string().optional(),
  email: z.string().optional(),
  groups: z.array(z.string()).optional(),
  idtyp: z.string().optional(),
  scp: z.string().optional(),
  roles: z.array(z.string()).optional(),
  azp: z.string().optional(),
  appid: z.string().optional(),
});

interface IssuerEntry {
  readonly at: number;
  readonly keys?: JWTVerifyGetKey;
  readonly failure?: TokenError;
  /** A verdict (keys, or "the identity provider does not know this tenant") may be cached; an outage may not. */
  readonly cacheable: boolean;
}

const joseCode = (error: unknown): string | undefined =>
  error instanceof joseErrors.JOSEError ? error.code : undefined;

function mapVerifyError(caught: unknown): TokenError {
  if (caught instanceof TokenError) return caught;
  if (caught instanceof joseErrors.JWTExpired) return new TokenError('ERR_TOKEN_EXPIRED', 'The token has expired.');
  if (caught instanceof joseErrors.JWTClaimValidationFailed) {
    switch (caught.claim) {
      case 'nbf':
        return new TokenError('ERR_TOKEN_NOT_YET_VALID', 'The token is not valid yet.');
      case 'iat':
        return new TokenError('ERR_TOKEN_NOT_YET_VALID', 'The token was issued in the future.');
      case 'aud':
        return new TokenError('ERR_TOKEN_AUDIENCE', 'The token is not for this API (audience).');
      case 'iss':
        return new TokenError('ERR_TOKEN_ISSUER', 'The token issuer does not match its tenant.');
      default:
        return new TokenError('ERR_TOKEN_CLAIMS', `The token claim "${caught.claim}" is invalid.`);
    }
  }
  switch (joseCode(caught)) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new TokenError('ERR_TOKEN_ALGORITHM', 'The token must be signed with RS256.');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new TokenError('ERR_TOKEN_UNKNOWN_KEY', "The token's signing key is not one of the issuer's keys.");
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenError('ERR_TOKEN_SIGNATURE', 'The token signature is invalid.');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new TokenError('ERR_TOKEN_MALFORMED', 'The token is malformed.');
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return new TokenError('ERR_TOKEN_KEYS_UNAVAILABLE', "The issuer's signing keys could not be fetched.");
    default:
      break;
  }
  // Anything else (a failed key set fetch, a network error) is an outage on the way to the issuer's keys.
  const error = toError(caught);
  return new TokenError('ERR_TOKEN_KEYS_UNAVAILABLE', `The issuer's signing keys could not be fetched (${error.name}).`);
}

export function createUserTokenValidator(config: Config, options: UserTokenValidatorOptions = {}): UserTokenValidator {
  const clock = options.clock ?? systemClock;
  const tolerance = options.clockToleranceSeconds ?? 60;
  const metadataMaxAgeMs = options.metadataMaxAgeMs ?? 24 * 60 * 60 * 1000;
  const failureMaxAgeMs = options.metadataFailureMaxAgeMs ?? 60 * 1000;
  const maxIssuers = options.maxCachedIssuers ?? 1000;
  const maxKeySets = options.maxCachedKeySets ?? 1000;
  const doFetch = options.fetch ?? fetch;
  const cooldownDuration = options.keySetCooldownMs ?? 1_000;
  const authority = config.ENTRA_AUTHORITY_HOST;
  const audience = config.API_AUDIENCE;
  const scope = config.API_SCOPE;
  const allowedClients = { console: config.CONSOLE_CLIENT_IDS, agent: config.AGENT_CLIENT_IDS };
  const issuers = new LRUCache<string, Promise<IssuerEntry>>({ max: maxIssuers });
  /** Key sets by `jwks_uri`: tenants of one cloud may share keys, so one set serves them all. */
  const keySets = new LRUCache<string, JWTVerifyGetKey>({ max: maxKeySets });

  function keySet(uri: string): JWTVerifyGetKey {
    let keys = keySets.get(uri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(uri), { cooldownDuration, cacheMaxAge: 10 * 60_000, timeoutDuration: 10_000 });
      keySets.set(uri, keys);
    }
    return keys;
  }

  async function loadIssuer(issuer: string): Promise<IssuerEntry> {
    const at = Date.now();
    let response: Response;
    try {
      response = await doFetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
    } catch (caught) {
      const error = toError(caught);
      return {
        at,
        cacheable: false,
        failure: new TokenError('ERR_TOKEN_KEYS_UNAVAILABLE', `The issuer's metadata could not be fetched (${error.name}).`),
      };
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 429 && response.status !== 408) {
      await response.body?.cancel().catch(() => undefined);
      return { at, cacheable: true, failure: new TokenError('ERR_TOKEN_ISSUER', 'The token names a tenant the identity provider does not know.') };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { at, cacheable: false, failure: new TokenError('ERR_TOKEN_KEYS_UNAVAILABLE', `The issuer's metadata answered ${response.status}.`) };
    }
    let parsed: z.ZodSafeParseResult<z.output<typeof metadataSchema>>;
    try {
      parsed = metadataSchema.safeParse(await response.json());
    } catch {
      return { at, cacheable: false, failure: new TokenError('ERR_TOKEN_KEYS_UNAVAILABLE', "The issuer's metadata is not JSON.") };
    }
    if (!parsed.success) {
      return { at, cacheable: false, failure: new TokenError('ERR_TOKEN_KEYS_UNAVAILABLE', "The issuer's metadata has no jwks_uri.") };
    }
    if (parsed.data.issuer !== issuer) {
      return { at, cacheable: true, failure: new TokenError('ERR_TOKEN_ISSUER', "The issuer's metadata names another issuer.") };
    }
    return { at, cacheable: true, keys: keySet(parsed.data.jwks_uri) };
  }

  async function issuerKeys(issuer: string): Promise<JWTVerifyGetKey> {
    const now = Date.now();
    let pending = issuers.get(issuer);
    if (pending) {
      const entry = await pending;
      const maxAge = entry.failure ? failureMaxAgeMs : metadataMaxAgeMs;
      if (now - entry.at > maxAge || !entry.cacheable) {
        if (issuers.get(issuer) === pending) issuers.delete(issuer);
        pending = undefined;
      }
    }
    if (!pending) {
      // Concurrent requests share one fetch; an outage's answer is dropped as soon as it settles.
      const loading = loadIssuer(issuer);
      pending = loading;
      issuers.set(issuer, loading);
      void loading.then((entry) => {
        if (!entry.cacheable && issuers.get(issuer) === loading) issuers.delete(issuer);
      });
    }
    const entry = await pending;
    if (entry.failure) throw entry.failure;
    if (!entry.keys) throw new TokenError('ERR_TOKEN_KEYS_UNAVAILABLE', 'No key set for the issuer.');
    return entry.keys;
  }

  async function verifyClaims(token: string, options: VerifyOptions): Promise<VerifiedToken> {
    if (!token) throw new TokenError('ERR_TOKEN_MISSING', 'A bearer token is required.');
    let unverified: JWTPayload;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== 'RS256') throw new TokenError('ERR_TOKEN_ALGORITHM', 'The token must be signed with RS256.');
      unverified = decodeJwt(token);
    } catch (caught) {
      if (caught instanceof TokenError) throw caught;
      throw new TokenError('ERR_TOKEN_MALFORMED', 'The token is not a JWT.');
    }
    const tid = unverified.tid;
    if (typeof tid !== 'string' || !guid.test(tid)) {
      throw new TokenError('ERR_TOKEN_TENANT', 'The token has no tenant id (tid) GUID.');
    }
    const issuer = `${authority}/${tid}/v2.0`;
    if (unverified.iss !== issuer) throw new TokenError('ERR_TOKEN_ISSUER', 'The token issuer does not match its tenant.');
    // Our own tables first: an unprovisioned tenant is refused before anything is fetched for it.
    await options.admit(tid.toLowerCase());

    let payload: JWTPayload;
    try {
      const keys = await issuerKeys(issuer);
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms: ['RS256'],
        clockTolerance: tolerance,
        currentDate: clock.now(),
        requiredClaims: ['exp', 'tid', 'oid'],
      }));
    } catch (caught) {
      throw mapVerifyError(caught);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenError('ERR_TOKEN_CLAIMS', 'The token lacks a user object id (oid).');
    if (claims.data.tid !== tid) throw new TokenError('ERR_TOKEN_TENANT', 'The token tenant changed during verification.');
    const upn = claims.data.preferred_username ?? claims.data.upn;
    const scopes = (claims.data.scp ?? '').split(' ').filter((item) => item !== '');
    const clientId = (claims.data.azp ?? claims.data.appid)?.toLowerCase();
    return {
      tenantId: tid.toLowerCase(),
      userId: claims.data.oid.toLowerCase(),
      ...(claims.data.name !== undefined ? { name: claims.data.name } : {}),
      ...(upn !== undefined ? { upn } : {}),
      ...(claims.data.email !== undefined ? { email: claims.data.email } : {}),
      groups: claims.data.groups ? claims.data.groups.map((group) => group.toLowerCase()) : null,
      scopes,
      roles: claims.data.roles ?? [],
      ...(clientId !== undefined ? { clientId } : {}),
      appOnly: claims.data.scp === undefined || claims.data.idtyp === 'app',
    };
  }

  async function verify(token: string, options: UserVerifyOptions): Promise<VerifiedUser> {
    const verified = await verifyClaims(token, options);
    if (verified.appOnly) {
      throw new TokenError('ERR_TOKEN_SCOPE', 'An application token (without a delegated scope) cannot act as a user.');
    }
    if (!verified.scopes.includes(scope)) {
      throw new TokenError('ERR_TOKEN_SCOPE', `The token does not carry the scope "${scope}" of this API.`);
    }
    const allowed = allowedClients[options.client];
    if (allowed && (verified.clientId === undefined || !allowed.includes(verified.clientId))) {
      throw new TokenError('ERR_TOKEN_CLIENT', `The token was obtained by an application that may not call the ${options.client} routes.`);
    }
    return {
      tenantId: verified.tenantId,
      userId: verified.userId,
      ...(verified.name !== undefined ? { name: verified.name } : {}),
      ...(verified.upn !== undefined ? { upn: verified.upn } : {}),
      ...(verified.email !== undefined ? { email: verified.email } : {}),
      groups: verified.groups,
    };
  }

  return { verifyClaims, verify };
}

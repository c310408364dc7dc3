/**
 * Who is calling a console route, and with which access: a verified Entra ID token of a consented tenant, and
 * membership of the tenant's full-access or restricted-access group (from the token's `groups` claim, or through
 * Graph when the token carries a groups overage instead).
 */
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { ApiRequest } from '../http/request.js';
import { bearerToken } from '../http/request.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';
import { getTenant } from '../tenants/tenantRepository.js';
import { offboardingRefusal } from '../tenants/offboardingState.js';
import type { Tenant } from '../tenants/tenantRepository.js';
import { toGraphError } from '../graph/graphError.js';
import { TokenError } from '../tokens/entraToken.js';
import type { UserTokenValidator, VerifiedUser } from '../tokens/entraToken.js';

export type ConsoleAccess = 'full' | 'restricted';

export interface ConsolePrincipal {
  readonly tenantId: string;
  readonly userId: string;
  /** Display name, or the sign-in name when the token has none. */
  readonly name: string;
  /** Sign-in name (`preferred_username`), empty when the token has none. */
  readonly upn: string;
  /** `email` claim, else the sign-in name when it looks like an address. */
  readonly email?: string;
  readonly access: ConsoleAccess;
}

function unauthorized(detail: string, error?: TokenError): HttpError {
  const challenge = error
    ? `Bearer error="invalid_token", error_description="${error.message.replace(/["\\]/g, '')}"`
    : 'Bearer';
  return new HttpError(401, detail, { headers: { 'www-authenticate': challenge } });
}

/** What checking a user's token needs: the validator, the tenants table (admission) and the log (refusals). */
type UserTokenDeps = Pick<CorePorts, 'tables' | 'log'> & { readonly userTokens: UserTokenValidator };

/**
 * Verifies the request's bearer token as a delegated user token for our API, after `activeTenant` admitted its tenant:
 * 401 (with a Bearer challenge) for a missing or bad token, 403 (`insufficient_scope`) for an app-only token, one
 * without our scope or from an application that may not call these routes, 503 if keys are unreachable.
 */
async function verifiedUser(
  services: UserTokenDeps,
  request: ApiRequest,
  client: 'console' | 'agent',
): Promise<{ user: VerifiedUser; tenant: Tenant }> {
  const token = bearerToken(request);
  if (!token) throw unauthorized('A bearer token from Entra ID is required (Authorization: Bearer <token>).');
  let tenant: Tenant | undefined;
  try {
    const user = await services.userTokens.verify(token, {
      client,
      admit: async (tenantId) => {
        tenant = await activeTenant(services, tenantId);
      },
    });
    if (!tenant) throw new HttpError(403, 'Your organization is not connected to this service.');
    return { user, tenant };
  } catch (caught) {
    if (caught instanceof TokenError) throw tokenRefusal(services, caught);
    throw caught;
  }
}

/** The HTTP answer to a refused token: 401, 403 (valid but not allowed here) or 503 (keys unreachable). */
export function tokenRefusal(services: Pick<CorePorts, 'log'>, error: TokenError): HttpError {
  if (error.isInsufficient) {
    const description = error.message.replace(/["\\]/g, '');
    return new HttpError(403, `The bearer token was refused: ${error.message}`, {
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", error_description="${description}"` },
    });
  }
  if (error.isCallerFault) return unauthorized(`The bearer token was refused: ${error.message}`, error);
  services.log.warn(`Token keys unavailable: ${error.message}`);
  return new HttpError(503, 'Sign-in cannot be checked right now; please retry shortly.', { headers: { 'retry-after': '5' } });
}

/** The caller's tenant, which must be provisioned and consented: 403 otherwise. */
async function activeTenant(services: Pick<CorePorts, 'tables'>, tenantId: string): Promise<Tenant> {
  const tenant = await getTenant(services.tables, tenantId);
  if (!tenant) throw new HttpError(403, 'Your organization is not connected to this service.');
  if (tenant.status === 'offboarding') throw offboardingRefusal();
  if (tenant.status !== 'active') {
    throw new HttpError(403, "Your organization's administrator has not completed consent for this service yet.");
  }
  return tenant;
}

const checkMemberGroupsResponse = z.object({ value: z.array(z.string()) });

/** The subset of `groupIds` the user is a member of (transitively), through Graph with the app's token. */
async function memberOf(services: Pick<CorePorts, 'graph' | 'log'>, tenantId: string, userId: string, groupIds: string[]): Promise<string[]> {
  try {
    const raw: unknown = await services.graph
      .graph(tenantId)
      .api(`/users/${encodeURIComponent(userId)}/checkMemberGroups`)
      .post({ groupIds });
    const parsed = checkMemberGroupsResponse.safeParse(raw);
    if (!parsed.success) throw new Error('checkMemberGroups answered an unexpected shape');
    return parsed.data.value.map((id) => id.toLowerCase());
  } catch (caught) {
    const error = toGraphError(caught);
    if (error.status === 404) return [];
    services.log.warn(`Group membership lookup failed for tenant ${tenantId}: ${error.code} ${error.message}`);
    throw new HttpError(503, 'Your group membership cannot be checked right now; please retry shortly.', {
      headers: { 'retry-after': String(error.retryAfterSeconds ?? 5) },
    });
  }
}

const overageCacheMs = 60_000;

function looksLikeEmail(value: string | undefined): string | undefined {
  return value && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? value : undefined;
}

/** Console sign-in also asks Graph for the user's groups when the token has too many to carry them. */
export type ConsoleAuthDeps = UserTokenDeps & Pick<CorePorts, 'clock' | 'graph'>;

/** Authenticates console requests: 401 for a bad or missing token, 403 without access or consent. */
export function authenticateConsole(services: ConsoleAuthDeps): (request: ApiRequest) => Promise<ConsolePrincipal> {
  const overage = new LRUCache<string, { at: number; groups: string[] }>({ max: 10_000 });

  async function groupsOf(user: VerifiedUser, candidates: string[]): Promise<readonly string[]> {
    if (user.groups) return user.groups;
    const key = `${user.tenantId}|${user.userId}|${candidates.join(',')}`;
    const now = services.clock.now().getTime();
    const cached = overage.get(key);
    if (cached && now - cached.at < overageCacheMs) return cached.groups;
    const groups = await memberOf(services, user.tenantId, user.userId, candidates);
    overage.set(key, { at: now, groups });
    return groups;
  }

  return async (request) => {
    const { user, tenant } = await verifiedUser(services, request, 'console');
    const full = tenant.fullAccessGroupId.toLowerCase();
    const restricted = tenant.restrictedAccessGroupId?.toLowerCase();
    const groups = await groupsOf(user, restricted ? [full, restricted] : [full]);
    const access: ConsoleAccess | undefined = groups.includes(full)
      ? 'full'
      : restricted && groups.includes(restricted)
        ? 'restricted'
        : undefined;
    if (!access) {
      throw new HttpError(403, "You are not a member of your organization's full-access or restricted-access group for this console.");
    }
    const upn = user.upn ?? '';
    const email = user.email ?? looksLikeEmail(user.upn);
    return {
      tenantId: user.tenantId,
      userId: user.userId,
      name: user.name ?? (upn || user.userId),
      upn,
      ...(email ? { email } : {}),
      access,
    };
  };
}

/** Writes need full access: a restricted user gets 403. */
export function requireFull(principal: ConsolePrincipal): void {
  if (principal.access !== 'full') {
    throw new HttpError(403, 'This change needs full access; your access to this console is read-only (restricted).');
  }
}

/** Authenticates the agent's user at activation: the same token rules, a consented tenant, no group requirement. */
export function authenticateDeviceUser(services: UserTokenDeps): (request: ApiRequest) => Promise<VerifiedUser> {
  return async (request) => {
    const { user } = await verifiedUser(services, request, 'agent');
    return user;
  };
}

/** `authenticateConsole` followed by `requireFull`: for routes that change the tenant's configuration. */
export function authenticateFullAccess(services: ConsoleAuthDeps): (request: ApiRequest) => Promise<ConsolePrincipal> {
  const authenticate = authenticateConsole(services);
  return async (request) => {
    const principal = await authenticate(request);
    requireFull(principal);
    return principal;
  };
}

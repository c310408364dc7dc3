/**
 * Who may call the provider routes (`/api/v1/provider/...`): provider support, with the function key, or signed in
 * with Entra ID in the provider's own tenant (`PROVIDER_TENANT_ID`) carrying the app role `PROVIDER_SUPPORT_ROLE`
 * (`Provider.Support`), as a user or as an application. The principal names the actor for the audit log.
 *
 * - A request with `Authorization: Bearer` is judged by its token alone: a token from another tenant is refused (401)
 *   before anything is fetched for that tenant; a valid token without the role gets 403 (`insufficient_scope`).
 * - Otherwise the function key. Where `PROVIDER_FUNCTION_KEY` is set the routes are registered anonymous at the
 *   Functions host (`registeredAuthLevel` in functions/handlers.ts), so the key is compared here (constant time);
 *   where it is not, the routes are registered at `function` level and the host has checked the key already.
 */
import { timingSafeEqual } from 'node:crypto';
import { HttpError } from '../http/problem.js';
import { bearerToken, type ApiRequest } from '../http/request.js';
import type { CorePorts } from '../ports.js';
import type { AuditActor } from '../audit/auditLog.js';
import type { ProviderAuditActor } from '../audit/providerAudit.js';
import { TokenError, type UserTokenValidator } from '../tokens/entraToken.js';
import { tokenRefusal } from './console.js';

export type ProviderPrincipal =
  | { readonly kind: 'functionKey' }
  | {
      readonly kind: 'entra';
      /** `oid`: the user's, or the calling application's service principal's. */
      readonly objectId: string;
      /** The user's name and sign-in name; absent for an application. */
      readonly name?: string;
      readonly upn?: string;
      /** The calling application (`azp`). */
      readonly clientId?: string;
      readonly appOnly: boolean;
    };

const keyRefused = (): HttpError =>
  new HttpError(401, 'Provider routes require the function key (x-functions-key header or ?code=) or an Entra ID token of provider support.', {
    headers: { 'www-authenticate': 'Bearer' },
  });

function keyMatches(presented: string | null | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

type ProviderAuthDeps = Pick<CorePorts, 'config' | 'log'> & { readonly userTokens: UserTokenValidator };

export function authenticateProvider(services: ProviderAuthDeps): (request: ApiRequest) => Promise<ProviderPrincipal> {
  return async (request) => {
    const token = bearerToken(request);
    if (token === undefined && request.headers.get('authorization') === null) {
      const expected = services.config.PROVIDER_FUNCTION_KEY;
      if (expected !== undefined) {
        const presented = request.headers.get('x-functions-key') ?? request.query.get('code');
        if (!keyMatches(presented, expected)) throw keyRefused();
      }
      return { kind: 'functionKey' };
    }
    if (token === undefined) throw keyRefused();
    const providerTenant = services.config.PROVIDER_TENANT_ID;
    if (providerTenant === undefined) {
      throw new HttpError(401, 'Sign-in with Entra ID is not enabled for provider routes (PROVIDER_TENANT_ID); use the function key.', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    try {
      const verified = await services.userTokens.verifyClaims(token, {
        admit: (tenantId) => {
          if (tenantId !== providerTenant.toLowerCase()) {
            return Promise.reject(new TokenError('ERR_TOKEN_TENANT', "The token is not from the provider's tenant."));
          }
          return Promise.resolve();
        },
      });
      const role = services.config.PROVIDER_SUPPORT_ROLE;
      if (!verified.roles.includes(role)) {
        throw new TokenError('ERR_TOKEN_SCOPE', `The token does not carry the app role "${role}" of provider support.`);
      }
      return {
        kind: 'entra',
        objectId: verified.userId,
        ...(verified.appOnly ? {} : { ...(verified.name !== undefined ? { name: verified.name } : {}), ...(verified.upn !== undefined ? { upn: verified.upn } : {}) }),
        ...(verified.clientId !== undefined ? { clientId: verified.clientId } : {}),
        appOnly: verified.appOnly,
      };
    } catch (caught) {
      if (caught instanceof TokenError) throw tokenRefusal(services, caught);
      throw caught;
    }
  };
}

/** The actor provider actions record in a tenant's audit log. */
export function providerActor(tenantId: string, principal: ProviderPrincipal): AuditActor {
  if (principal.kind === 'functionKey') return { tenantId, userId: 'provider-support', name: 'Provider support (function key)' };
  if (principal.appOnly) {
    return { tenantId, userId: principal.objectId, name: `Provider support application ${principal.clientId ?? principal.objectId}` };
  }
  const who = principal.name && principal.upn ? `${principal.name} (${principal.upn})` : (principal.upn ?? principal.name ?? principal.objectId);
  return { tenantId, userId: principal.objectId, name: `Provider support: ${who}` };
}

/** The actor provider actions record in the provider's own audit log (shared/audit/providerAudit.ts). */
export function providerAuditActor(principal: ProviderPrincipal): ProviderAuditActor {
  if (principal.kind === 'functionKey') return { kind: 'functionKey', id: 'provider-support', name: 'Provider support (function key)' };
  const actor = providerActor('', principal);
  return { kind: principal.appOnly ? 'application' : 'user', id: actor.userId, name: actor.name };
}

/**
 * Who may read a tenant's event feed: the tenant's console users (full or restricted), and applications of the
 * tenant with an app-only token carrying our API's app role `Events.Read` (a SIEM connector). Every other app-only
 * token is refused (403), and the tenant is always the verified token's own.
 */
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { authenticateConsole, type ConsoleAuthDeps } from './console.js';
import { TokenError } from '../tokens/entraToken.js';
import { HttpError } from '../http/problem.js';
import { bearerToken, type ApiRequest } from '../http/request.js';
import { getTenant } from '../tenants/tenantRepository.js';
import { offboardingRefusal } from '../tenants/offboardingState.js';

export const eventsReadRole = 'Events.Read';

export interface FeedPrincipal {
  readonly tenantId: string;
  /** `user` for a console user, `app` for an application with `Events.Read`. */
  readonly kind: 'user' | 'app';
  /** What the caller may read: `full` (full-access users, `Events.Read` applications) or `restricted`. */
  readonly access: 'full' | 'restricted';
}

const delegationSchema = z.object({ scp: z.string().optional() });

function unauthorized(detail: string): HttpError {
  return new HttpError(401, detail, { headers: { 'www-authenticate': 'Bearer' } });
}

/** Whether the token is app-only (no `scp`); decided before verification only to choose the path, both of which verify. */
function claimsOf(token: string): z.output<typeof delegationSchema> | undefined {
  try {
    const parsed = delegationSchema.safeParse(decodeJwt(token));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function authenticateFeed(services: ConsoleAuthDeps): (request: ApiRequest) => Promise<FeedPrincipal> {
  const consoleUser = authenticateConsole(services);
  return async (request) => {
    const token = bearerToken(request);
    if (!token) throw unauthorized('A bearer token from Entra ID is required (Authorization: Bearer <token>).');
    const unverified = claimsOf(token);
    if (unverified?.scp !== undefined) {
      const principal = await consoleUser(request);
      return { tenantId: principal.tenantId, kind: 'user', access: principal.access };
    }
    // App-only: the tenant is admitted from our own tables before anything is fetched for it, then the token is
    // verified and its roles checked.
    let tenantId: string;
    let roles: readonly string[];
    try {
      const verified = await services.userTokens.verifyClaims(token, {
        admit: async (tenant) => {
          const found = await getTenant(services.tables, tenant);
          if (found?.status === 'offboarding') throw offboardingRefusal();
          if (!found || found.status !== 'active') throw new HttpError(403, 'Your organization is not connected to this service.');
        },
      });
      if (!verified.appOnly) throw unauthorized('A delegated token must carry a scope (scp).');
      tenantId = verified.tenantId;
      roles = verified.roles;
    } catch (caught) {
      if (caught instanceof TokenError) {
        if (caught.isCallerFault) throw unauthorized(`The bearer token was refused: ${caught.message}`);
        throw new HttpError(503, 'Sign-in cannot be checked right now; please retry shortly.', { headers: { 'retry-after': '5' } });
      }
      throw caught;
    }
    if (!roles.includes(eventsReadRole)) {
      throw new HttpError(403, `An application token needs the ${eventsReadRole} app role to read events.`);
    }
    return { tenantId, kind: 'app', access: 'full' };
  };
}

/**
 * Interactive sign-in for single-page apps (the web console), as Entra ID answers it:
 * - `GET /{tenant}/oauth2/v2.0/authorize`: a small page to pick a simulated user (no passwords), then a redirect to
 *   the app's `redirect_uri` with `code` and `state` (query or fragment, as `response_mode` asks);
 * - the token endpoint's `authorization_code` grant with PKCE (S256 only, as Entra for SPAs) and `refresh_token`
 *   grant, for public clients (no secret): an access token for the API scope asked (`aud` the API's client id,
 *   `scp` the scope's name, `azp` the console's client id), an ID token (`nonce`), `client_info` and a refresh token;
 * - CORS on the token endpoint, the OpenID metadata and the keys (`Access-Control-Allow-Origin: *`), as Entra ID
 *   answers browsers.
 * The public clients the simulator knows: the app's own client id and the development console client id below,
 * plus any registered with `registerPublicClient`.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { json, route, text } from './http.js';
import type { Route, SimRequest, SimResponse } from './http.js';
import type { SimState } from './state.js';
import type { TenantDirectory } from './directory.js';

/** The development web console's client id (`npm run dev` and the browser tests). */
export const devConsoleClientId = '44444444-4444-4444-8444-444444444444';

const MULTI_TENANT = new Set(['common', 'organizations']);
const CODE_LIFETIME_MS = 10 * 60_000;
const ACCESS_TOKEN_SECONDS = 3600;
const REFRESH_LIFETIME_MS = 24 * 3600_000;
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

interface Grant {
  tenantId: string;
  userId: string;
  clientId: string;
  scopes: string[];
  nonce?: string;
}

interface PendingCode extends Grant {
  redirectUri: string;
  challenge: string;
  expires: number;
}

interface InteractiveState {
  publicClients: Set<string>;
  codes: Map<string, PendingCode>;
  refreshTokens: Map<string, Grant & { expires: number }>;
}

const states = new WeakMap<SimState, InteractiveState>();

function interactive(state: SimState): InteractiveState {
  let found = states.get(state);
  if (!found) {
    found = { publicClients: new Set([devConsoleClientId, state.clientId]), codes: new Map(), refreshTokens: new Map() };
    states.set(state, found);
  }
  return found;
}

/** Lets another single-page app's client id sign users in. */
export function registerPublicClient(state: SimState, clientId: string): void {
  interactive(state).publicClients.add(clientId.toLowerCase());
}

/** CORS headers of Entra ID's answers to browsers (token endpoint, metadata, keys). */
export const entraCorsHeaders: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'content-type, client-request-id, x-client-sku, x-client-ver, x-client-os, x-client-cpu, x-client-current-telemetry, x-client-last-telemetry, x-ms-lib-capability, return-client-request-id, x-app-name, x-app-ver',
  'access-control-expose-headers': 'x-ms-request-id, client-request-id',
  'access-control-max-age': '86400',
};

/** True for the Entra paths a browser calls with fetch: they answer with CORS headers. */
export function isBrowserEntraPath(path: string): boolean {
  return /\/oauth2\/v2\.0\/token$|\/\.well-known\/openid-configuration$|\/discovery\/(v2\.0\/)?keys$/i.test(path);
}

function escapeHtml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function errorPage(status: number, code: number, description: string): SimResponse {
  return text(
    status,
    `<!DOCTYPE html><html lang="en"><head><title>Sign in to your account</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS${code}: ${escapeHtml(description)}</p></body></html>`,
    'text/html; charset=utf-8',
  );
}

function base64url(buffer: Buffer): string {
  return buffer.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The tenants a sign-in on `{tenant}` may pick users from. */
function tenantsFor(state: SimState, tenantParam: string): TenantDirectory[] | undefined {
  if (MULTI_TENANT.has(tenantParam.toLowerCase())) return [...state.tenants.values()];
  const tenant = state.findTenant(tenantParam);
  return tenant ? [tenant] : undefined;
}

function validRedirect(value: string | null): URL | undefined {
  try {
    const url = new URL(value ?? '');
    if (url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(url.hostname))) return url;
  } catch {
    // Not a URL.
  }
  return undefined;
}

/** Sends the browser back to the app with the given parameters, in the query or the fragment. */
function redirectBack(target: URL, mode: string | null, params: Record<string, string>): SimResponse {
  const url = new URL(target.toString());
  const values = new URLSearchParams(params);
  if (mode === 'query') {
    for (const [k, v] of values) url.searchParams.set(k, v);
  } else {
    url.hash = values.toString();
  }
  return { status: 302, headers: { location: url.toString(), 'cache-control': 'no-store' } };
}

function authorize(state: SimState, req: SimRequest, tenantParam: string): SimResponse {
  const q = req.query;
  const tenants = tenantsFor(state, tenantParam);
  if (!tenants) return errorPage(400, 90002, `Tenant '${tenantParam}' not found.`);
  const clientId = (q.get('client_id') ?? '').toLowerCase();
  if (!interactive(state).publicClients.has(clientId)) {
    return errorPage(400, 700016, `Application with identifier '${clientId}' was not found in the directory.`);
  }
  const redirect = validRedirect(q.get('redirect_uri'));
  if (!redirect) return errorPage(400, 50011, 'The redirect URI specified in the request does not match the redirect URIs configured for the application.');
  const mode = q.get('response_mode');
  const relay = q.get('state') ?? '';
  const fail = (error: string, description: string): SimResponse =>
    redirectBack(redirect, mode, { error, error_description: description, ...(relay ? { state: relay } : {}) });
  if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'AADSTS700054: response_type must be code.');
  const challenge = q.get('code_challenge');
  if (!challenge || q.get('code_challenge_method') !== 'S256') {
    return fail('invalid_request', 'AADSTS9002325: Proof Key for Code Exchange is required for cross-origin authorization code redemption (S256).');
  }
  const chosen = q.get('sim_user');
  if (!chosen) {
    if (q.get('prompt') === 'none') return fail('login_required', 'AADSTS50058: A silent sign-in request was sent but no user is signed in.');
    return pickPage(req, tenants);
  }
  const [tenantId, userId] = chosen.split(':');
  const tenant = tenants.find((t) => t.id === tenantId);
  const user = tenant?.users.get(userId ?? '');
  if (!tenant || !user) return errorPage(400, 50034, 'The user account does not exist in the directory.');
  const code = base64url(randomBytes(32));
  const scopes = (q.get('scope') ?? '').split(/\s+/).filter((s) => s !== '');
  const nonce = q.get('nonce');
  interactive(state).codes.set(code, {
    tenantId: tenant.id,
    userId: user.id,
    clientId,
    scopes,
    redirectUri: q.get('redirect_uri') ?? '',
    challenge,
    expires: Date.now() + CODE_LIFETIME_MS,
    ...(nonce ? { nonce } : {}),
  });
  const clientInfo = base64url(Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })));
  return redirectBack(redirect, mode, { code, client_info: clientInfo, ...(relay ? { state: relay } : {}) });
}

/** The account picker: every user of the tenant(s), with the groups each belongs to. */
function pickPage(req: SimRequest, tenants: TenantDirectory[]): SimResponse {
  const sections = tenants.map((tenant) => {
    const users = [...tenant.users.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
    const rows = users.map((user) => {
      const link = new URLSearchParams(req.query);
      link.set('sim_user', `${tenant.id}:${user.id}`);
      const groups = tenant
        .transitiveGroupsOf(user.id)
        .map((id) => tenant.groups.get(id)?.displayName)
        .filter((name): name is string => name !== undefined)
        .sort();
      return `<li><a href="${escapeHtml(`${req.rawPath}?${link.toString()}`)}"><strong>${escapeHtml(user.displayName)}</strong> <span>${escapeHtml(user.userPrincipalName)}</span></a><small>${escapeHtml(groups.join(', ') || 'no groups')}</small></li>`;
    });
    return `<section><h2>${escapeHtml(tenant.displayName)}</h2><ul>${rows.join('')}</ul></section>`;
  });
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Pick an account</title>
<style>body{font-family:"Segoe UI",system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}h1{font-size:1.5rem}
ul{list-style:none;padding:0}li{border-bottom:1px solid #e1e1e1;padding:.5rem 0;display:flex;flex-direction:column}a{color:#0067b8;text-decoration:none}a:hover,a:focus{text-decoration:underline}
small{color:#616161}span{color:#444;margin-left:.5rem}</style></head>
<body><main><h1>Pick an account</h1><p>Simulated Entra ID sign-in: choose who signs in. No password is asked.</p>${sections.join('')}</main></body></html>`;
  return { status: 200, body: html, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } };
}

/** Is this token request one of the interactive grants (authorization code, refresh token)? */
export function isInteractiveGrant(form: URLSearchParams): boolean {
  const grant = form.get('grant_type');
  return grant === 'authorization_code' || grant === 'refresh_token';
}

function tokenError(status: number, error: string, code: number, description: string): SimResponse {
  return json(
    status,
    { error, error_description: `AADSTS${code}: ${description}`, error_codes: [code], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() },
    { 'cache-control': 'no-store', ...entraCorsHeaders },
  );
}

/** The authorization-code (PKCE) and refresh-token grants for public clients. */
export async function interactiveToken(state: SimState, req: SimRequest): Promise<SimResponse> {
  const form = new URLSearchParams(req.rawBody);
  const store = interactive(state);
  const clientId = (form.get('client_id') ?? '').toLowerCase();
  let grant: Grant;
  if (form.get('grant_type') === 'authorization_code') {
    const code = form.get('code') ?? '';
    const pending = store.codes.get(code);
    store.codes.delete(code);
    if (!pending || pending.expires < Date.now()) {
      return tokenError(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired or was already redeemed.');
    }
    if (pending.clientId !== clientId) return tokenError(400, 'invalid_grant', 70002, 'The code was issued to another client.');
    if (pending.redirectUri !== (form.get('redirect_uri') ?? '')) {
      return tokenError(400, 'invalid_grant', 50148, 'The redirect_uri does not match the one of the authorization request.');
    }
    const verifier = form.get('code_verifier') ?? '';
    if (base64url(createHash('sha256').update(verifier).digest()) !== pending.challenge) {
      return tokenError(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
    }
    grant = pending;
  } else {
    const refresh = form.get('refresh_token') ?? '';
    const known = store.refreshTokens.get(refresh);
    if (!known || known.expires < Date.now() || known.clientId !== clientId) {
      return tokenError(400, 'invalid_grant', 700082, 'The refresh token has expired or is not valid.');
    }
    const asked = (form.get('scope') ?? '').split(/\s+/).filter((s) => s !== '');
    grant = { ...known, scopes: asked.length > 0 ? asked : known.scopes };
  }
  const tenant = state.findTenant(grant.tenantId);
  const user = tenant?.users.get(grant.userId);
  if (!tenant || !user) return tokenError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');

  // The API scope: `api://{appId}/{scope}` or `{appId}/{scope}` of the app registration the simulator knows.
  const resourceScopes = grant.scopes.filter((s) => !OIDC_SCOPES.has(s));
  const apiScope = resourceScopes.find((s) => /^(api:\/\/)?[^/]+\/[^/]+$/.test(s) && !s.endsWith('/.default'));
  const now = Math.floor(Date.now() / 1000);
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: resourceScopes.join(' '),
    expires_in: ACCESS_TOKEN_SECONDS,
    ext_expires_in: ACCESS_TOKEN_SECONDS,
    client_info: base64url(Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id }))),
  };
  if (apiScope) {
    const withoutPrefix = apiScope.replace(/^api:\/\//, '');
    const slash = withoutPrefix.lastIndexOf('/');
    const audience = withoutPrefix.slice(0, slash).toLowerCase();
    const scopeName = withoutPrefix.slice(slash + 1);
    if (audience !== state.clientId) {
      return tokenError(400, 'invalid_resource', 500011, `The resource principal named ${audience} was not found in the tenant named ${tenant.displayName}.`);
    }
    body.access_token = await state.mintUserToken({
      tenantId: tenant.id,
      userId: user.id,
      audience,
      lifetimeSeconds: ACCESS_TOKEN_SECONDS,
      claims: { azp: clientId, scp: scopeName },
    });
  }
  if (grant.scopes.includes('openid')) {
    body.id_token = await state.keys.sign({
      aud: clientId,
      iss: state.issuer(tenant.id),
      iat: now,
      nbf: now,
      exp: now + ACCESS_TOKEN_SECONDS,
      name: user.displayName,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      sub: createHash('sha256').update(`${user.id}:${clientId}`).digest('hex').slice(0, 43),
      tid: tenant.id,
      ver: '2.0',
      ...(grant.nonce ? { nonce: grant.nonce } : {}),
    });
  }
  if (grant.scopes.includes('offline_access') || form.get('grant_type') === 'refresh_token') {
    const refresh = base64url(randomBytes(32));
    store.refreshTokens.set(refresh, {
      tenantId: tenant.id,
      userId: user.id,
      clientId,
      scopes: grant.scopes,
      expires: Date.now() + REFRESH_LIFETIME_MS,
    });
    body.refresh_token = refresh;
  }
  return json(200, body, { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', ...entraCorsHeaders });
}

function logout(req: SimRequest): SimResponse {
  const back = validRedirect(req.query.get('post_logout_redirect_uri'));
  if (back) return { status: 302, headers: { location: back.toString(), 'cache-control': 'no-store' } };
  return text(200, '<!DOCTYPE html><html lang="en"><head><title>Signed out</title></head><body><p>You signed out of your account.</p></body></html>', 'text/html; charset=utf-8');
}

export function interactiveRoutes(state: SimState): Route[] {
  const preflight = (req: SimRequest): SimResponse => ({
    status: 204,
    headers: { ...entraCorsHeaders, 'access-control-allow-headers': req.headers['access-control-request-headers'] ?? entraCorsHeaders['access-control-allow-headers'] ?? '' },
  });
  return [
    route('GET', '/{tenant}/oauth2/v2.0/authorize', (req, p) => authorize(state, req, p.tenant ?? '')),
    route('GET', '/{tenant}/oauth2/v2.0/logout', (req) => logout(req)),
    route('OPTIONS', '/{tenant}/oauth2/v2.0/token', preflight),
    route('OPTIONS', '/{tenant}/v2.0/.well-known/openid-configuration', preflight),
    route('OPTIONS', '/{tenant}/discovery/v2.0/keys', preflight),
  ];
}

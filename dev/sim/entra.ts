/**
 * Entra ID endpoints: OpenID metadata, JWKS, the v2 token endpoint (client credentials with a secret or a
 * client assertion) and the admin-consent redirect.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { json, route, text } from './http.js';
import type { Route, SimRequest, SimResponse } from './http.js';
import { GRAPH_RESOURCE } from './state.js';
import type { SimState } from './state.js';
import { interactiveToken, isInteractiveGrant } from './interactive.js';

const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function entraTimestamp(): string {
  return new Date().toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** Entra's OAuth error body (`error`, `error_description` with the AADSTS code, `error_codes`, ids). */
export function entraError(state: SimState, status: number, error: string, code: number, description: string): SimResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = entraTimestamp();
  return json(
    status,
    {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${state.origin}/error?code=${code}`,
    },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
  );
}

function errorPage(status: number, code: number, description: string): SimResponse {
  const safe = description.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return text(
    status,
    `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><h1>Sorry, but we're having trouble signing you in.</h1><p>AADSTS${code}: ${safe}</p></body></html>`,
    'text/html; charset=utf-8',
  );
}

function openIdConfiguration(state: SimState, tenant: string, issuerTenant: string): Record<string, unknown> {
  const base = `${state.origin}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${state.origin}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${state.origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud',
      'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: new URL(state.origin).host,
    rbac_url: 'https://pas.windows.net',
  };
}

/** Checks a client assertion's shape (it stands in for a managed identity's federated token). */
function assertionProblem(state: SimState, assertion: string, tenantId: string): string | undefined {
  try {
    const header = decodeProtectedHeader(assertion);
    const claims = decodeJwt(assertion);
    if (typeof header.alg !== 'string' || header.alg === 'none') return 'The client assertion is not signed.';
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp < now - 300) return 'The client assertion has expired.';
    if (typeof claims.iss !== 'string' || claims.iss === '') return 'The client assertion has no issuer.';
    if (typeof claims.sub !== 'string' || claims.sub === '') return 'The client assertion has no subject.';
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const accepted = new Set([
      'api://AzureADTokenExchange',
      `${state.origin}/${tenantId}/oauth2/v2.0/token`,
      `${state.origin}/${tenantId}/v2.0`,
      `${state.origin}/${tenantId}/`,
    ]);
    if (!audiences.some((a) => typeof a === 'string' && accepted.has(a))) {
      return 'The audience claim of the client assertion is not valid.';
    }
    return undefined;
  } catch {
    return 'JWT token is invalid or malformed.';
  }
}

function basicCredentials(req: SimRequest): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

async function token(state: SimState, req: SimRequest, tenantParam: string): Promise<SimResponse> {
  const form = new URLSearchParams(req.rawBody);
  // Single-page apps: the authorization-code (PKCE) and refresh-token grants (dev/sim/interactive.ts).
  if (isInteractiveGrant(form)) return interactiveToken(state, req);
  if (MULTI_TENANT.has(tenantParam.toLowerCase())) {
    return entraError(state, 400, 'invalid_request', 700016,
      `Use a tenant-specific endpoint: the client credentials flow is not supported on /${tenantParam}.`);
  }
  const tenant = state.findTenant(tenantParam);
  if (!tenant) {
    return entraError(state, 400, 'invalid_request', 90002,
      `Tenant '${tenantParam}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
  }
  const grantType = form.get('grant_type');
  if (grantType !== 'client_credentials') {
    return entraError(state, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType ?? ''}'.`);
  }
  const basic = basicCredentials(req);
  const clientId = (form.get('client_id') ?? basic?.id ?? '').toLowerCase();
  if (!clientId) {
    return entraError(state, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  }
  // An unknown app, or one without consent (no service principal in the tenant), gets the same answer.
  if (clientId !== state.clientId || !state.isConsented(tenant.id)) {
    return entraError(state, 400, 'unauthorized_client', 700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  const secret = form.get('client_secret') ?? basic?.secret;
  const assertion = form.get('client_assertion');
  if (secret !== null && secret !== undefined) {
    if (secret !== state.clientSecret) {
      return entraError(state, 401, 'invalid_client', 7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
  } else if (assertion !== null) {
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) {
      return entraError(state, 400, 'invalid_request', 50027, `client_assertion_type must be '${ASSERTION_TYPE}'.`);
    }
    const problem = assertionProblem(state, assertion, tenant.id);
    if (problem) return entraError(state, 401, 'invalid_client', 700027, `Client assertion failed validation: ${problem}`);
  } else {
    return entraError(state, 401, 'invalid_client', 7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  const scopes = (form.get('scope') ?? '').split(/\s+/).filter((s) => s !== '');
  const resources = scopes.filter((s) => !['openid', 'profile', 'offline_access', 'email'].includes(s));
  const scope = resources[0];
  if (resources.length !== 1 || !scope?.endsWith('/.default')) {
    return entraError(state, 400, 'invalid_scope', 1002012,
      `The provided value for scope ${scopes.join(' ')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  }
  const resource = scope.slice(0, -'/.default'.length).replace(/\/$/, '');
  if (resource !== GRAPH_RESOURCE && resource !== GRAPH_APP_ID) {
    return entraError(state, 400, 'invalid_resource', 500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
  }
  const lifetime = 3599;
  const accessToken = await state.mintAppToken(tenant.id, lifetime + 1);
  return json(
    200,
    { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
  );
}

function adminConsent(state: SimState, req: SimRequest, tenantParam: string): SimResponse {
  const tenant = state.findTenant(tenantParam);
  if (!tenant) return errorPage(400, 90002, `Tenant '${tenantParam}' not found.`);
  const clientId = (req.query.get('client_id') ?? '').toLowerCase();
  if (clientId !== state.clientId) {
    return errorPage(400, 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'.`);
  }
  const redirectUri = req.query.get('redirect_uri');
  let target: URL;
  try {
    target = new URL(redirectUri ?? '');
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('scheme');
  } catch {
    return errorPage(400, 50011, 'The redirect URI specified in the request does not match the redirect URIs configured for the application.');
  }
  const failure = state.takeConsentAttempt(tenant.id);
  if (failure) {
    // Entra reports errors with admin_consent=True too, and without the tenant.
    target.searchParams.set('error', failure.error);
    target.searchParams.set('error_description', failure.description);
    target.searchParams.set('admin_consent', 'True');
  } else {
    target.searchParams.set('admin_consent', 'True');
    target.searchParams.set('tenant', tenant.id);
    target.searchParams.set('scope', req.query.get('scope') ?? `${GRAPH_RESOURCE}/.default`);
  }
  const relayState = req.query.get('state');
  if (relayState !== null) target.searchParams.set('state', relayState);
  return { status: 302, headers: { location: target.toString(), 'cache-control': 'no-store' } };
}

export function entraRoutes(state: SimState): Route[] {
  const metadata = (tenantParam: string): SimResponse => {
    const lower = tenantParam.toLowerCase();
    if (MULTI_TENANT.has(lower)) return json(200, openIdConfiguration(state, lower, '{tenantid}'));
    const tenant = state.findTenant(tenantParam);
    if (!tenant) {
      return entraError(state, 400, 'invalid_tenant', 90002,
        `Tenant '${tenantParam}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    return json(200, openIdConfiguration(state, tenantParam, tenant.id));
  };
  const keys = (tenantParam: string): SimResponse => {
    if (!MULTI_TENANT.has(tenantParam.toLowerCase()) && !state.findTenant(tenantParam)) {
      return entraError(state, 400, 'invalid_tenant', 90002, `Tenant '${tenantParam}' not found.`);
    }
    return json(200, state.keys.jwks(), { 'cache-control': 'max-age=86400, private' });
  };
  return [
    route('GET', '/{tenant}/v2.0/.well-known/openid-configuration', (_req, p) => metadata(p.tenant ?? '')),
    route('GET', '/{tenant}/discovery/v2.0/keys', (_req, p) => keys(p.tenant ?? '')),
    route('GET', '/{tenant}/discovery/keys', (_req, p) => keys(p.tenant ?? '')),
    route('POST', '/{tenant}/oauth2/v2.0/token', (req, p) => token(state, req, p.tenant ?? '')),
    route('GET', '/{tenant}/v2.0/adminconsent', (req, p) => adminConsent(state, req, p.tenant ?? '')),
    route('GET', '/{tenant}/adminconsent', (req, p) => adminConsent(state, req, p.tenant ?? '')),
  ];
}

/**
 * Entra ID in the simulator, through the real @azure/identity credentials and jose's remote JWKS.
 */
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { CONTOSO, FABRIKAM, control, startTestSimulator } from './simFixture.js';

const CLIENT_ID = '33333333-3333-4333-8333-333333333333';
const SECRET = 'sim-client-secret';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});

function credential(tenantId: string, secret = SECRET): ClientSecretCredential {
  return new ClientSecretCredential(tenantId, CLIENT_ID, secret, { authorityHost: sim.url, disableInstanceDiscovery: true });
}

async function consentRedirect(tenantId: string, state: string): Promise<URL> {
  const url = new URL(`${sim.url}/${tenantId}/v2.0/adminconsent`);
  url.searchParams.set('client_id', CLIENT_ID);
  url.searchParams.set('scope', GRAPH_SCOPE);
  url.searchParams.set('redirect_uri', 'http://localhost:7071/api/consent/callback');
  url.searchParams.set('state', state);
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

describe('app tokens and admin consent', () => {
  it('refuses a token before consent, grants one after the admin consents, and refuses again after revocation', async () => {
    await expect(credential(CONTOSO).getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700016/);

    const back = await consentRedirect(CONTOSO, 'state-123');
    expect(back.origin + back.pathname).toBe('http://localhost:7071/api/consent/callback');
    expect(back.searchParams.get('admin_consent')).toBe('True');
    expect(back.searchParams.get('tenant')).toBe(CONTOSO);
    expect(back.searchParams.get('state')).toBe('state-123');
    expect(back.searchParams.get('error')).toBeNull();

    const token = await credential(CONTOSO).getToken(GRAPH_SCOPE);
    const claims = decodeJwt(token.token);
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', tid: CONTOSO, appid: CLIENT_ID, azp: CLIENT_ID });
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 30 * 60_000);

    // Consent is per tenant: Fabrikam has not consented.
    await expect(credential(FABRIKAM).getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700016/);

    expect((await control(sim, 'DELETE', `/_sim/consent/${CONTOSO}`)).status).toBe(204);
    await expect(credential(CONTOSO).getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700016/);
  });

  it('answers a wrong client secret with 401 invalid_client', async () => {
    sim.state.grantConsent(FABRIKAM);
    await expect(credential(FABRIKAM, 'wrong-secret').getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS7000215/);
    const res = await fetch(`${sim.url}/${FABRIKAM}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: 'nope', scope: GRAPH_SCOPE }),
    });
    expect(res.status).toBe(401);
    const body: unknown = await res.json();
    expect(body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
  });

  it('redirects a failed consent with error, admin_consent=True and the state, and grants nothing', async () => {
    sim.state.revokeConsent(CONTOSO);
    expect((await control(sim, 'POST', `/_sim/consent/${CONTOSO}/fail-next`, { description: 'AADSTS65004: declined' })).status).toBe(204);
    const back = await consentRedirect(CONTOSO, 's-fail');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toContain('AADSTS65004');
    expect(back.searchParams.get('admin_consent')).toBe('True');
    expect(back.searchParams.get('state')).toBe('s-fail');
    expect(back.searchParams.get('tenant')).toBeNull();
    expect(sim.state.isConsented(CONTOSO)).toBe(false);
    // The failure was for one attempt only.
    expect((await consentRedirect(CONTOSO, 's-ok')).searchParams.get('admin_consent')).toBe('True');
    expect(sim.state.isConsented(CONTOSO)).toBe(true);
  });

  it('accepts a client assertion (federated credential) through ClientAssertionCredential', async () => {
    sim.state.grantConsent(CONTOSO);
    const signingKey = new TextEncoder().encode('a-federated-identity-signing-secret-of-32+bytes');
    const getAssertion = async (): Promise<string> =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://login.microsoftonline.com/managed-identity-tenant/v2.0')
        .setSubject('managed-identity-object-id')
        .setAudience('api://AzureADTokenExchange')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(signingKey);
    const cred = new ClientAssertionCredential(CONTOSO, CLIENT_ID, getAssertion, { authorityHost: sim.url, disableInstanceDiscovery: true });
    const token = await cred.getToken(GRAPH_SCOPE);
    expect(decodeJwt(token.token).tid).toBe(CONTOSO);

    const badAudience = new ClientAssertionCredential(
      CONTOSO,
      CLIENT_ID,
      async () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('x').setSubject('y').setAudience('https://elsewhere').setExpirationTime('10m').sign(signingKey),
      { authorityHost: sim.url, disableInstanceDiscovery: true },
    );
    await expect(badAudience.getToken(GRAPH_SCOPE)).rejects.toThrow(/AADSTS700027/);
  });
});

describe('user tokens and the JWKS', () => {
  const issuer = (tid: string): string => `${sim.url}/${tid}/v2.0`;

  async function userToken(body: Record<string, unknown>): Promise<string> {
    const res = await control(sim, 'POST', '/_sim/tokens/user', body);
    expect(res.status).toBe(200);
    return (res.body as { token: string }).token;
  }

  async function jwksFor(tid: string, cooldownDuration = 0): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const meta = (await (await fetch(`${issuer(tid)}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    expect(meta.issuer).toBe(issuer(tid));
    return createRemoteJWKSet(new URL(meta.jwks_uri), { cooldownDuration });
  }

  it('issues v2 tokens that verify with the exact issuer, carrying transitive group ids', async () => {
    const pilot = [...sim.state.tenant(CONTOSO).groups.values()].find((g) => g.displayName === 'MTD-Pilot');
    const nested = [...sim.state.tenant(CONTOSO).groups.values()].find((g) => g.displayName === 'MTD-Pilot-Nested');
    const nestedMember = [...(nested?.members ?? [])][0] ?? '';
    const token = await userToken({ tenantId: CONTOSO, userId: nestedMember, audience: 'api://mtd' });
    const { payload } = await jwtVerify(token, await jwksFor(CONTOSO), { issuer: issuer(CONTOSO), audience: 'api://mtd' });
    expect(payload).toMatchObject({ tid: CONTOSO, oid: nestedMember, ver: '2.0' });
    expect(payload.groups).toEqual(expect.arrayContaining([nested?.id, pilot?.id]));
    expect(payload.preferred_username).toMatch(/@contoso\.onmicrosoft\.com$/);

    // Another tenant's issuer does not match.
    await expect(jwtVerify(token, await jwksFor(CONTOSO), { issuer: issuer(FABRIKAM) })).rejects.toThrow();
  });

  it('uses the overage claim instead of groups when asked', async () => {
    const token = await userToken({ tenantId: CONTOSO, upn: 'adele.vance@contoso.onmicrosoft.com', groupsOverage: true });
    const claims = decodeJwt(token);
    expect(claims.groups).toBeUndefined();
    expect(claims._claim_names).toEqual({ groups: 'src1' });
    expect(claims._claim_sources).toEqual({ src1: { endpoint: `${sim.url}/v1.0/users/${String(claims.oid)}/getMemberObjects` } });
    expect(claims.aud).toBe(CLIENT_ID);
  });

  it("carries the API's app roles assigned to a user (the provider's support staff), and none for others", async () => {
    const woodgrove = '77777777-7777-4777-8777-777777777777';
    const support = decodeJwt(await userToken({ tenantId: woodgrove, upn: 'nestor.wilke@woodgrove.onmicrosoft.com' }));
    expect(support).toMatchObject({ tid: woodgrove, roles: ['Provider.Support'] });
    expect(decodeJwt(await userToken({ tenantId: woodgrove, upn: 'pradeep.gupta@woodgrove.onmicrosoft.com' })).roles).toBeUndefined();
    expect(decodeJwt(await userToken({ tenantId: CONTOSO, upn: 'adele.vance@contoso.onmicrosoft.com' })).roles).toBeUndefined();
  });

  it('signs with an unlisted key or overridden claims for negative tests', async () => {
    const jwks = await jwksFor(CONTOSO);
    const unlisted = await userToken({ tenantId: CONTOSO, upn: 'adele.vance@contoso.onmicrosoft.com', signWith: 'unlisted' });
    await expect(jwtVerify(unlisted, jwks, { issuer: issuer(CONTOSO) })).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    const expired = await userToken({ tenantId: CONTOSO, upn: 'adele.vance@contoso.onmicrosoft.com', claims: { exp: Math.floor(Date.now() / 1000) - 3600 } });
    await expect(jwtVerify(expired, jwks, { issuer: issuer(CONTOSO) })).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    const noTid = await userToken({ tenantId: CONTOSO, upn: 'adele.vance@contoso.onmicrosoft.com', claims: { tid: null } });
    expect(decodeJwt(noTid).tid).toBeUndefined();
  });

  it('rotates signing keys: a client with a cached JWKS refreshes on the unknown kid', async () => {
    const jwks = await jwksFor(CONTOSO);
    const before = await userToken({ tenantId: CONTOSO, upn: 'adele.vance@contoso.onmicrosoft.com' });
    await jwtVerify(before, jwks, { issuer: issuer(CONTOSO) });
    const rotated = await control(sim, 'POST', '/_sim/keys/rotate', { retireOld: true });
    expect(rotated.status).toBe(200);
    const after = await userToken({ tenantId: CONTOSO, upn: 'adele.vance@contoso.onmicrosoft.com' });
    const { protectedHeader } = await jwtVerify(after, jwks, { issuer: issuer(CONTOSO) });
    expect(protectedHeader.kid).toBe((rotated.body as { kid: string }).kid);
    // The retired key is gone from the JWKS.
    await expect(jwtVerify(before, await jwksFor(CONTOSO), { issuer: issuer(CONTOSO) })).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('serves multi-tenant metadata with the {tenantid} issuer template', async () => {
    const meta = (await (await fetch(`${sim.url}/common/v2.0/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(`${sim.url}/{tenantid}/v2.0`);
    expect(meta.jwks_uri).toBe(`${sim.url}/common/discovery/v2.0/keys`);
    const unknown = await fetch(`${sim.url}/99999999-9999-4999-8999-999999999999/v2.0/.well-known/openid-configuration`);
    expect(unknown.status).toBe(400);
  });
});

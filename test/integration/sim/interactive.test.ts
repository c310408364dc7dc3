/**
 * The simulator's interactive sign-in for single-page apps: the account picker, the authorization code redeemed
 * with PKCE (and refused without the right verifier, twice, or for another redirect URI), refresh tokens, the
 * token's claims, and CORS as Entra ID answers browsers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { devConsoleClientId } from '../../../dev/sim/interactive.js';
import { CONTOSO, startTestSimulator } from './simFixture.js';

let sim: Simulator;
const redirectUri = 'http://localhost:5999/';
const adeleUpn = 'adele.vance@contoso.onmicrosoft.com';

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(challenge: string, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({
    client_id: devConsoleClientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: `api://${sim.state.clientId}/access_as_user openid profile offline_access`,
    state: 'relay-1',
    nonce: 'nonce-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return `${sim.url}/organizations/oauth2/v2.0/authorize?${params.toString()}`;
}

/** The picker's link for a user, followed: the code in the redirect's fragment. */
async function signInAs(upn: string, challenge: string): Promise<string> {
  const picker = await fetch(authorizeUrl(challenge));
  expect(picker.status).toBe(200);
  const html = await picker.text();
  const link = new RegExp(`href="([^"]+)"><strong>[^<]+</strong> <span>${upn.replace(/\./g, '\\.')}</span>`).exec(html)?.[1];
  expect(link).toBeDefined();
  const chosen = await fetch(`${sim.url}${(link ?? '').replace(/&#38;/g, '&')}`, { redirect: 'manual' });
  expect(chosen.status).toBe(302);
  const location = new URL(chosen.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
  const answer = new URLSearchParams(location.hash.slice(1));
  expect(answer.get('state')).toBe('relay-1');
  return answer.get('code') ?? '';
}

function redeem(form: Record<string, string>): Promise<Response> {
  return fetch(`${sim.url}/organizations/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:5999' },
    body: new URLSearchParams({ client_id: devConsoleClientId, redirect_uri: redirectUri, ...form }).toString(),
  });
}

describe('simulated Entra ID: interactive sign-in', () => {
  it('lists the users with their groups and sends a code back; PKCE redeems it once', async () => {
    const { verifier, challenge } = pkce();
    const picker = await (await fetch(authorizeUrl(challenge))).text();
    expect(picker).toContain('Pick an account');
    expect(picker).toMatch(/Adele Vance.*Console Admins/s);

    const code = await signInAs(adeleUpn, challenge);
    const reply = await redeem({ grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await reply.json()) as Record<string, string>;
    const access = decodeJwt(body.access_token ?? '');
    expect(access).toMatchObject({ aud: sim.state.clientId, scp: 'access_as_user', azp: devConsoleClientId, tid: CONTOSO, upn: adeleUpn });
    expect(access.groups).toContain('5246c2f8-d5f2-45e8-9c62-63dd8231e980');
    expect(decodeJwt(body.id_token ?? '')).toMatchObject({ aud: devConsoleClientId, nonce: 'nonce-1', tid: CONTOSO });
    expect(JSON.parse(Buffer.from(body.client_info ?? '', 'base64url').toString('utf8'))).toEqual({ uid: access.oid, utid: CONTOSO });

    // Single use.
    const again = await redeem({ grant_type: 'authorization_code', code, code_verifier: verifier });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_grant');

    // The refresh token gets a new access token.
    const refreshed = await redeem({ grant_type: 'refresh_token', refresh_token: body.refresh_token ?? '', scope: `api://${sim.state.clientId}/access_as_user openid` });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(((await refreshed.json()) as { access_token: string }).access_token)).toMatchObject({ scp: 'access_as_user', azp: devConsoleClientId });
  });

  it('refuses a code with the wrong verifier or another redirect URI', async () => {
    const { verifier, challenge } = pkce();
    const wrong = await redeem({ grant_type: 'authorization_code', code: await signInAs(adeleUpn, challenge), code_verifier: pkce().verifier });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error_description: string }).error_description).toContain('Code_Verifier');

    const code = await signInAs(adeleUpn, challenge);
    const elsewhere = await fetch(`${sim.url}/organizations/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: devConsoleClientId, redirect_uri: 'http://localhost:6000/', grant_type: 'authorization_code', code, code_verifier: verifier }).toString(),
    });
    expect(elsewhere.status).toBe(400);
  });

  it('requires PKCE and a known client, and answers preflights as Entra ID does', async () => {
    const noPkce = await fetch(authorizeUrl('x', { code_challenge_method: 'plain' }), { redirect: 'manual' });
    expect(noPkce.status).toBe(302);
    expect(new URLSearchParams(new URL(noPkce.headers.get('location') ?? '').hash.slice(1)).get('error')).toBe('invalid_request');

    const stranger = await fetch(authorizeUrl('x', { client_id: '99999999-9999-4999-8999-999999999999' }));
    expect(stranger.status).toBe(400);
    expect(await stranger.text()).toContain('AADSTS700016');

    const preflight = await fetch(`${sim.url}/organizations/oauth2/v2.0/token`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5999', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-client-sku' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type,x-client-sku');
    const metadata = await fetch(`${sim.url}/organizations/v2.0/.well-known/openid-configuration`, { headers: { origin: 'http://localhost:5999' } });
    expect(metadata.headers.get('access-control-allow-origin')).toBe('*');
    expect(((await metadata.json()) as { authorization_endpoint: string }).authorization_endpoint).toBe(`${sim.url}/organizations/oauth2/v2.0/authorize`);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createUserTokenValidator, TokenError, type UserTokenValidator, type UserVerifyOptions } from '../../../shared/tokens/entraToken.js';
import { contoso, fabrikam, simConfig, startSim } from '../auth/harness.js';
import type { Simulator } from '../../../dev/sim/server.js';

let sim: Simulator;
let validator: UserTokenValidator;
let metadataFetches = 0;

beforeAll(async () => {
  sim = await startSim();
  validator = createUserTokenValidator(simConfig(sim.url), {
    fetch: (input, init) => {
      metadataFetches += 1;
      return fetch(input, init);
    },
  });
});
afterAll(async () => sim.close());

async function refusal(token: string): Promise<string> {
  const error = await validator.verify(token, asConsole).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenError);
  return (error as TokenError).code;
}

const now = () => Math.floor(Date.now() / 1000);

/** Every tenant admitted (the console's lookup of our own tables is tested in console.test.ts). */
const asConsole: UserVerifyOptions = { client: 'console', admit: () => Promise.resolve() };

describe('Entra ID v2 user tokens', () => {
  it('accepts a token of the tenant’s issuer for our audience and returns the user', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const user = await validator.verify(token, asConsole);
    expect(user).toMatchObject({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      upn: contoso.fullAdminUpn,
      name: 'Adele Vance',
    });
    expect(user.groups).toContain(contoso.fullGroupId);
  });

  it('caches the issuer metadata across tokens', async () => {
    const before = metadataFetches;
    for (let i = 0; i < 3; i += 1) {
      await validator.verify(await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin }), asConsole);
    }
    expect(metadataFetches - before).toBe(0);
  });

  it('reports a groups overage as null so membership is asked of Graph', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, groupsOverage: true });
    expect((await validator.verify(token, asConsole)).groups).toBeNull();
  });

  it('refuses expired tokens beyond the clock skew, accepts within it', async () => {
    const expired = await sim.state.mintUserToken({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      claims: { iat: now() - 7200, nbf: now() - 7200, exp: now() - 120 },
    });
    expect(await refusal(expired)).toBe('ERR_TOKEN_EXPIRED');
    const justExpired = await sim.state.mintUserToken({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      claims: { exp: now() - 30 },
    });
    await expect(validator.verify(justExpired, asConsole)).resolves.toBeTruthy();
  });

  it('refuses tokens that are not valid yet', async () => {
    const early = await sim.state.mintUserToken({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      claims: { nbf: now() + 600, iat: now() + 600, exp: now() + 4200 },
    });
    expect(await refusal(early)).toBe('ERR_TOKEN_NOT_YET_VALID');
  });

  it('refuses another audience', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, audience: 'api://someone-else' });
    expect(await refusal(token)).toBe('ERR_TOKEN_AUDIENCE');
  });

  it('refuses another issuer, and an issuer that does not match tid', async () => {
    const foreign = await sim.state.mintUserToken({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      claims: { iss: `https://login.example.com/${contoso.tenantId}/v2.0` },
    });
    expect(await refusal(foreign)).toBe('ERR_TOKEN_ISSUER');
    const mismatch = await sim.state.mintUserToken({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      claims: { tid: fabrikam.tenantId },
    });
    expect(await refusal(mismatch)).toBe('ERR_TOKEN_ISSUER');
    const v1 = await sim.state.mintUserToken({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      claims: { iss: `${sim.url}/${contoso.tenantId}/` },
    });
    expect(await refusal(v1)).toBe('ERR_TOKEN_ISSUER');
  });

  it('refuses a tid that is not a GUID', async () => {
    const token = await sim.state.mintUserToken({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      claims: { tid: 'common', iss: `${sim.url}/common/v2.0` },
    });
    expect(await refusal(token)).toBe('ERR_TOKEN_TENANT');
  });

  it('refuses a signature by a key the issuer does not publish', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, signWith: 'unlisted' });
    expect(await refusal(token)).toBe('ERR_TOKEN_UNKNOWN_KEY');
  });

  it('refuses a tampered payload and garbage', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    claims.oid = contoso.fullAdmin;
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect(await refusal(forged)).toBe('ERR_TOKEN_SIGNATURE');
    expect(await refusal('not-a-jwt')).toBe('ERR_TOKEN_MALFORMED');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    expect(await refusal(unsigned)).toBe('ERR_TOKEN_ALGORITHM');
  });

  it('refuses an app-only token for our API (no scp, no idtyp) as a user, and returns its claims to verifyClaims', async () => {
    const app = randomUUID();
    const token = await sim.state.mintApiAppToken({ tenantId: contoso.tenantId, clientId: app, roles: ['Events.Read'] });
    expect(await refusal(token)).toBe('ERR_TOKEN_SCOPE');
    await expect(validator.verifyClaims(token, asConsole)).resolves.toMatchObject({
      tenantId: contoso.tenantId,
      appOnly: true,
      scopes: [],
      roles: ['Events.Read'],
      clientId: app,
    });
    const marked = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { idtyp: 'app' } });
    expect(await refusal(marked)).toBe('ERR_TOKEN_SCOPE');
  });

  it('refuses a delegated token issued for another scope of our API', async () => {
    const other = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { scp: 'User.Read Files.Read' } });
    expect(await refusal(other)).toBe('ERR_TOKEN_SCOPE');
    const withOurs = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { scp: 'User.Read access_as_user' } });
    await expect(validator.verify(withOurs, asConsole)).resolves.toMatchObject({ userId: contoso.fullAdmin });
  });

  it('requires azp among CONSOLE_CLIENT_IDS / AGENT_CLIENT_IDS when they are set', async () => {
    const consoleApp = randomUUID();
    const agentApp = randomUUID();
    const strict = createUserTokenValidator(simConfig(sim.url, { CONSOLE_CLIENT_IDS: consoleApp, AGENT_CLIENT_IDS: `${randomUUID()}, ${agentApp.toUpperCase()}` }));
    const fromAgent = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { azp: agentApp } });
    const fromConsole = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { azp: consoleApp } });
    const admit = () => Promise.resolve();
    await expect(strict.verify(fromAgent, { client: 'console', admit })).rejects.toMatchObject({ code: 'ERR_TOKEN_CLIENT' });
    await expect(strict.verify(fromConsole, { client: 'agent', admit })).rejects.toMatchObject({ code: 'ERR_TOKEN_CLIENT' });
    await expect(strict.verify(fromConsole, { client: 'console', admit })).resolves.toMatchObject({ userId: contoso.fullAdmin });
    await expect(strict.verify(fromAgent, { client: 'agent', admit })).resolves.toMatchObject({ userId: contoso.fullAdmin });
  });

  it('asks the caller to admit the tenant before fetching anything for it', async () => {
    const before = metadataFetches;
    let asked = 0;
    for (let i = 0; i < 20; i += 1) {
      const tid = randomUUID();
      const token = await sim.state.mintUserToken({
        tenantId: contoso.tenantId,
        userId: contoso.fullAdmin,
        claims: { tid, iss: `${sim.url}/${tid}/v2.0` },
      });
      const refused = validator.verify(token, {
        client: 'console',
        admit: (tenantId) => {
          asked += 1;
          expect(tenantId).toBe(tid);
          return Promise.reject(new Error('not provisioned'));
        },
      });
      await expect(refused).rejects.toThrow('not provisioned');
    }
    expect(asked).toBe(20);
    expect(metadataFetches - before).toBe(0);
  });

  it('never caches a 429 or 5xx from the identity provider as a verdict', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const answers = [429, 503];
    let fetches = 0;
    const flaky = createUserTokenValidator(simConfig(sim.url), {
      fetch: (input, init) => {
        fetches += 1;
        const status = answers.shift();
        return status ? Promise.resolve(new Response('busy', { status })) : fetch(input, init);
      },
    });
    await expect(flaky.verify(token, asConsole)).rejects.toMatchObject({ code: 'ERR_TOKEN_KEYS_UNAVAILABLE' });
    await expect(flaky.verify(token, asConsole)).rejects.toMatchObject({ code: 'ERR_TOKEN_KEYS_UNAVAILABLE' });
    await expect(flaky.verify(token, asConsole)).resolves.toMatchObject({ userId: contoso.fullAdmin });
    await expect(flaky.verify(token, asConsole)).resolves.toMatchObject({ userId: contoso.fullAdmin });
    expect(fetches).toBe(3);
  });

  it('keeps at most maxCachedIssuers tenants’ metadata', async () => {
    let fetches = 0;
    const small = createUserTokenValidator(simConfig(sim.url), {
      maxCachedIssuers: 1,
      fetch: (input, init) => {
        fetches += 1;
        return fetch(input, init);
      },
    });
    const a = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const b = await sim.state.mintUserToken({ tenantId: fabrikam.tenantId, userId: fabrikam.fullAdmin });
    await small.verify(a, asConsole);
    await small.verify(a, asConsole);
    expect(fetches).toBe(1);
    await small.verify(b, asConsole);
    await small.verify(a, asConsole);
    expect(fetches).toBe(3);
  });

  // Last: rotation changes the simulator's keys for every later token.
  it('picks up a rotated signing key on an unknown kid', async () => {
    const fresh = createUserTokenValidator(simConfig(sim.url), { keySetCooldownMs: 0 });
    await fresh.verify(await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin }), asConsole);
    await sim.state.rotateKeys(false);
    const rotated = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    await expect(fresh.verify(rotated, asConsole)).resolves.toMatchObject({ userId: contoso.fullAdmin });
  });

});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserTokenValidator, TokenError, type UserTokenValidator } from '../../../shared/auth/entraToken.js';
import { contoso, fabrikam, simConfig, startSim } from './harness.js';
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
  const error = await validator.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenError);
  return (error as TokenError).code;
}

const now = () => Math.floor(Date.now() / 1000);

describe('Entra ID v2 user tokens', () => {
  it('accepts a token of the tenant’s issuer for our audience and returns the user', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const user = await validator.verify(token);
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
      await validator.verify(await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin }));
    }
    expect(metadataFetches - before).toBe(0);
  });

  it('reports a groups overage as null so membership is asked of Graph', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, groupsOverage: true });
    expect((await validator.verify(token)).groups).toBeNull();
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
    await expect(validator.verify(justExpired)).resolves.toBeTruthy();
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

  it('refuses an app-only token', async () => {
    const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { idtyp: 'app' } });
    expect(await refusal(token)).toBe('ERR_TOKEN_CLAIMS');
  });
  // Last: rotation changes the simulator's keys for every later token.
  it('picks up a rotated signing key on an unknown kid', async () => {
    const fresh = createUserTokenValidator(simConfig(sim.url), { keySetCooldownMs: 0 });
    await fresh.verify(await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin }));
    await sim.state.rotateKeys(false);
    const rotated = await sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    await expect(fresh.verify(rotated)).resolves.toMatchObject({ userId: contoso.fullAdmin });
  });

});

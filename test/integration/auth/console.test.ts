import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateConsole, authenticateDeviceUser, requireFull } from '../../../shared/auth/console.js';
import { createUserTokenValidator } from '../../../shared/auth/entraToken.js';
import { HttpError } from '../../../shared/http/problem.js';
import type { ApiRequest } from '../../../shared/http/request.js';
import { contoso, fabrikam, provision, simConfig, startSimHarness, type SimHarness } from './harness.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness();
  await provision(h, contoso, true);
  await provision(h, fabrikam, false);
});
afterAll(async () => h.close());

function request(token?: string): ApiRequest {
  const headers = new Headers(token ? { authorization: `Bearer ${token}` } : {});
  return { method: 'GET', url: 'http://localhost/api/v1/console/me', headers, query: new URLSearchParams(), params: {}, text: () => Promise.resolve('') };
}

async function refusal(run: Promise<unknown>): Promise<HttpError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe('console authentication', () => {
  it('gives full access, restricted access, or 403 from the tenant’s two groups', async () => {
    const authenticate = authenticateConsole(h.services);
    const full = await authenticate(request(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin })));
    expect(full).toMatchObject({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, access: 'full', name: 'Adele Vance', email: contoso.fullAdminUpn });
    const restricted = await authenticate(request(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin })));
    expect(restricted.access).toBe('restricted');
    expect(() => requireFull(restricted)).toThrow(HttpError);
    expect(() => requireFull(full)).not.toThrow();
    const outsider = await refusal(authenticate(request(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.plainUser }))));
    expect(outsider.status).toBe(403);
  });

  it('answers 401 with a Bearer challenge when the token is missing', async () => {
    const error = await refusal(authenticateConsole(h.services)(request()));
    expect(error.status).toBe(401);
    expect(error.options.headers?.['www-authenticate']).toBe('Bearer');
  });

  it('answers 503, not 401 or 403, when a groups overage cannot be resolved through Graph', async () => {
    h.sim.state.addFault({ path: 'checkMemberGroups$', status: 503, count: 10 });
    try {
      const error = await refusal(
        authenticateConsole(h.services)(request(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, groupsOverage: true }))),
      );
      expect(error.status).toBe(503);
    } finally {
      h.sim.state.clearFaults();
    }
  });

  it('answers 503 when the issuer’s keys cannot be fetched', async () => {
    const token = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    // The same issuer, but its metadata unreachable: the token is not the caller's fault.
    const unreachable = createUserTokenValidator(simConfig(h.sim.url), { fetch: () => Promise.reject(new TypeError('fetch failed')) });
    const error = await refusal(authenticateConsole({ ...h.services, userTokens: unreachable })(request(token)));
    expect(error.status).toBe(503);
  });

  it('lets any user of an active tenant activate a device, and nobody of a tenant without consent', async () => {
    const authenticate = authenticateDeviceUser(h.services);
    await expect(authenticate(request(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.plainUser })))).resolves.toMatchObject({
      tenantId: contoso.tenantId,
      userId: contoso.plainUser,
    });
    const error = await refusal(authenticate(request(await h.userToken({ tenantId: fabrikam.tenantId, userId: fabrikam.fullAdmin }))));
    expect(error.status).toBe(403);
  });
});

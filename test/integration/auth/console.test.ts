import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateConsole, authenticateDeviceUser, requireFull } from '../../../shared/auth/console.js';
import { createUserTokenValidator } from '../../../shared/tokens/entraToken.js';
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

  it('refuses a token naming an unprovisioned tenant with 403, without fetching that tenant’s metadata', async () => {
    let fetches = 0;
    const counting = createUserTokenValidator(simConfig(h.sim.url), {
      fetch: (input, init) => {
        fetches += 1;
        return fetch(input, init);
      },
    });
    const services = { ...h.services, userTokens: counting };
    for (const authenticate of [authenticateConsole(services), authenticateDeviceUser(services)]) {
      for (let i = 0; i < 5; i += 1) {
        const tid = randomUUID();
        const token = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { tid, iss: `${h.sim.url}/${tid}/v2.0` } });
        expect((await refusal(authenticate(request(token)))).status).toBe(403);
      }
      // Fabrikam is provisioned but has not consented: refused before any fetch too.
      const fabrikamToken = await h.userToken({ tenantId: fabrikam.tenantId, userId: fabrikam.fullAdmin });
      expect((await refusal(authenticate(request(fabrikamToken)))).status).toBe(403);
    }
    expect(fetches).toBe(0);
    // A consented tenant's token is fetched for and accepted.
    await authenticateConsole(services)(request(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin })));
    expect(fetches).toBe(1);
  });

  it('refuses tokens whose azp is not an allowed client of the console or of activation (403)', async () => {
    const consoleApp = randomUUID();
    const agentApp = randomUUID();
    const strict = createUserTokenValidator(simConfig(h.sim.url, { CONSOLE_CLIENT_IDS: consoleApp, AGENT_CLIENT_IDS: agentApp }));
    const services = { ...h.services, userTokens: strict };
    const agentToken = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { azp: agentApp } });
    const consoleToken = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { azp: consoleApp } });
    const refused = await refusal(authenticateConsole(services)(request(agentToken)));
    expect(refused.status).toBe(403);
    expect(refused.options.headers?.['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    expect((await refusal(authenticateDeviceUser(services)(request(consoleToken)))).status).toBe(403);
    await expect(authenticateConsole(services)(request(consoleToken))).resolves.toMatchObject({ access: 'full' });
    await expect(authenticateDeviceUser(services)(request(agentToken))).resolves.toMatchObject({ userId: contoso.fullAdmin });
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

/**
 * The console's access rules on every console route of onboarding and settings: bad tokens get 401, valid tokens
 * without access 403, and a refused call changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserTokenOptions } from '../../../dev/sim/state.js';
import { contoso, fabrikam, northwind, onboardBoth, startOnboarding, type OnboardingHarness, type Reply } from './harness.js';

let h: OnboardingHarness;

interface RouteCase {
  method: string;
  path: string;
  body?: unknown;
  /** Needs full access (restricted users get 403). */
  fullOnly: boolean;
}

const routes: RouteCase[] = [
  { method: 'GET', path: '/api/v1/console/me', fullOnly: false },
  { method: 'GET', path: '/api/v1/console/connector', fullOnly: false },
  { method: 'PUT', path: '/api/v1/console/connector', body: { heartbeatFrequencyMinutes: 45 }, fullOnly: true },
  { method: 'GET', path: '/api/v1/console/enrollment-groups', fullOnly: false },
  { method: 'POST', path: '/api/v1/console/enrollment-groups', body: { displayName: 'MTD-All' }, fullOnly: true },
  { method: 'DELETE', path: '/api/v1/console/enrollment-groups/MTD-Pilot', fullOnly: true },
  { method: 'GET', path: '/api/v1/console/me/notifications', fullOnly: false },
  {
    method: 'PUT',
    path: '/api/v1/console/me/notifications',
    body: { levels: { low: true, medium: true, high: true } },
    fullOnly: false,
  },
  { method: 'GET', path: '/api/v1/console/audit-log', fullOnly: true },
];

const tables = ['connectorSettings', 'enrollmentGroups', 'notificationPreferences', 'auditLog', 'tenants'] as const;

/** Every row of the tenant's partition in the tables console routes write. */
async function snapshot(tenantId: string): Promise<unknown[]> {
  const rows: unknown[] = [];
  for (const name of tables) {
    for await (const row of h.tables.table(name).listEntities({ queryOptions: { filter: `PartitionKey eq '${tenantId}'` } })) {
      rows.push({ table: name, ...row });
    }
  }
  return rows;
}

const now = () => Math.floor(Date.now() / 1000);
const adele = { tenantId: contoso.tenantId, userId: contoso.fullAdmin };

const badTokens: [string, () => Partial<UserTokenOptions>][] = [
  ['expired', () => ({ claims: { iat: now() - 7200, nbf: now() - 7200, exp: now() - 600 } })],
  ['not yet valid', () => ({ claims: { nbf: now() + 900, iat: now() + 900, exp: now() + 4500 } })],
  ['for another audience', () => ({ audience: 'api://another-api' })],
  ['from another issuer', () => ({ claims: { iss: `https://login.example.com/${contoso.tenantId}/v2.0` } })],
  ['whose issuer does not match its tid', () => ({ claims: { tid: fabrikam.tenantId } })],
  ['signed by an unknown key', () => ({ signWith: 'unlisted' as const })],
];

function send(route: RouteCase, token: string | undefined, headers?: Record<string, string>): Promise<Reply> {
  return h.call(route.method, route.path, {
    ...(token !== undefined ? { token } : {}),
    ...(route.body !== undefined ? { body: route.body } : {}),
    ...(headers ? { headers } : {}),
  });
}

function expectProblem(reply: Reply, status: number): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.json).toMatchObject({ status });
}

beforeAll(async () => {
  h = await startOnboarding({ withNorthwind: true });
  await onboardBoth(h);
  expect((await h.provision(northwind)).status).toBe(201);
  const token = await h.token(adele);
  expect((await h.call('POST', '/api/v1/console/enrollment-groups', { token, body: { displayName: 'MTD-Pilot' } })).status).toBe(201);
});
afterAll(async () => h.close());

describe.each(routes)('$method $path', (route) => {
  it('answers 401 with a Bearer challenge without a usable token, and changes nothing', async () => {
    const before = await snapshot(contoso.tenantId);
    for (const headers of [undefined, { authorization: 'Basic YWRtaW46YWRtaW4=' }, { authorization: 'Bearer' }, { authorization: 'Bearer not.a.jwt' }]) {
      const reply = await send(route, undefined, headers);
      expectProblem(reply, 401);
      expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(await snapshot(contoso.tenantId)).toEqual(before);
  });

  it.each(badTokens)('answers 401 for a token %s, and changes nothing', async (_name, defect) => {
    const before = await snapshot(contoso.tenantId);
    const reply = await send(route, await h.token({ ...adele, ...defect() }));
    expectProblem(reply, 401);
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(await snapshot(contoso.tenantId)).toEqual(before);
  });

  it('answers 403 to an app-only token, even one carrying a console group, and changes nothing', async () => {
    const before = await snapshot(contoso.tenantId);
    // Client credentials of some app in the customer's tenant: no scp, no idtyp (a default registration emits none).
    const appOnly = await h.sim.state.mintApiAppToken({ tenantId: contoso.tenantId, claims: { groups: [contoso.fullGroupId] } });
    const reply = await send(route, appOnly);
    expectProblem(reply, 403);
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/);
    expect(await snapshot(contoso.tenantId)).toEqual(before);
  });

  it('answers 403 to an app-only token with the Events.Read app role (the event feed only), and changes nothing', async () => {
    const before = await snapshot(contoso.tenantId);
    const siem = await h.sim.state.mintApiAppToken({ tenantId: contoso.tenantId, roles: ['Events.Read'] });
    const reply = await send(route, siem);
    expectProblem(reply, 403);
    expect(await snapshot(contoso.tenantId)).toEqual(before);
  });

  it('answers 403 to a user token issued for another scope, and changes nothing', async () => {
    const before = await snapshot(contoso.tenantId);
    expectProblem(await send(route, await h.token({ ...adele, claims: { scp: 'User.Read' } })), 403);
    expectProblem(await send(route, await h.token({ ...adele, claims: { scp: null } })), 403);
    expect(await snapshot(contoso.tenantId)).toEqual(before);
  });

  it('answers 403 for a tenant that has not consented', async () => {
    const before = await snapshot(northwind.tenantId);
    expectProblem(await send(route, await h.token({ tenantId: northwind.tenantId, userId: northwind.fullAdmin })), 403);
    expect(await snapshot(northwind.tenantId)).toEqual(before);
  });

  it('answers 403 for a user in neither console group', async () => {
    const before = await snapshot(contoso.tenantId);
    expectProblem(await send(route, await h.token({ tenantId: contoso.tenantId, userId: contoso.plainUser })), 403);
    expect(await snapshot(contoso.tenantId)).toEqual(before);
  });

  it(route.fullOnly ? 'answers 403 to a restricted user' : 'serves a restricted user', async () => {
    const before = await snapshot(contoso.tenantId);
    const reply = await send(route, await h.token({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin }));
    if (route.fullOnly) {
      expectProblem(reply, 403);
      expect(await snapshot(contoso.tenantId)).toEqual(before);
    } else {
      expect(reply.status).toBeLessThan(300);
    }
  });

  it("never lets a user of tenant B reach tenant A's data", async () => {
    const before = await snapshot(contoso.tenantId);
    // A Fabrikam user claiming Contoso's console groups: the groups mean nothing in Fabrikam.
    const claiming = await h.token({
      tenantId: fabrikam.tenantId,
      userId: fabrikam.fullAdmin,
      claims: { groups: [contoso.fullGroupId, contoso.restrictedGroupId] },
    });
    expectProblem(await send(route, claiming), 403);
    // Fabrikam's own admin acts on Fabrikam only.
    const own = await send(route, await h.token({ tenantId: fabrikam.tenantId, userId: fabrikam.fullAdmin }));
    expect(own.status).not.toBe(500);
    if (route.method === 'GET') expect(JSON.stringify(own.json)).not.toContain(contoso.tenantId);
    expect(await snapshot(contoso.tenantId)).toEqual(before);
  });
});

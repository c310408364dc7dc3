import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contoso, fabrikam, startOnboarding, type OnboardingHarness } from './harness.js';

let h: OnboardingHarness;
let fullToken: string;
let restrictedToken: string;

beforeAll(async () => {
  h = await startOnboarding();
});
afterAll(async () => h.close());

describe('onboarding a tenant and using the console', () => {
  it('provisions a tenant once and hands back the consent link', async () => {
    const created = await h.provision(contoso);
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      tenantId: contoso.tenantId,
      status: 'provisioned',
      consentUrl: expect.stringMatching(/\/api\/consent\/start\?tenantId=[0-9a-f-]{36}&sig=[A-Za-z0-9_-]{43}$/) as unknown,
    });
    expect((created.json as { consentUrl: string }).consentUrl).toBe(
      `${h.host.url.replace('127.0.0.1', 'localhost')}${await h.consentPath(contoso.tenantId)}`,
    );
    const again = await h.provision(contoso);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('refuses provider routes without the function key', async () => {
    const reply = await h.call('POST', '/api/v1/provider/tenants', { key: false, body: { tenantId: fabrikam.tenantId } });
    expect(reply.status).toBe(401);
    const wrongKey = await h.call('GET', `/api/v1/provider/tenants/${contoso.tenantId}`, { key: 'nope' });
    expect(wrongKey.status).toBe(401);
  });

  it('shows the provisioned tenant with consent pending', async () => {
    const reply = await h.call('GET', `/api/v1/provider/tenants/${contoso.tenantId}`);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({
      tenantId: contoso.tenantId,
      displayName: 'Contoso',
      status: 'provisioned',
      fullAccessGroupId: contoso.fullGroupId,
      restrictedAccessGroupId: contoso.restrictedGroupId,
      health: { consent: { granted: false, at: null }, lastEnrollmentSync: null, lastConnectorHeartbeat: null, lastError: null },
      counts: { enrollmentGroups: 0, devices: { total: 0 } },
    });
    expect((await h.call('GET', `/api/v1/provider/tenants/${fabrikam.tenantId}`)).status).toBe(404);
  });

  it('refuses console sign-in before consent', async () => {
    const token = await h.token({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const reply = await h.call('GET', '/api/v1/console/me', { token });
    expect(reply.status).toBe(403);
    expect(reply.json).toMatchObject({ status: 403 });
  });

  it('completes admin consent through Entra ID and marks the tenant active', async () => {
    const start = await h.call('GET', await h.consentPath(contoso.tenantId));
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${h.sim.url}/${contoso.tenantId}/v2.0/adminconsent`);
    expect(location.searchParams.get('client_id')).toBe(h.services.config.CONNECTOR_CLIENT_ID);
    expect(location.searchParams.get('scope')).toBe('https://graph.microsoft.com/.default');
    expect(location.searchParams.get('redirect_uri')).toBe(`${h.services.config.PUBLIC_BASE_URL}/api/consent/callback`);
    expect(location.searchParams.get('state')).toBeTruthy();

    const page = await h.consent(contoso.tenantId);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('Contoso is now connected');

    const details = await h.call('GET', `/api/v1/provider/tenants/${contoso.tenantId}`);
    expect(details.json).toMatchObject({ status: 'active', health: { consent: { granted: true } } });
    fullToken = await h.token({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    restrictedToken = await h.token({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin });
  });

  it('signs in a full and a restricted admin', async () => {
    expect((await h.call('GET', '/api/v1/console/me', { token: fullToken })).json).toMatchObject({
      tenantId: contoso.tenantId,
      userId: contoso.fullAdmin,
      access: 'full',
    });
    expect((await h.call('GET', '/api/v1/console/me', { token: restrictedToken })).json).toMatchObject({
      userId: contoso.restrictedAdmin,
      access: 'restricted',
    });
    const outsider = await h.token({ tenantId: contoso.tenantId, userId: contoso.plainUser });
    expect((await h.call('GET', '/api/v1/console/me', { token: outsider })).status).toBe(403);
  });

  it('resolves access through Graph when the token has a groups overage', async () => {
    const token = await h.token({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, groupsOverage: true });
    expect((await h.call('GET', '/api/v1/console/me', { token })).json).toMatchObject({ access: 'full' });
    const restricted = await h.token({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin, groupsOverage: true });
    expect((await h.call('GET', '/api/v1/console/me', { token: restricted })).json).toMatchObject({ access: 'restricted' });
    const outsider = await h.token({ tenantId: contoso.tenantId, userId: contoso.plainUser, groupsOverage: true });
    expect((await h.call('GET', '/api/v1/console/me', { token: outsider })).status).toBe(403);
  });

  it('reads defaults and changes connector settings (full access), partially', async () => {
    const before = await h.call('GET', '/api/v1/console/connector', { token: restrictedToken });
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ heartbeatFrequencyMinutes: 60, enrollmentPollMinutes: 5, disconnectedAfterDays: 7 });

    const changed = await h.call('PUT', '/api/v1/console/connector', {
      token: fullToken,
      body: { heartbeatFrequencyMinutes: 30, enforcement: { entraDeviceAttribute: 'extensionAttribute7' } },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      heartbeatFrequencyMinutes: 30,
      enrollmentPollMinutes: 5,
      enforcement: { intunePartner: true, entraDeviceAttribute: 'extensionAttribute7' },
    });
    expect((await h.call('GET', '/api/v1/console/connector', { token: restrictedToken })).json).toEqual(changed.json);

    const refused = await h.call('PUT', '/api/v1/console/connector', { token: restrictedToken, body: { heartbeatFrequencyMinutes: 90 } });
    expect(refused.status).toBe(403);
    const invalid = await h.call('PUT', '/api/v1/console/connector', { token: fullToken, body: { heartbeatFrequencyMinutes: 2, color: 'red' } });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ errors: expect.arrayContaining([expect.objectContaining({ path: 'color' })]) as unknown });
    expect((await h.call('GET', '/api/v1/console/connector', { token: fullToken })).json).toMatchObject({ heartbeatFrequencyMinutes: 30 });
  });

  it('manages enrollment groups with their resolution status', async () => {
    const add = async (displayName: string) => h.call('POST', '/api/v1/console/enrollment-groups', { token: fullToken, body: { displayName } });
    const pilot = await add('MTD-Pilot');
    expect(pilot.status).toBe(201);
    expect(pilot.json).toMatchObject({ displayName: 'MTD-Pilot', status: 'resolved', groupId: '041c7f63-5419-4a2b-8509-01c3a1359812' });
    expect((pilot.json as { memberCount: number }).memberCount).toBeGreaterThanOrEqual(7);
    expect((await add('mtd-pilot')).json).toMatchObject({ status: 'case-mismatch', groupId: null, suggestions: ['MTD-Pilot'] });
    expect((await add('MTD-Duplicate')).json).toMatchObject({ status: 'ambiguous' });
    expect((await add('No Such Group')).json).toMatchObject({ status: 'not-found' });
    expect((await add('MTD-Pilot')).status).toBe(409);
    expect((await h.call('POST', '/api/v1/console/enrollment-groups', { token: restrictedToken, body: { displayName: 'MTD-All' } })).status).toBe(403);

    const list = await h.call('GET', '/api/v1/console/enrollment-groups', { token: restrictedToken });
    expect(list.status).toBe(200);
    const items = (list.json as { items: { displayName: string; status: string }[] }).items;
    expect(items.map((g) => [g.displayName, g.status])).toEqual([
      ['MTD-Duplicate', 'ambiguous'],
      ['mtd-pilot', 'case-mismatch'],
      ['MTD-Pilot', 'resolved'],
      ['No Such Group', 'not-found'],
    ].sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '')));

    expect((await h.call('DELETE', `/api/v1/console/enrollment-groups/${encodeURIComponent('No Such Group')}`, { token: restrictedToken })).status).toBe(403);
    expect((await h.call('DELETE', `/api/v1/console/enrollment-groups/${encodeURIComponent('No Such Group')}`, { token: fullToken })).status).toBe(204);
    expect((await h.call('DELETE', `/api/v1/console/enrollment-groups/${encodeURIComponent('No Such Group')}`, { token: fullToken })).status).toBe(404);
    const after = (await h.call('GET', '/api/v1/console/enrollment-groups', { token: fullToken })).json as { items: unknown[] };
    expect(after.items).toHaveLength(3);
  });

  it('keeps each user’s own notification preferences', async () => {
    const defaults = await h.call('GET', '/api/v1/console/me/notifications', { token: restrictedToken });
    expect(defaults.json).toEqual({ email: 'alex.wilber@contoso.onmicrosoft.com', levels: { low: false, medium: false, high: false } });
    const put = await h.call('PUT', '/api/v1/console/me/notifications', {
      token: restrictedToken,
      body: { email: 'soc@contoso.test', levels: { low: false, medium: true, high: true } },
    });
    expect(put.status).toBe(200);
    expect((await h.call('GET', '/api/v1/console/me/notifications', { token: restrictedToken })).json).toEqual({
      email: 'soc@contoso.test',
      levels: { low: false, medium: true, high: true },
    });
    expect((await h.call('GET', '/api/v1/console/me/notifications', { token: fullToken })).json).toMatchObject({
      email: contoso.fullAdminUpn,
      levels: { high: false },
    });
  });

  it('records every change in the audit log, newest first, for full access only', async () => {
    expect((await h.call('GET', '/api/v1/console/audit-log', { token: restrictedToken })).status).toBe(403);
    const first = await h.call('GET', '/api/v1/console/audit-log?limit=3', { token: fullToken });
    expect(first.status).toBe(200);
    const page = first.json as { items: { action: string; outcome: string; actor: { id: string }; before?: unknown; after?: unknown }[]; nextCursor: string | null };
    expect(page.items).toHaveLength(3);
    expect(page.nextCursor).toBeTruthy();
    expect(page.items[0]).toMatchObject({ action: 'notifications.update', outcome: 'applied', actor: { id: contoso.restrictedAdmin } });
    const all: { action: string; outcome: string; before?: unknown; after?: unknown }[] = [...page.items];
    let cursor = page.nextCursor;
    while (cursor) {
      const next = (await h.call('GET', `/api/v1/console/audit-log?limit=3&cursor=${encodeURIComponent(cursor)}`, { token: fullToken })).json as typeof page;
      all.push(...next.items);
      cursor = next.nextCursor;
    }
    const actions = all.map((entry) => entry.action);
    expect(actions).toEqual([
      'notifications.update',
      'enrollmentGroup.remove',
      'enrollmentGroup.add',
      'enrollmentGroup.add',
      'enrollmentGroup.add',
      'enrollmentGroup.add',
      'connector.update',
      'tenant.consent',
      'tenant.provision',
    ]);
    expect(all.every((entry) => entry.outcome === 'applied')).toBe(true);
    const settings = all.find((entry) => entry.action === 'connector.update');
    expect(settings).toMatchObject({
      outcome: 'applied',
      before: { heartbeatFrequencyMinutes: 60 },
      after: { heartbeatFrequencyMinutes: 30 },
    });
    expect((await h.call('GET', '/api/v1/console/audit-log?cursor=bogus', { token: fullToken })).status).toBe(400);
  });
});

/**
 * Provider support signing in with Entra ID, through the local host and the simulated Entra ID: besides the function
 * key, the provider routes accept a token from the provider's own tenant (`PROVIDER_TENANT_ID`, here Northwind) that
 * carries the app role `Provider.Support`, from a user or an application; the audit log names who acted. A token from
 * another tenant, or without the role, is refused and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAll, odata } from '../../../shared/storage/index.js';
import { z } from 'zod';
import { contoso, northwind, startOnboarding, type OnboardingHarness } from './harness.js';

let h: OnboardingHarness;
const role = 'Provider.Support';
/** The provider key the service checks itself (the routes are anonymous at the host with Entra sign-in on). */
const providerKey = `provider-key-${'k'.repeat(32)}`;

beforeAll(async () => {
  h = await startOnboarding({ withNorthwind: true, settings: { PROVIDER_TENANT_ID: northwind.tenantId, PROVIDER_FUNCTION_KEY: providerKey } });
});
afterAll(async () => h?.close());

const provisionBody = (tenantId: string) => ({
  tenantId,
  displayName: 'Litware',
  fullAccessGroupId: randomUUID(),
  primaryContactEmail: 'it@litware.test',
});

const auditRow = z.object({ action: z.string(), actorId: z.string(), actorName: z.string(), outcome: z.string() });

async function auditOf(tenantId: string): Promise<z.output<typeof auditRow>[]> {
  const rows: z.output<typeof auditRow>[] = [];
  for await (const row of listAll(h.tables.table('auditLog'), { schema: auditRow, filter: odata`PartitionKey eq ${tenantId}` })) {
    rows.push({ action: row.action, actorId: row.actorId, actorName: row.actorName, outcome: row.outcome });
  }
  return rows;
}

async function provisioned(tenantId: string): Promise<boolean> {
  const reply = await h.call('GET', `/api/v1/provider/tenants/${tenantId}`, { key: providerKey });
  return reply.status === 200;
}

describe('provider support signed in with Entra ID', () => {
  it('lets a provider user with the app role provision and read tenants, recorded under their name', async () => {
    const token = await h.token({ tenantId: northwind.tenantId, userId: northwind.fullAdmin, claims: { roles: [role] } });
    const tenantId = randomUUID();
    const created = await h.call('POST', '/api/v1/provider/tenants', { key: false, token, body: provisionBody(tenantId) });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ tenantId, status: 'provisioned' });
    const read = await h.call('GET', `/api/v1/provider/tenants/${tenantId}`, { key: false, token });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ tenantId, displayName: 'Litware' });
    expect(await auditOf(tenantId)).toEqual([
      { action: 'tenant.provision', actorId: northwind.fullAdmin, actorName: 'Provider support: Nina (nina@northwind.test)', outcome: 'applied' },
    ]);
  });

  it('lets a provider application granted the app role act, recorded as that application', async () => {
    const appId = randomUUID();
    const token = await h.sim.state.mintApiAppToken({ tenantId: northwind.tenantId, clientId: appId, roles: [role] });
    const tenantId = randomUUID();
    expect((await h.call('POST', '/api/v1/provider/tenants', { key: false, token, body: provisionBody(tenantId) })).status).toBe(201);
    const [entry] = await auditOf(tenantId);
    expect(entry?.actorName).toBe(`Provider support application ${appId}`);
    expect(entry?.actorId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('records the function key as such', async () => {
    const tenantId = randomUUID();
    expect((await h.call('POST', '/api/v1/provider/tenants', { key: providerKey, body: provisionBody(tenantId) })).status).toBe(201);
    expect(await auditOf(tenantId)).toEqual([
      { action: 'tenant.provision', actorId: 'provider-support', actorName: 'Provider support (function key)', outcome: 'applied' },
    ]);
  });

  it('refuses a provider user without the role (403), and changes nothing', async () => {
    const token = await h.token({ tenantId: northwind.tenantId, userId: northwind.fullAdmin });
    const tenantId = randomUUID();
    const refused = await h.call('POST', '/api/v1/provider/tenants', { key: false, token, body: provisionBody(tenantId) });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.headers.get('www-authenticate')).toContain('insufficient_scope');
    const app = await h.sim.state.mintApiAppToken({ tenantId: northwind.tenantId, roles: ['Events.Read'] });
    expect((await h.call('POST', '/api/v1/provider/tenants', { key: false, token: app, body: provisionBody(tenantId) })).status).toBe(403);
    expect((await h.call('GET', `/api/v1/provider/tenants/${tenantId}`, { key: false, token })).status).toBe(403);
    expect(await provisioned(tenantId)).toBe(false);
    expect(await auditOf(tenantId)).toEqual([]);
  });

  it('refuses a token with the role from another tenant (401), before fetching anything for that tenant', async () => {
    const token = await h.token({ tenantId: contoso.tenantId, userId: contoso.fullAdmin, claims: { roles: [role] } });
    const metadataBefore = h.sim.state.stats().total;
    const tenantId = randomUUID();
    const refused = await h.call('POST', '/api/v1/provider/tenants', { key: false, token, body: provisionBody(tenantId) });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(h.sim.state.stats().total).toBe(metadataBefore);
    const app = await h.sim.state.mintApiAppToken({ tenantId: contoso.tenantId, roles: [role] });
    expect((await h.call('GET', `/api/v1/provider/tenants/${contoso.tenantId}`, { key: false, token: app })).status).toBe(401);
    expect(await provisioned(tenantId)).toBe(false);
    expect(await auditOf(tenantId)).toEqual([]);
  });

  it('refuses a wrong key, no credential at all, and a forged token', async () => {
    const tenantId = randomUUID();
    expect((await h.call('POST', '/api/v1/provider/tenants', { key: 'not-the-key', body: provisionBody(tenantId) })).status).toBe(401);
    expect((await h.call('POST', '/api/v1/provider/tenants', { key: `${providerKey.slice(0, -1)}x`, body: provisionBody(tenantId) })).status).toBe(401);
    expect((await h.call('POST', '/api/v1/provider/tenants', { key: false, body: provisionBody(tenantId) })).status).toBe(401);
    const token = await h.token({ tenantId: northwind.tenantId, userId: northwind.fullAdmin, claims: { roles: [role] } });
    const forged = `${token.slice(0, -6)}AAAAAA`;
    expect((await h.call('POST', '/api/v1/provider/tenants', { key: false, token: forged, body: provisionBody(tenantId) })).status).toBe(401);
    expect(await provisioned(tenantId)).toBe(false);
  });

  it('describes both ways in, and the device credential rotation, in the OpenAPI document', async () => {
    const reply = await h.call('GET', '/api/openapi.json', { key: false });
    const document = z
      .object({
        paths: z.record(z.string(), z.record(z.string(), z.object({ security: z.array(z.record(z.string(), z.array(z.string()))).optional() }).loose())),
        components: z.object({ securitySchemes: z.record(z.string(), z.object({ description: z.string().optional() }).loose()) }),
      })
      .parse(reply.json);
    for (const path of ['/api/v1/provider/tenants', '/api/v1/provider/tenants/{tenantId}']) {
      const operation = Object.values(document.paths[path] ?? {})[0];
      expect(operation?.security).toEqual([{ functionKey: [] }, { providerToken: [] }]);
    }
    expect(document.components.securitySchemes.providerToken?.description).toContain('Provider.Support');
    expect(JSON.stringify(document.paths['/api/v1/device/heartbeat'])).toContain('deviceTokenExpiresAt');
  });
});

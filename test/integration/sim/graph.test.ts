/**
 * Graph directory and Entra devices in the simulator, through the real @microsoft/microsoft-graph-client.
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { Client, PageCollection } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { CONTOSO, FABRIKAM, graphClient, startTestSimulator } from './simFixture.js';

let sim: Simulator;
let graph: Client;

beforeAll(async () => {
  sim = await startTestSimulator();
  graph = graphClient(sim, CONTOSO);
});
afterAll(async () => {
  await sim.close();
});

function groupId(name: string): string {
  const g = [...sim.state.tenant(CONTOSO).groups.values()].find((x) => x.displayName === name);
  if (!g) throw new Error(`no group ${name}`);
  return g.id;
}

/** Follows every `@odata.nextLink` (absolute URLs on the simulator) with the same client. */
async function all(first: PageCollection): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items = [...(first.value as Record<string, unknown>[])];
  let pages = 1;
  let next = first['@odata.nextLink'];
  while (next) {
    const page = (await graph.api(next).get()) as PageCollection;
    items.push(...(page.value as Record<string, unknown>[]));
    pages++;
    next = page['@odata.nextLink'];
  }
  return { items, pages };
}

async function graphStatus(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof GraphError) return error.statusCode;
    throw error;
  }
}

describe('groups and members', () => {
  it('pages transitive user members with @odata.nextLink, following nested groups', async () => {
    const first = (await graph
      .api(`/groups/${groupId('MTD-Pilot')}/transitiveMembers/microsoft.graph.user`)
      .select(['id', 'userPrincipalName'])
      .top(2)
      .get()) as PageCollection;
    expect(first.value).toHaveLength(2);
    expect(first['@odata.nextLink']).toMatch(new RegExp(`^${sim.url}/v1\\.0/groups/.+\\$skiptoken=`));
    const { items, pages } = await all(first);
    expect(pages).toBe(5);
    const tenant = sim.state.tenant(CONTOSO);
    const expected = tenant.transitiveMembers(groupId('MTD-Pilot')).filter((r) => r.type === 'user').map((r) => r.id);
    expect(items.map((i) => i.id).sort()).toEqual([...expected].sort());
    expect(items).toHaveLength(9); // 6 direct users + 3 through MTD-Pilot-Nested
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(['@odata.type', 'id', 'userPrincipalName']);
  });

  it('lists direct members with their @odata.type, nested groups included', async () => {
    const res = (await graph.api(`/groups/${groupId('MTD-Pilot')}/members`).get()) as PageCollection;
    const types = res.value.map((m: { '@odata.type': string }) => m['@odata.type']);
    expect(types.filter((t) => t === '#microsoft.graph.group')).toHaveLength(1);
    expect(types.filter((t) => t === '#microsoft.graph.user')).toHaveLength(6);
  });

  it('matches displayName case-insensitively, as Graph does, and reports duplicates', async () => {
    const res = (await graph.api('/groups').filter("displayName eq 'MTD-CaseTest'").select('id,displayName').get()) as PageCollection;
    expect(res.value.map((g: { displayName: string }) => g.displayName)).toEqual(['mtd-casetest']);
    const dup = (await graph.api('/groups').filter("displayName eq 'MTD-Duplicate'").get()) as PageCollection;
    expect(dup.value).toHaveLength(2);
    const none = (await graph.api('/groups').filter("displayName eq 'O''Brien''s group'").get()) as PageCollection;
    expect(none.value).toEqual([]);
  });

  it('requires ConsistencyLevel: eventual for $count', async () => {
    const path = `/groups/${groupId('MTD-Pilot')}/transitiveMembers/microsoft.graph.user/$count`;
    expect(await graphStatus(graph.api(path).get())).toBe(400);
    const count: unknown = await graph.api(path).header('ConsistencyLevel', 'eventual').get();
    expect(Number(count)).toBe(9);
    expect(await graphStatus(graph.api('/users').count(true).get())).toBe(400);
    const users = (await graph.api('/users').count(true).header('ConsistencyLevel', 'eventual').top(5).get()) as PageCollection;
    expect(users['@odata.count']).toBe(20);
    expect(users.value).toHaveLength(5);
  });

  it('rejects $top above 999 and unknown $select properties as Graph does', async () => {
    expect(await graphStatus(graph.api('/users').top(1000).get())).toBe(400);
    expect(await graphStatus(graph.api('/users').select('nope').get())).toBe(400);
  });

  it('answers checkMemberGroups and getMemberObjects transitively', async () => {
    const nested = sim.state.tenant(CONTOSO).groups.get(groupId('MTD-Pilot-Nested'));
    const user = [...(nested?.members ?? [])][0] ?? '';
    const check = (await graph.api(`/users/${user}/checkMemberGroups`).post({ groupIds: [groupId('MTD-Pilot'), groupId('Console Admins')] })) as { value: string[] };
    expect(check.value).toEqual([groupId('MTD-Pilot')]);
    const objects = (await graph.api(`/users/${user}/getMemberObjects`).post({ securityEnabledOnly: true })) as { value: string[] };
    expect(objects.value.sort()).toEqual([groupId('MTD-Pilot'), groupId('MTD-Pilot-Nested'), groupId('MTD-All')].sort());
  });

  it('keeps tenants apart: the token decides whose data is served', async () => {
    const fabrikam = graphClient(sim, FABRIKAM);
    const res = (await fabrikam.api('/users').get()) as PageCollection;
    expect(res.value).toHaveLength(4);
    expect(await graphStatus(fabrikam.api(`/groups/${groupId('MTD-Pilot')}`).get())).toBe(404);
  });

  it('answers 401 with a Graph error body without a valid token', async () => {
    const res = await fetch(`${sim.url}/v1.0/users`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken', innerError: { 'request-id': expect.any(String) as string } } });
    const userToken = await sim.state.mintUserToken({ tenantId: CONTOSO, upn: 'adele.vance@contoso.onmicrosoft.com' });
    const wrongAudience = await fetch(`${sim.url}/v1.0/users`, { headers: { authorization: `Bearer ${userToken}` } });
    expect(wrongAudience.status).toBe(401);
  });
});

describe('managed devices and Entra devices', () => {
  it('pages iOS and Android managed devices and leaves out Windows', async () => {
    const first = (await graph
      .api('/deviceManagement/managedDevices')
      .filter("operatingSystem eq 'iOS' or operatingSystem eq 'Android'")
      .select('id,userId,azureADDeviceId,operatingSystem,deviceName')
      .top(7)
      .get()) as PageCollection;
    expect(first['@odata.nextLink']).toBeDefined();
    const { items, pages } = await all(first);
    expect(pages).toBe(5);
    expect(items).toHaveLength(30);
    expect(new Set(items.map((d) => d.operatingSystem))).toEqual(new Set(['iOS', 'Android']));
    expect(new Set(items.map((d) => d.id)).size).toBe(30);
  });

  it("escapes quotes in filters: deviceName eq 'Adele''s iPhone 15'", async () => {
    const res = (await graph.api('/deviceManagement/managedDevices').filter("deviceName eq 'Adele''s iPhone 15'").get()) as PageCollection;
    expect(res.value).toHaveLength(1);
  });

  it('finds the Entra device by deviceId (object id distinct) and writes extension attributes', async () => {
    const managed = sim.state.intuneDevices(CONTOSO)[0];
    const found = (await graph.api('/devices').filter(`deviceId eq '${managed?.azureADDeviceId ?? ''}'`).select('id,deviceId').get()) as PageCollection;
    expect(found.value).toHaveLength(1);
    const entra = found.value[0] as { id: string; deviceId: string };
    expect(entra.deviceId).toBe(managed?.azureADDeviceId);
    expect(entra.id).not.toBe(entra.deviceId);

    await graph.api(`/devices/${entra.id}`).patch({ extensionAttributes: { extensionAttribute3: 'high' } });
    const after = (await graph.api(`/devices/${entra.id}`).get()) as { extensionAttributes: Record<string, string | null> };
    expect(after.extensionAttributes.extensionAttribute3).toBe('high');
    expect(after.extensionAttributes.extensionAttribute4).toBeNull();
    expect(sim.state.entraWrites(CONTOSO).at(-1)).toMatchObject({ targetId: entra.id, body: { extensionAttributes: { extensionAttribute3: 'high' } } });

    expect(await graphStatus(graph.api(`/devices/${entra.id}`).patch({ extensionAttributes: { extensionAttribute16: 'x' } }))).toBe(400);
    expect(await graphStatus(graph.api(`/devices/${managed?.azureADDeviceId ?? ''}`).get())).toBe(404);
  });
});

/**
 * Delta queries for groups and users in the simulator: initial round, changes only afterwards, 410 once the
 * tokens expire.
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { CONTOSO, control, graphClient, startTestSimulator } from './simFixture.js';

interface DeltaPage {
  value: Record<string, unknown>[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

let sim: Simulator;
let graph: Client;

beforeAll(async () => {
  sim = await startTestSimulator();
  graph = graphClient(sim, CONTOSO);
});
afterAll(async () => {
  await sim.close();
});

/** Runs one delta round to its deltaLink. */
async function round(start: string, pageSize?: number): Promise<{ items: Record<string, unknown>[]; deltaLink: string; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let link: string | undefined = start;
  let pages = 0;
  for (;;) {
    const request = graph.api(link);
    if (pageSize) request.header('Prefer', `odata.maxpagesize=${pageSize}`);
    const page = (await request.get()) as DeltaPage;
    pages++;
    items.push(...page.value);
    if (page['@odata.deltaLink']) return { items, deltaLink: page['@odata.deltaLink'], pages };
    link = page['@odata.nextLink'];
    if (!link) throw new Error('neither nextLink nor deltaLink');
  }
}

function groupByName(name: string): string {
  const g = [...sim.state.tenant(CONTOSO).groups.values()].find((x) => x.displayName === name);
  if (!g) throw new Error(`no group ${name}`);
  return g.id;
}

describe('groups delta', () => {
  it('returns every group with members@delta first, then only the changes, then 410 after expiry', async () => {
    const first = await round('/groups/delta?$select=displayName,members', 3);
    expect(first.pages).toBeGreaterThan(1);
    const pilot = first.items.find((g) => g.id === groupByName('MTD-Pilot'));
    expect(pilot?.displayName).toBe('MTD-Pilot');
    expect(pilot?.['members@delta']).toHaveLength(7);

    // Nothing changed: an empty round.
    const quiet = await round(first.deltaLink);
    expect(quiet.items).toEqual([]);

    const readers = groupByName('Console Readers');
    const zoe = sim.state.addUser(CONTOSO, { userPrincipalName: 'zoe.new@contoso.onmicrosoft.com', displayName: 'Zoe New' });
    expect((await control(sim, 'POST', `/_sim/groups/${CONTOSO}/${groupByName('MTD-Pilot')}/members`, { memberId: zoe.id })).status).toBe(204);
    const leaving = [...(sim.state.tenant(CONTOSO).groups.get(groupByName('MTD-Pilot'))?.members ?? [])][0] ?? '';
    expect((await control(sim, 'DELETE', `/_sim/groups/${CONTOSO}/${groupByName('MTD-Pilot')}/members/${leaving}`)).status).toBe(204);
    expect((await control(sim, 'PATCH', `/_sim/groups/${CONTOSO}/${readers}`, { displayName: 'Console Viewers' })).status).toBe(200);

    const changes = await round(quiet.deltaLink);
    expect(changes.items).toHaveLength(2);
    const pilotChange = changes.items.find((g) => g.id === groupByName('MTD-Pilot'));
    expect(pilotChange?.['members@delta']).toEqual(
      expect.arrayContaining([
        { '@odata.type': '#microsoft.graph.user', id: zoe.id },
        { '@odata.type': '#microsoft.graph.user', id: leaving, '@removed': { reason: 'deleted' } },
      ]),
    );
    expect(changes.items.find((g) => g.id === readers)).toMatchObject({ displayName: 'Console Viewers', 'members@delta': [] });

    sim.state.deleteGroup(CONTOSO, groupByName('MTD-Empty'));
    expect((await control(sim, 'POST', '/_sim/delta/expire', { tenantId: CONTOSO })).status).toBe(204);
    try {
      await graph.api(changes.deltaLink).get();
      expect.unreachable('an expired delta token must fail');
    } catch (error) {
      expect(error).toBeInstanceOf(GraphError);
      expect((error as GraphError).statusCode).toBe(410);
      expect((error as GraphError).code).toBe('syncStateNotFound');
    }
    // A fresh round works and no longer lists the deleted group.
    const resync = await round('/groups/delta?$select=displayName,members');
    expect(resync.items.some((g) => g.displayName === 'MTD-Empty')).toBe(false);
  });

  it('limits a round to the groups named in $filter=id eq', async () => {
    const id = groupByName('MTD-Pilot-Nested');
    const r = await round(`/groups/delta?$select=members&$filter=id eq '${id}'`);
    expect(r.items.map((g) => g.id)).toEqual([id]);
    expect(r.items[0]?.['members@delta']).toHaveLength(3);
  });
});

describe('users delta', () => {
  it('reports added and deleted users after the first round', async () => {
    const first = await round('/users/delta?$select=displayName,userPrincipalName', 10);
    expect(first.items.length).toBe(sim.state.tenant(CONTOSO).users.size);
    const added = sim.state.addUser(CONTOSO, { userPrincipalName: 'new.person@contoso.onmicrosoft.com', displayName: 'New Person' });
    const gone = sim.state.tenant(CONTOSO).findUser('irvin.sayers@contoso.onmicrosoft.com')?.id ?? '';
    sim.state.deleteUser(CONTOSO, gone);
    const next = await round(first.deltaLink);
    expect(next.items).toEqual([
      { id: added.id, displayName: 'New Person', userPrincipalName: 'new.person@contoso.onmicrosoft.com' },
      { id: gone, '@removed': { reason: 'changed' } },
    ]);
  });
});

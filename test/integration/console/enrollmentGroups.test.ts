import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEnrollmentGroup } from '../../../shared/enrollment/groupResolution.js';
import { GraphError } from '../../../shared/graph/graphError.js';
import { loadDefaultScenario, type Scenario } from '../../../dev/sim/scenario.js';
import { contoso, startSimHarness, type SimHarness } from '../auth/harness.js';

let h: SimHarness;
let scenario: Scenario;

beforeAll(async () => {
  h = await startSimHarness();
  h.sim.state.grantConsent(contoso.tenantId);
  scenario = await loadDefaultScenario();
});
afterAll(async () => h.close());

/** Users reachable from a group through nested groups, computed from the scenario file. */
function transitiveUsers(groupId: string): Set<string> {
  const tenant = scenario.tenants.find((t) => t.id === contoso.tenantId);
  const groups = new Map((tenant?.groups ?? []).map((g) => [g.id, g]));
  const users = new Set((tenant?.users ?? []).map((u) => u.id));
  const found = new Set<string>();
  const visit = (id: string, seen: Set<string>): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const member of groups.get(id)?.members ?? []) {
      if (users.has(member)) found.add(member);
      else visit(member, seen);
    }
  };
  visit(groupId, new Set());
  return found;
}

function groupId(name: string): string {
  const group = scenario.tenants.find((t) => t.id === contoso.tenantId)?.groups.find((g) => g.displayName === name);
  if (!group) throw new Error(`no group ${name} in the scenario`);
  return group.id;
}

describe('resolving an enrollment group by display name', () => {
  it('resolves an exact name with its transitive user count (nested groups followed)', async () => {
    const resolved = await resolveEnrollmentGroup(h.services.graph, contoso.tenantId, 'MTD-Pilot', { countMembers: true });
    expect(resolved).toEqual({ status: 'resolved', groupId: groupId('MTD-Pilot'), memberCount: transitiveUsers(groupId('MTD-Pilot')).size });
  });

  it('takes a tenant client as well as the per-tenant access', async () => {
    const resolved = await resolveEnrollmentGroup(h.services.graph.graph(contoso.tenantId), contoso.tenantId, 'MTD-Empty', { countMembers: true });
    expect(resolved).toEqual({ status: 'resolved', groupId: groupId('MTD-Empty'), memberCount: 0 });
  });

  it('tells case-mismatch, ambiguous and not-found apart', async () => {
    expect(await resolveEnrollmentGroup(h.services.graph, contoso.tenantId, 'MTD-CASETEST')).toEqual({ status: 'case-mismatch', candidates: ['mtd-casetest'] });
    expect(await resolveEnrollmentGroup(h.services.graph, contoso.tenantId, 'MTD-Duplicate')).toMatchObject({ status: 'ambiguous' });
    expect(await resolveEnrollmentGroup(h.services.graph, contoso.tenantId, "O'Brien & Co / R+D")).toEqual({ status: 'not-found' });
  });

  it('lets Graph failures through as GraphError', async () => {
    h.sim.state.addFault({ path: '^/v1\\.0/groups$', status: 403, count: 1 });
    await expect(resolveEnrollmentGroup(h.services.graph, contoso.tenantId, 'MTD-Pilot')).rejects.toBeInstanceOf(GraphError);
  });
});

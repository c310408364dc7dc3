import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGraphAccess } from '../../../shared/graph/graphAccess.js';
import { GraphError } from '../../../shared/graph/graphError.js';
import { listAllItems, pages } from '../../../shared/graph/paging.js';
import { contoso, fabrikam, simConfig, startSim } from '../auth/harness.js';
import type { Simulator } from '../../../dev/sim/server.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSim();
  sim.state.grantConsent(contoso.tenantId);
});
afterAll(async () => sim.close());

function access(sleeps: number[] = []) {
  return createGraphAccess(simConfig(sim.url), {
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
}

const group = z.object({ id: z.string(), displayName: z.string() });

describe('per-tenant Graph access', () => {
  it('reads the tenant directory with an app token obtained through the authority host', async () => {
    const graph = access();
    const groups = await listAllItems(graph.graph(contoso.tenantId), '/groups?$select=id,displayName', group);
    expect(groups.map((g) => g.displayName)).toContain('Console Admins');
    expect(graph.stats.requests).toBeGreaterThan(0);
  });

  it('keeps one client per tenant', () => {
    const graph = access();
    expect(graph.graph(contoso.tenantId)).toBe(graph.graph(contoso.tenantId.toUpperCase()));
    expect(graph.graph(contoso.tenantId)).not.toBe(graph.graph(fabrikam.tenantId));
  });

  it('follows @odata.nextLink page by page', async () => {
    const graph = access();
    const seen: number[] = [];
    for await (const page of pages(graph.graph(contoso.tenantId), '/users?$select=id,displayName&$top=5', z.object({ id: z.string() }))) {
      seen.push(page.items.length);
    }
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(20);
  });

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    const sleeps: number[] = [];
    const graph = access(sleeps);
    sim.state.addFault({ path: '^/v1\\.0/groups$', status: 429, retryAfterSeconds: 2, count: 1 });
    const groups = await listAllItems(graph.graph(contoso.tenantId), '/groups', group);
    expect(groups.length).toBeGreaterThan(0);
    expect(sleeps).toEqual([2000]);
    expect(graph.stats.retries).toBe(1);
  });

  it('retries 5xx with growing, jittered backoff and gives up after the bounded attempts', async () => {
    const sleeps: number[] = [];
    const graph = access(sleeps);
    sim.state.addFault({ path: '^/v1\\.0/organization$', status: 503, count: 10 });
    const failure = await graph.graph(contoso.tenantId).api('/organization').get().then(() => undefined, (e: unknown) => e);
    sim.state.clearFaults();
    expect(failure).toBeInstanceOf(GraphError);
    expect(failure).toMatchObject({ code: 'ERR_GRAPH_UNAVAILABLE', status: 503 });
    expect(sleeps).toHaveLength(3);
    expect(sleeps[0]).toBeGreaterThanOrEqual(250);
    expect(sleeps[0]).toBeLessThanOrEqual(500);
    expect(sleeps[2]).toBeGreaterThanOrEqual(1000);
  });

  it('does not retry a refused request and reports Graph’s error code', async () => {
    const sleeps: number[] = [];
    const graph = access(sleeps);
    const failure = await graph
      .graph(contoso.tenantId)
      .api('/groups/00000000-0000-4000-8000-000000000000')
      .get()
      .then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(GraphError);
    expect(failure).toMatchObject({ code: 'ERR_GRAPH_NOT_FOUND', status: 404 });
    expect((failure as GraphError).graphCode).toBeTruthy();
    expect(sleeps).toEqual([]);
  });

  it('fails with ERR_GRAPH_AUTH when the tenant has not consented', async () => {
    const graph = access();
    const failure = await graph.graph(fabrikam.tenantId).api('/groups').get().then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(GraphError);
    expect(failure).toMatchObject({ code: 'ERR_GRAPH_AUTH' });
    expect(String((failure as Error).message)).not.toMatch(/sim-client-secret/);
  });

  it('hands a long Retry-After back to the caller instead of waiting', async () => {
    const sleeps: number[] = [];
    const graph = access(sleeps);
    sim.state.addFault({ path: '^/v1\\.0/organization$', status: 429, retryAfterSeconds: 120, count: 1 });
    const failure = await graph.graph(contoso.tenantId).api('/organization').get().then(() => undefined, (e: unknown) => e);
    expect(failure).toMatchObject({ code: 'ERR_GRAPH_THROTTLED', status: 429 });
    expect((failure as GraphError).retryAfterSeconds).toBe(120);
    expect(sleeps).toEqual([]);
  });
});

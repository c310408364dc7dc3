/**
 * Fault injection: injected statuses with Retry-After (which the Graph client's retry honours), added
 * latency, dropped connections; and the request stats.
 */
import { GraphError, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import type { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { CONTOSO, control, graphClient, startTestSimulator } from './simFixture.js';

let sim: Simulator;
let graph: Client;

beforeAll(async () => {
  sim = await startTestSimulator();
  graph = graphClient(sim, CONTOSO);
});
beforeEach(async () => {
  await control(sim, 'DELETE', '/_sim/faults');
  await control(sim, 'POST', '/_sim/stats/reset');
});
afterAll(async () => {
  await sim.close();
});

describe('fault injection', () => {
  it('answers the next N matching requests with the injected status, then recovers', async () => {
    const added = await control(sim, 'POST', '/_sim/faults', { method: 'GET', path: '^/v1\\.0/users$', count: 2, status: 503, retryAfterSeconds: 7 });
    expect(added.status).toBe(201);
    const token = await sim.state.mintAppToken(CONTOSO);
    const call = (): Promise<Response> => fetch(`${sim.url}/v1.0/users`, { headers: { authorization: `Bearer ${token}` } });
    const first = await call();
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(await first.json()).toMatchObject({ error: { code: 'ServiceUnavailable' } });
    expect((await call()).status).toBe(503);
    expect((await call()).status).toBe(200);
    // Other routes were never affected.
    expect((await fetch(`${sim.url}/v1.0/groups`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const stats = (await control(sim, 'GET', '/_sim/stats')).body as { byRoute: Record<string, Record<string, number>>; faultsInjected: number };
    expect(stats.byRoute['GET /{v}/users']).toEqual({ '200': 1, '503': 2 });
    expect(stats.faultsInjected).toBe(2);
  });

  it('lets the Graph client retry a 429 after its Retry-After', async () => {
    sim.state.addFault({ method: 'GET', path: '/deviceManagement/managedDevices$', status: 429, retryAfterSeconds: 1 });
    const started = Date.now();
    const res = (await graph.api('/deviceManagement/managedDevices').get()) as { value: unknown[] };
    expect(res.value.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sim.state.stats().byRoute['GET /{v}/deviceManagement/managedDevices']).toEqual({ '200': 1, '429': 1 });
  });

  it('adds latency', async () => {
    sim.state.addFault({ path: '^/v1\\.0/groups$', latencyMs: 300 });
    const started = Date.now();
    await graph.api('/groups').get();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('drops the connection', async () => {
    sim.state.addFault({ method: 'PATCH', path: '/deviceManagement/managedDevices/', drop: true });
    const id = sim.state.intuneDevices(CONTOSO)[0]?.id ?? '';
    const error: unknown = await graph
      .api(`/deviceManagement/managedDevices/${id}`)
      .middlewareOptions([new RetryHandlerOptions(0, 0)])
      .patch({ partnerReportedThreatState: 'secured' })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeDefined();
    expect(error instanceof GraphError ? error.statusCode : -1).toBeLessThanOrEqual(0);
    expect(sim.state.threatState(CONTOSO, id)).toBe('unknown');
    // The next request is served normally.
    await graph.api(`/deviceManagement/managedDevices/${id}`).patch({ partnerReportedThreatState: 'secured' });
    expect(sim.state.threatState(CONTOSO, id)).toBe('secured');
  });
});

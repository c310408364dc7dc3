/**
 * The Intune partner API in the simulator: device health writes, the MTD connector, `$batch` and the
 * device-write throttle, through the real Graph client.
 */
import { BatchRequestContent, BatchResponseContent, GraphError, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import type { Client, PageCollection } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { CONTOSO, FABRIKAM, control, graphClient, startTestSimulator } from './simFixture.js';

let sim: Simulator | undefined;
let graph: Client;

beforeEach(async () => {
  await sim?.close();
  sim = await startTestSimulator();
  graph = graphClient(sim, CONTOSO);
});
afterAll(async () => {
  await sim?.close();
});

function current(): Simulator {
  if (!sim) throw new Error('no simulator');
  return sim;
}

function mobileDeviceIds(tenantId = CONTOSO): string[] {
  return current().state.intuneDevices(tenantId).filter((d) => d.operatingSystem !== 'Windows').map((d) => d.id);
}

async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    if (error instanceof GraphError) return error.statusCode;
    throw error;
  }
}

const noRetry = [new RetryHandlerOptions(0, 0)];

describe('device health writes', () => {
  it('records partnerReportedThreatState, visible through Graph and the control API', async () => {
    const [id] = mobileDeviceIds();
    await graph.api(`/deviceManagement/managedDevices/${id}`).patch({ partnerReportedThreatState: 'highSeverity' });
    const device = (await graph.api(`/deviceManagement/managedDevices/${id}`).select('id,partnerReportedThreatState').get()) as Record<string, unknown>;
    expect(device.partnerReportedThreatState).toBe('highSeverity');
    const listed = await control(current(), 'GET', `/_sim/intune/devices/${CONTOSO}`);
    const entry = (listed.body as { value: { id: string; partnerReportedThreatState: string }[] }).value.find((d) => d.id === id);
    expect(entry?.partnerReportedThreatState).toBe('highSeverity');
    const writes = await control(current(), 'GET', `/_sim/intune/writes?tenantId=${CONTOSO}`);
    expect((writes.body as { value: unknown[] }).value).toEqual([
      expect.objectContaining({ kind: 'managedDevice', targetId: id, body: { partnerReportedThreatState: 'highSeverity' }, at: expect.any(String) as string }),
    ]);
  });

  it('accepts the beta path too, and rejects values outside the enum and unknown devices', async () => {
    const [id] = mobileDeviceIds();
    const res = await fetch(`${current().url}/beta/deviceManagement/managedDevices/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${await current().state.mintAppToken(CONTOSO)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ partnerReportedThreatState: 'secured' }),
    });
    expect(res.status).toBe(204);
    expect(await statusOf(graph.api(`/deviceManagement/managedDevices/${id}`).patch({ partnerReportedThreatState: 'high' }))).toBe(400);
    expect(await statusOf(graph.api(`/deviceManagement/managedDevices/${id}`).patch({ complianceState: 'noncompliant' }))).toBe(400);
    expect(await statusOf(graph.api('/deviceManagement/managedDevices/00000000-0000-4000-8000-000000000000').patch({ partnerReportedThreatState: 'secured' }))).toBe(404);
    // Another tenant's device is unknown to this tenant's token.
    const [fabrikamDevice] = mobileDeviceIds(FABRIKAM);
    expect(await statusOf(graph.api(`/deviceManagement/managedDevices/${fabrikamDevice}`).patch({ partnerReportedThreatState: 'secured' }))).toBe(404);
    expect(current().state.threatState(CONTOSO, id ?? '')).toBe('secured');
  });

  it('reads and updates the tenant MTD connector heartbeat', async () => {
    const list = (await graph.api('/deviceManagement/mobileThreatDefenseConnectors').get()) as PageCollection;
    expect(list.value).toHaveLength(1);
    const connector = list.value[0] as { id: string; partnerState: string };
    const now = new Date().toISOString();
    await graph.api(`/deviceManagement/mobileThreatDefenseConnectors/${connector.id}`).patch({ lastHeartbeatDateTime: now, partnerState: 'enabled' });
    const read = await control(current(), 'GET', `/_sim/intune/connectors/${CONTOSO}`);
    expect((read.body as { value: unknown[] }).value[0]).toMatchObject({ lastHeartbeatDateTime: now, partnerState: 'enabled' });
    expect(await statusOf(graph.api(`/deviceManagement/mobileThreatDefenseConnectors/${connector.id}`).patch({ partnerState: 'great' }))).toBe(400);
  });
});

describe('$batch and throttling', () => {
  it('refuses a batch of more than 20 requests', async () => {
    const ids = mobileDeviceIds();
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i + 1),
      method: 'PATCH',
      url: `/deviceManagement/managedDevices/${ids[i % ids.length] ?? ''}`,
      headers: { 'Content-Type': 'application/json' },
      body: { partnerReportedThreatState: 'secured' },
    }));
    expect(await statusOf(graph.api('/$batch').post({ requests }))).toBe(400);
    expect(current().state.intuneWrites(CONTOSO)).toEqual([]);
    const duplicate = [requests[0], { ...requests[1], id: '1' }];
    expect(await statusOf(graph.api('/$batch').post({ requests: duplicate }))).toBe(400);
  });

  it('throttles each sub-request on its own: 429 with its own Retry-After once the window is full', async () => {
    expect((await control(current(), 'POST', '/_sim/throttle', { tenantId: CONTOSO, limit: 5, windowSeconds: 30 })).status).toBe(204);
    const ids = mobileDeviceIds().slice(0, 20);
    const batch = new BatchRequestContent();
    for (const id of ids) {
      batch.addRequest({
        id,
        request: new Request(`${current().url}/v1.0/deviceManagement/managedDevices/${id}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ partnerReportedThreatState: 'lowSeverity' }),
        }),
      });
    }
    const raw: unknown = await graph.api('/$batch').post(await batch.getContent());
    const responses = new BatchResponseContent(raw as { responses: [] }).getResponses();
    const statuses = ids.map((id) => responses.get(id)?.status);
    expect(statuses.filter((s) => s === 204)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    const throttled = ids.map((id) => responses.get(id)).filter((r) => r?.status === 429);
    for (const r of throttled) {
      const retryAfter = Number(r?.headers.get('Retry-After'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
    }
    expect(current().state.intuneWrites(CONTOSO)).toHaveLength(5);

    // A single write is throttled too; the throttle is per tenant, Fabrikam is unaffected.
    expect(await statusOf(graph.api(`/deviceManagement/managedDevices/${ids[0] ?? ''}`).middlewareOptions(noRetry).patch({ partnerReportedThreatState: 'secured' }))).toBe(429);
    current().state.grantConsent(FABRIKAM);
    const fabrikam = graphClient(current(), FABRIKAM);
    await fabrikam.api(`/deviceManagement/managedDevices/${mobileDeviceIds(FABRIKAM)[0] ?? ''}`).patch({ partnerReportedThreatState: 'secured' });

    const stats = (await control(current(), 'GET', '/_sim/stats')).body as { throttled: number; intuneWrites: number };
    expect(stats.throttled).toBe(16);
    expect(stats.intuneWrites).toBe(6);
  });

  it('frees the window after it passes (sliding window)', async () => {
    // A window long enough that the three writes below fall inside it even on a busy machine.
    current().state.setThrottle({ limit: 2, windowSeconds: 3 });
    const [a, b] = mobileDeviceIds();
    const patch = (id: string | undefined): Promise<number> =>
      statusOf(graph.api(`/deviceManagement/managedDevices/${id ?? ''}`).middlewareOptions(noRetry).patch({ partnerReportedThreatState: 'secured' }));
    expect(await patch(a)).toBe(200);
    expect(await patch(b)).toBe(200);
    expect(await patch(a)).toBe(429);
    await new Promise((r) => setTimeout(r, 3100));
    expect(await patch(a)).toBe(200);
  });

  it('runs dependsOn in order and fails dependents of a failed request with 424', async () => {
    const [id] = mobileDeviceIds();
    const raw = (await graph.api('/$batch').post({
      requests: [
        { id: '1', method: 'PATCH', url: '/deviceManagement/managedDevices/00000000-0000-4000-8000-000000000000', headers: { 'Content-Type': 'application/json' }, body: { partnerReportedThreatState: 'secured' } },
        { id: '2', dependsOn: ['1'], method: 'PATCH', url: `/deviceManagement/managedDevices/${id ?? ''}`, headers: { 'Content-Type': 'application/json' }, body: { partnerReportedThreatState: 'secured' } },
        { id: '3', method: 'GET', url: `deviceManagement/managedDevices/${id ?? ''}?$select=id` },
      ],
    })) as { responses: { id: string; status: number; body?: unknown }[] };
    expect(raw.responses.map((r) => [r.id, r.status])).toEqual([['1', 404], ['2', 424], ['3', 200]]);
    expect(raw.responses[2]?.body).toMatchObject({ id });
  });
});

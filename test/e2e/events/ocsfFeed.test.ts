/**
 * The event feed in OCSF (`format=ocsf`) through the local host: the same page as the native feed, each event mapped
 * (a threat to a Detection Finding, a device change to Device Inventory Info, an audit entry unchanged), the same
 * cursor; an unknown format is a 400 problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOcsf } from '../../../shared/events/ocsf.js';
import type { ServiceEvent } from '../../../shared/events/event.js';
import { call, startWebhookHarness, type WebhookHarness } from '../webhooks/harness.js';

let h: WebhookHarness;

beforeAll(async () => {
  h = await startWebhookHarness();
});

afterAll(async () => {
  await h?.close();
});

const device = {
  deviceId: 'dev-ocsf',
  intuneDeviceId: 'intune-ocsf',
  deviceName: 'Pixel 9',
  userPrincipalName: 'ann@contoso.test',
  platform: 'android' as const,
  status: 'active' as const,
  riskLevel: 'high' as const,
};

describe('GET /api/v1/events?format=ocsf', () => {
  it('answers the same page as OCSF objects, with the same cursor, for an Events.Read application', async () => {
    const at = new Date().toISOString();
    await h.services.events.record(h.contoso, [
      {
        type: 'threat.detected',
        occurredAt: at,
        data: { device, threat: { id: 'thr-feed-1', classification: 'TROJAN', category: 'application', riskLevel: 'high', detectedAt: at } },
      },
      { type: 'device.risk_changed', occurredAt: at, data: { device, previous: { status: 'active', riskLevel: 'none' } } },
    ]);
    const change = await call(h.host, 'PUT', 'v1/console/connector', h.tokens.admin, { heartbeatFrequencyMinutes: 45 });
    expect(change.status).toBe(200);
    await h.services.events.idle();

    const siem = await h.sim.state.mintApiAppToken({ tenantId: h.contoso, roles: ['Events.Read'] });
    const native = await call(h.host, 'GET', 'v1/events?limit=1000', siem);
    const ocsf = await call(h.host, 'GET', 'v1/events?limit=1000&format=ocsf', siem);
    expect([native.status, ocsf.status]).toEqual([200, 200]);
    const events = native.body.items as ServiceEvent[];
    const objects = ocsf.body.items as Record<string, unknown>[];
    expect(ocsf.body.nextCursor).toBe(native.body.nextCursor);
    expect(objects).toEqual(events.map((event): unknown => JSON.parse(JSON.stringify(toOcsf(event)))));

    const finding = objects.find((item) => (item.finding_info as { uid?: string } | undefined)?.uid === 'thr-feed-1');
    expect(finding).toMatchObject({ class_uid: 2004, category_uid: 2, activity_id: 1, type_uid: 200401, severity_id: 4, device: { uid: 'dev-ocsf', os: { type_id: 201 } } });
    const inventory = objects.find((item) => item.class_uid === 5001);
    expect(inventory).toMatchObject({ category_uid: 5, activity_id: 1, type_uid: 500101, device: { uid: 'dev-ocsf', risk_level_id: 3 } });
    // An audit entry has no OCSF class here: it comes as it is.
    expect(objects.some((item) => item.type === 'audit.recorded' && !('class_uid' in item))).toBe(true);
    // Every item names its event: metadata.uid on OCSF objects, id otherwise, in the native page's order.
    expect(objects.map((item) => (item.metadata as { uid?: string } | undefined)?.uid ?? item.id)).toEqual(events.map((event) => event.id));

    // The cursor pages on in OCSF as in the native format.
    const next = await call(h.host, 'GET', `v1/events?format=ocsf&after=${encodeURIComponent(String(ocsf.body.nextCursor))}`, siem);
    expect(next.status).toBe(200);
    expect(next.body.items).toEqual([]);
  });

  it('refuses an unknown format with a problem', async () => {
    const answer = await call(h.host, 'GET', 'v1/events?format=cef', h.tokens.admin);
    expect(answer.status).toBe(400);
    expect(answer.contentType).toContain('application/problem+json');
    expect((answer.body.errors as { path: string }[]).some((error) => error.path === 'format')).toBe(true);
  });
});

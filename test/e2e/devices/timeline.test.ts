/**
 * A device's timeline through the local host: after activation and threat reports, the console reads the device's
 * history newest first, page by page, with the same event ids as the tenant feed; the timeline of another tenant's
 * device is not found and a forged cursor is refused.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDevice } from '../../integration/devices/deviceRows.js';
import { activation, id, post, startDeviceHarness, type DeviceHarness } from './harness.js';

let h: DeviceHarness;

beforeAll(async () => {
  h = await startDeviceHarness();
});

afterAll(async () => {
  await h?.close();
});

interface Item {
  at: string;
  kind: string;
  summary: string;
  eventId?: string;
  data: Record<string, unknown>;
}

async function get(path: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${h.host.url}/api/${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('device timeline', () => {
  it('shows activation, the threat report and its events newest first, with the feed\'s event ids, page by page', async () => {
    const deviceId = randomUUID();
    await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann'), deviceName: 'Ann iPhone', userPrincipalName: 'ann@contoso.test' });
    const token = await h.token(h.contoso, 'ann');
    const activated = await post(h.host, 'v1/device/activate', token, activation(deviceId));
    expect(activated.status).toBe(200);
    const deviceToken = String(activated.body.deviceToken);
    const report = { reportId: randomUUID(), sequence: 1, observedAt: new Date().toISOString(), threats: [{ id: 't1', classification: 'TROJAN', name: 'Evil Trojan', detectedAt: '2026-03-01T09:00:00.000Z' }] };
    expect((await post(h.host, 'v1/device/threat-report', deviceToken, report)).status).toBe(202);
    await h.eventsSettled();

    const all = await get(`v1/console/devices/${deviceId}/timeline?limit=200`, token);
    expect(all.status).toBe(200);
    const items = all.body.items as Item[];
    expect(all.body.nextCursor).toBeNull();
    // Newest first.
    const times = items.map((item) => Date.parse(item.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(items.map((item) => item.kind)).toEqual(expect.arrayContaining(['event', 'activation']));
    const detected = items.find((item) => item.kind === 'event' && item.data.type === 'threat.detected');
    expect(detected?.summary).toBe('Threat detected: Evil Trojan (TROJAN)');
    const riskChange = items.find((item) => item.kind === 'event' && item.data.type === 'device.risk_changed');
    expect(riskChange?.summary).toBe('Risk level changed from none to high');
    expect(items.find((item) => item.kind === 'activation')?.summary).toMatch(/^Agent activated/);

    // The same ids as the tenant's feed.
    const feed = await get('v1/events?limit=1000', token);
    const feedIds = new Set((feed.body.items as { id: string; data: { device?: { deviceId?: string } } }[]).filter((e) => e.data.device?.deviceId === deviceId).map((e) => e.id));
    const timelineIds = items.flatMap((item) => (item.eventId ? [item.eventId] : []));
    expect(timelineIds.length).toBeGreaterThanOrEqual(3);
    expect(new Set(timelineIds)).toEqual(feedIds);

    // Paged: the pages join into the whole, without repeats.
    const paged: Item[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`v1/console/devices/${deviceId}/timeline?limit=2${cursor ? `&cursor=${cursor}` : ''}`, token);
      expect(page.status).toBe(200);
      paged.push(...(page.body.items as Item[]));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(paged).toEqual(items);
  });

  it('answers 404 for another tenant\'s device and 400 for a cursor of another device', async () => {
    const deviceId = randomUUID();
    await seedDevice(h.tables, h.fabrikam, { deviceId, userId: id('zed') });
    const token = await h.token(h.contoso, 'ann');
    expect((await get(`v1/console/devices/${deviceId}/timeline`, token)).status).toBe(404);
    const own = randomUUID();
    await seedDevice(h.tables, h.contoso, { deviceId: own, userId: id('ann') });
    const forged = Buffer.from(JSON.stringify({ v: 1, d: deviceId, k: `~t|${deviceId}|0` })).toString('base64url');
    expect((await get(`v1/console/devices/${own}/timeline?cursor=${forged}`, token)).status).toBe(400);
  });
});

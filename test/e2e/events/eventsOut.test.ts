/**
 * Events out through the local host, against the simulated tenant: the `Events.Read` app role opens the event feed
 * and nothing else; each tenant's events reach its own feed and its own webhooks only; a SIEM's cursor keeps reading
 * across a restart of the host, missing and repeating nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../../dev/host/server.js';
import type { WebhookReceiver } from '../../../dev/webhookReceiver.js';
import { verifiesWith } from '../../support/standardWebhooks.js';
import { call, startWebhookHarness, type WebhookHarness } from '../webhooks/harness.js';

let h: WebhookHarness;

beforeAll(async () => {
  h = await startWebhookHarness();
});

afterAll(async () => {
  await h?.close();
});

interface FeedPage {
  items: { id: string; type: string; tenantId: string; data: Record<string, unknown> }[];
  nextCursor: string | null;
}

async function feed(host: LocalHost, token: string, query = ''): Promise<FeedPage> {
  const answer = await call(host, 'GET', `v1/events?limit=1000${query}`, token);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as unknown as FeedPage;
}

/** A settings change: an `audit.recorded` event of the caller's tenant. */
async function changeSettings(host: LocalHost, token: string, minutes: number): Promise<void> {
  const answer = await call(host, 'PUT', 'v1/console/connector', token, { heartbeatFrequencyMinutes: minutes });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

describe('the Events.Read app role', () => {
  it('opens the event feed of its own tenant, and no other route', async () => {
    const siem = await h.sim.state.mintApiAppToken({ tenantId: h.contoso, roles: ['Events.Read'] });
    await changeSettings(h.host, h.tokens.admin, 50);
    await h.services.events.idle();
    const page = await feed(h.host, siem);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((event) => event.tenantId === h.contoso)).toBe(true);

    const elsewhere: [string, string, unknown?][] = [
      ['GET', 'v1/console/me'],
      ['GET', 'v1/console/health'],
      ['GET', 'v1/console/devices'],
      ['GET', 'v1/console/webhooks'],
      ['POST', 'v1/console/webhooks', { url: 'https://localhost/hook', types: ['threat.detected'] }],
      ['PUT', 'v1/console/connector', { heartbeatFrequencyMinutes: 30 }],
      ['GET', 'v1/console/audit-log'],
      ['POST', 'v1/device/activate', { intuneDeviceId: 'x', platform: 'ios', osVersion: '18.1', appVersion: '1.0.0' }],
    ];
    for (const [method, path, body] of elsewhere) {
      const answer = await call(h.host, method, path, siem, body);
      expect([401, 403], `${method} ${path}: ${answer.status}`).toContain(answer.status);
      expect(answer.contentType).toContain('application/problem+json');
    }
    // The webhook that POST would have made does not exist.
    const listed = await call(h.host, 'GET', 'v1/console/webhooks', h.tokens.admin);
    expect(listed.body.items).toEqual([]);
  });

  it('is refused without the role, and a SIEM of one tenant never reads another', async () => {
    for (const roles of [[], ['Events.Write'], ['Provider.Support']]) {
      const answer = await call(h.host, 'GET', 'v1/events', await h.sim.state.mintApiAppToken({ tenantId: h.contoso, roles }));
      expect(answer.status).toBe(403);
    }
    const theirs = await h.sim.state.mintApiAppToken({ tenantId: h.fabrikam, roles: ['Events.Read'] });
    const page = await feed(h.host, theirs);
    expect(page.items.every((event) => event.tenantId === h.fabrikam)).toBe(true);
    const ours = await feed(h.host, h.tokens.admin);
    const crossed = await call(h.host, 'GET', `v1/events?after=${encodeURIComponent(ours.nextCursor ?? '')}`, theirs);
    expect(crossed.status).toBe(400);
  });
});

describe('tenant isolation of events and webhooks', () => {
  it("delivers each tenant's events to its own feed and its own endpoints only", async () => {
    const receivers: Record<'contoso' | 'fabrikam', WebhookReceiver> = { contoso: await h.receiver(), fabrikam: await h.receiver() };
    const secrets: Record<string, string> = {};
    for (const side of ['contoso', 'fabrikam'] as const) {
      const token = side === 'contoso' ? h.tokens.admin : h.tokens.fabrikamAdmin;
      const created = await call(h.host, 'POST', 'v1/console/webhooks', token, { url: `${receivers[side].url}/${side}`, types: ['audit.recorded'] });
      expect(created.status).toBe(201);
      secrets[side] = String(created.body.secret);
    }
    await changeSettings(h.host, h.tokens.admin, 55);
    await changeSettings(h.host, h.tokens.fabrikamAdmin, 65);
    await h.services.events.idle();

    const expectOwn = async (side: 'contoso' | 'fabrikam', tenantId: string): Promise<void> => {
      const receiver = receivers[side];
      await receiver.waitFor(() => receiver.received.some((d) => d.body.includes('heartbeatFrequencyMinutes')));
      for (const delivery of receiver.received) {
        expect(verifiesWith(secrets[side] ?? '', delivery.headers, delivery.body)).toBe(true);
        expect((JSON.parse(delivery.body) as { tenantId: string }).tenantId).toBe(tenantId);
      }
    };
    await expectOwn('contoso', h.contoso);
    await expectOwn('fabrikam', h.fabrikam);
    const contosoFeed = await feed(h.host, h.tokens.admin, '&types=audit.recorded');
    const fabrikamFeed = await feed(h.host, h.tokens.fabrikamAdmin, '&types=audit.recorded');
    expect(contosoFeed.items.every((event) => event.tenantId === h.contoso)).toBe(true);
    expect(fabrikamFeed.items.every((event) => event.tenantId === h.fabrikam)).toBe(true);
    const contosoIds = new Set(contosoFeed.items.map((event) => event.id));
    expect(fabrikamFeed.items.some((event) => contosoIds.has(event.id))).toBe(false);
  });
});

describe('the feed across a restart of the host', () => {
  it("continues from a SIEM's cursor on the restarted host, with nothing missed or repeated", async () => {
    const siem = await h.sim.state.mintApiAppToken({ tenantId: h.contoso, roles: ['Events.Read'] });
    const start = await feed(h.host, siem);
    await changeSettings(h.host, h.tokens.admin, 70);
    await changeSettings(h.host, h.tokens.admin, 75);
    await h.services.events.idle();
    const before = await call(h.host, 'GET', `v1/events?limit=1&after=${encodeURIComponent(start.nextCursor ?? '')}`, siem);
    const firstPage = before.body as unknown as FeedPage;
    expect(firstPage.items).toHaveLength(1);

    // The host stops; a new one starts on the same storage (a new process: nothing kept in memory).
    await h.host.close();
    const { host: restarted, services } = await h.stack.addHost({ overrides: { webhooks: h.runtime } });
    try {
      await changeSettings(restarted, h.tokens.admin, 80);
      await services.events.idle();
      const rest = await feed(restarted, siem, `&after=${encodeURIComponent(firstPage.nextCursor ?? '')}`);
      const all = [...firstPage.items, ...rest.items].filter((event) => event.type === 'audit.recorded');
      const minutes = all.map((event) => JSON.stringify(event.data.after ?? {}).match(/heartbeatFrequencyMinutes":(\d+)/)?.[1]);
      expect(minutes).toEqual(['70', '75', '80']);
      expect(new Set([...firstPage.items, ...rest.items].map((event) => event.id)).size).toBe(firstPage.items.length + rest.items.length);
      // Reading the whole feed again on the new host gives the same order.
      const again = await feed(restarted, siem);
      const ids = again.items.map((event) => event.id);
      const tail = [...firstPage.items, ...rest.items].map((event) => event.id);
      expect(ids.slice(ids.length - tail.length)).toEqual(tail);
    } finally {
      await restarted.close();
    }
  });
});

/**
 * Webhooks through the local host: the console routes (access levels, bad input, the limit, tenant isolation,
 * audit), and delivery through the webhook-deliveries queue to HTTPS receivers: signatures checked with an
 * independent implementation, retries after 5xx and time-outs, 410, redirects, and the address check at delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../dev/webhookReceiver.js';
import { listAuditLog } from '../../../shared/audit/auditLog.js';
import { verifiesWith } from '../../support/standardWebhooks.js';
import { call, deliveriesOf, deviceEvent, startWebhookHarness, until, type WebhookHarness } from './harness.js';

let h: WebhookHarness;

beforeAll(async () => {
  h = await startWebhookHarness();
});

afterAll(async () => {
  await h?.close();
});

const base = 'v1/console/webhooks';

async function create(token: string, url: string, types: string[] = ['device.risk_changed', 'threat.detected']) {
  const answer = await call(h.host, 'POST', base, token, { url, types, description: 'SIEM' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { id: String(answer.body.id), secret: String(answer.body.secret) };
}

async function deleteAll(token: string): Promise<void> {
  const list = await call(h.host, 'GET', base, token);
  for (const item of list.body.items as { id: string }[]) await call(h.host, 'DELETE', `${base}/${item.id}`, token);
}

interface DeliveryView {
  id: string;
  eventId: string;
  status: string;
  attempts: { statusCode: number | null; error: string | null; attempt: number; round: number }[];
  nextAttemptAt: string | null;
  failure: string | null;
}

const deliveries = (endpointId: string, token = h.tokens.admin): Promise<DeliveryView[]> => deliveriesOf<DeliveryView>(h, endpointId, token);


describe('webhook endpoints in the console', () => {
  it('creates an endpoint with its secret shown only then; both access levels read it, only full access writes', async () => {
    const receiver = await h.receiver();
    const created = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/hooks`, types: ['threat.detected'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: `${receiver.url}/hooks`, types: ['threat.detected'], description: null, enabled: true, disabledReason: null });
    expect(String(created.body.secret)).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const endpointId = String(created.body.id);

    const listed = await call(h.host, 'GET', base, h.tokens.reader);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: endpointId })]);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    const one = await call(h.host, 'GET', `${base}/${endpointId}`, h.tokens.reader);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');

    for (const [method, path, body] of [
      ['POST', base, { url: `${receiver.url}/x`, types: ['threat.detected'] }],
      ['PATCH', `${base}/${endpointId}`, { enabled: false }],
      ['DELETE', `${base}/${endpointId}`, undefined],
      ['POST', `${base}/${endpointId}/test`, undefined],
      ['POST', `${base}/${endpointId}/rotate-secret`, undefined],
    ] as const) {
      const refused = await call(h.host, method, path, h.tokens.reader, body);
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.contentType).toContain('application/problem+json');
    }
    expect((await deliveries(endpointId, h.tokens.reader)).length).toBe(0);

    const patched = await call(h.host, 'PATCH', `${base}/${endpointId}`, h.tokens.admin, { description: 'Sentinel', types: ['threat.detected', 'threat.resolved'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ description: 'Sentinel', types: ['threat.detected', 'threat.resolved'] });

    const audit = await listAuditLog(h.tables, h.contoso, { limit: 50 });
    const actions = audit.items.map((entry) => `${entry.action}:${entry.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['webhook.create:applied', 'webhook.update:applied']));
    expect(JSON.stringify(audit.items)).not.toContain('whsec_');

    expect((await call(h.host, 'DELETE', `${base}/${endpointId}`, h.tokens.admin)).status).toBe(204);
    expect((await call(h.host, 'GET', `${base}/${endpointId}`, h.tokens.admin)).status).toBe(404);
  });

  it('refuses bad input with problem+json and stores nothing', async () => {
    h.names.set('internal.test', ['10.0.0.12']);
    h.names.set('mapped.test', ['::ffff:192.168.1.10']);
    const cases: { body?: unknown; raw?: string; path: string }[] = [
      { body: { url: 'http://hooks.example.com/', types: ['threat.detected'] }, path: 'url' },
      { body: { url: 'https://10.1.2.3/', types: ['threat.detected'] }, path: 'url' },
      { body: { url: 'https://[::1]:8443/', types: ['threat.detected'] }, path: 'url' },
      { body: { url: 'https://169.254.169.254/latest/meta-data', types: ['threat.detected'] }, path: 'url' },
      { body: { url: 'https://internal.test/', types: ['threat.detected'] }, path: 'url' },
      { body: { url: 'https://mapped.test/', types: ['threat.detected'] }, path: 'url' },
      { body: { url: 'https://u:p@hooks.example.com/', types: ['threat.detected'] }, path: 'url' },
      { body: { url: 'https://localhost/', types: ['threat.found'] }, path: 'types' },
      { body: { url: 'https://localhost/', types: [] }, path: 'types' },
      { body: { url: 'https://localhost/', types: ['threat.detected', 'threat.detected'] }, path: 'types' },
      { body: { url: 'https://localhost/', types: ['threat.detected'], secret: 'whsec_mine' }, path: '' },
      { body: { url: 'https://localhost/', types: ['threat.detected'], enabled: 'yes' }, path: 'enabled' },
      { body: { types: ['threat.detected'] }, path: 'url' },
      { raw: '{"url":', path: '' },
    ];
    for (const { body, raw, path } of cases) {
      const answer = await call(h.host, 'POST', base, h.tokens.admin, body, raw);
      expect(answer.status, JSON.stringify(body ?? raw)).toBe(400);
      expect(answer.contentType).toContain('application/problem+json');
      if (path) expect((answer.body.errors as { path: string }[]).some((e) => e.path.split('.')[0] === path), JSON.stringify(answer.body)).toBe(true);
    }
    const receiver = await h.receiver();
    const { id: endpointId } = await create(h.tokens.admin, receiver.url);
    for (const body of [{}, { url: 'http://x.example/' }, { enabled: 1 }, { colour: 'red' }]) {
      const answer = await call(h.host, 'PATCH', `${base}/${endpointId}`, h.tokens.admin, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call(h.host, 'GET', `${base}/not-an-id`, h.tokens.admin)).status).toBe(400);
    expect((await call(h.host, 'GET', `${base}/${crypto.randomUUID()}`, h.tokens.admin)).status).toBe(404);
    expect((await call(h.host, 'POST', `${base}/${endpointId}/deliveries/nope/redeliver`, h.tokens.admin)).status).toBe(400);
    const list = await call(h.host, 'GET', base, h.tokens.admin);
    expect((list.body.items as unknown[]).length).toBe(1);
    const endpoint = (list.body.items as Record<string, unknown>[])[0];
    expect(endpoint).toMatchObject({ url: receiver.url, enabled: true });
    await deleteAll(h.tokens.admin);
  });

  it('holds at most 10 endpoints per tenant', async () => {
    const receiver = await h.receiver();
    for (let i = 0; i < 10; i += 1) await create(h.tokens.admin, `${receiver.url}/${i}`);
    const eleventh = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/10`, types: ['threat.detected'] });
    expect(eleventh.status).toBe(409);
    expect(eleventh.contentType).toContain('application/problem+json');
    // Another tenant's count is its own.
    expect((await call(h.host, 'POST', base, h.tokens.fabrikamAdmin, { url: `${receiver.url}/f`, types: ['threat.detected'] })).status).toBe(201);
    await deleteAll(h.tokens.admin);
    await deleteAll(h.tokens.fabrikamAdmin);
  });
});

describe('webhook delivery', () => {
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await h.receiver();
  });

  it('delivers signed events that verify with an independent implementation, to the tenant that owns them only', async () => {
    const { id: endpointId, secret } = await create(h.tokens.admin, `${receiver.url}/contoso`);
    const other = await create(h.tokens.fabrikamAdmin, `${receiver.url}/fabrikam`);
    const event = deviceEvent(h.contoso);
    const unsubscribed = deviceEvent(h.contoso, 'audit.recorded');
    await h.publish([event, unsubscribed]);
    await receiver.waitFor((got) => got.some((d) => d.headers['webhook-id'] === event.id));
    const delivery = receiver.received.find((d) => d.headers['webhook-id'] === event.id);
    expect(delivery?.path).toBe('/contoso');
    expect(verifiesWith(secret, delivery?.headers ?? {}, delivery?.body ?? '')).toBe(true);
    expect(verifiesWith(other.secret, delivery?.headers ?? {}, delivery?.body ?? '')).toBe(false);
    expect(JSON.parse(delivery?.body ?? '{}')).toEqual(event);
    expect(Math.abs(Number(delivery?.headers['webhook-timestamp']) * 1000 - Date.now())).toBeLessThan(10_000);

    const log = await until(() => deliveries(endpointId), (items) => items[0]?.status === 'delivered');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ eventId: event.id, status: 'delivered', nextAttemptAt: null, attempts: [{ statusCode: 204, error: null, attempt: 1 }] });
    // Fabrikam's endpoint saw none of Contoso's events, and the unsubscribed type went nowhere.
    expect(receiver.received.filter((d) => d.path === '/fabrikam')).toHaveLength(0);
    expect(receiver.received.some((d) => d.headers['webhook-id'] === unsubscribed.id)).toBe(false);
    expect(await deliveries(other.id, h.tokens.fabrikamAdmin)).toEqual([]);
    // Another tenant cannot read, change or delete the endpoint, nor its deliveries.
    for (const [method, path, body] of [
      ['GET', `${base}/${endpointId}`, undefined],
      ['PATCH', `${base}/${endpointId}`, { enabled: false }],
      ['DELETE', `${base}/${endpointId}`, undefined],
      ['GET', `${base}/${endpointId}/deliveries`, undefined],
      ['POST', `${base}/${endpointId}/test`, undefined],
      ['POST', `${base}/${endpointId}/deliveries/${log[0]?.id ?? ''}/redeliver`, undefined],
    ] as const) {
      expect((await call(h.host, method, path, h.tokens.fabrikamAdmin, body)).status, `${method} ${path}`).toBe(404);
    }
    // Publishing the same event again delivers nothing more.
    await h.publish([event]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((d) => d.headers['webhook-id'] === event.id)).toHaveLength(1);
    await deleteAll(h.tokens.admin);
    await deleteAll(h.tokens.fabrikamAdmin);
  });

  it('retries after a 5xx and a time-out with the same event id, then delivers', async () => {
    const { id: endpointId, secret } = await create(h.tokens.admin, `${receiver.url}/flaky`);
    let calls = 0;
    receiver.answerWith(({ path }) => {
      if (path !== '/flaky') return { status: 204 };
      calls += 1;
      if (calls === 1) return { status: 503 };
      if (calls === 2) return { status: 200, delayMs: 1_500 };
      return { status: 200 };
    });
    const event = deviceEvent(h.contoso);
    await h.publish([event]);
    const log = await until(() => deliveries(endpointId), (items) => items[0]?.status === 'delivered');
    expect(log[0]?.attempts.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 503, 'answered 503'],
      [2, null, 'no answer within 1 s'],
      [3, 200, null],
    ]);
    // The held answer is recorded when the receiver finally sends it.
    await receiver.waitFor((got) => got.filter((d) => d.path === '/flaky').length === 3);
    const received = receiver.received.filter((d) => d.path === '/flaky');
    expect(received.map((d) => d.headers['webhook-id'])).toEqual([event.id, event.id, event.id]);
    for (const d of received) expect(verifiesWith(secret, d.headers, d.body)).toBe(true);
    receiver.answerWith(() => ({ status: 204 }));
    await deleteAll(h.tokens.admin);
  });

  it("delivers another tenant's events while an endpoint holds its answer", async () => {
    const slow = await create(h.tokens.fabrikamAdmin, `${receiver.url}/slow`);
    const { id: fastId } = await create(h.tokens.admin, `${receiver.url}/fast`);
    receiver.answerWith(({ path }) => (path === '/slow' ? { status: 200, delayMs: 5_000 } : { status: 204 }));
    await h.publish([deviceEvent(h.fabrikam)]);
    await until(() => deliveries(slow.id, h.tokens.fabrikamAdmin), (items) => items[0]?.status === 'sending');
    const event = deviceEvent(h.contoso);
    await h.publish([event]);
    await until(() => deliveries(fastId), (items) => items[0]?.status === 'delivered');
    // Fabrikam's first attempt is still waiting for its answer (it times out after 1 s).
    const held = await deliveries(slow.id, h.tokens.fabrikamAdmin);
    expect(held[0]).toMatchObject({ status: 'sending', attempts: [] });
    receiver.answerWith(() => ({ status: 204 }));
    await deleteAll(h.tokens.admin);
    await deleteAll(h.tokens.fabrikamAdmin);
  });

  it('marks a delivery failed after the last attempt, and shows the endpoint failing', async () => {
    const { id: endpointId } = await create(h.tokens.admin, `${receiver.url}/down`);
    receiver.answerWith(({ path }) => ({ status: path === '/down' ? 500 : 204 }));
    await h.publish([deviceEvent(h.contoso)]);
    const log = await until(() => deliveries(endpointId), (items) => items[0]?.status === 'failed');
    expect(log[0]?.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 500]);
    expect(log[0]?.failure).toContain('Every attempt failed');
    expect(log[0]?.nextAttemptAt).toBeNull();
    const endpoint = await call(h.host, 'GET', `${base}/${endpointId}`, h.tokens.admin);
    expect(endpoint.body).toMatchObject({ enabled: true, lastFailure: '500: answered 500' });
    expect(typeof endpoint.body.failingSince).toBe('string');

    // A manual redelivery starts a new round with the same event id; a success clears the failing state.
    receiver.answerWith(() => ({ status: 204 }));
    const again = await call(h.host, 'POST', `${base}/${endpointId}/deliveries/${log[0]?.id ?? ''}/redeliver`, h.tokens.admin);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'pending', round: 2 });
    const redelivered = await until(() => deliveries(endpointId), (items) => items[0]?.status === 'delivered');
    expect(redelivered[0]?.attempts.at(-1)).toMatchObject({ round: 2, attempt: 1, statusCode: 204 });
    const ids = receiver.received.filter((d) => d.path === '/down').map((d) => d.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    expect((await call(h.host, 'GET', `${base}/${endpointId}`, h.tokens.admin)).body).toMatchObject({ failingSince: null, lastFailure: null });
    await deleteAll(h.tokens.admin);
  });

  it('disables an endpoint that answers 410 Gone, and delivers nothing more to it', async () => {
    const { id: endpointId } = await create(h.tokens.admin, `${receiver.url}/gone`);
    receiver.answerWith(({ path }) => ({ status: path === '/gone' ? 410 : 204 }));
    await h.publish([deviceEvent(h.contoso)]);
    const log = await until(() => deliveries(endpointId), (items) => items[0]?.status === 'failed');
    expect(log[0]?.attempts).toHaveLength(1);
    const endpoint = await call(h.host, 'GET', `${base}/${endpointId}`, h.tokens.admin);
    expect(endpoint.body).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410 Gone') as unknown });
    const before = receiver.received.filter((d) => d.path === '/gone').length;
    await h.publish([deviceEvent(h.contoso)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received.filter((d) => d.path === '/gone').length).toBe(before);
    expect((await call(h.host, 'POST', `${base}/${endpointId}/test`, h.tokens.admin)).status).toBe(409);
    // Enabling it again clears the reason.
    const enabled = await call(h.host, 'PATCH', `${base}/${endpointId}`, h.tokens.admin, { enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null });
    receiver.answerWith(() => ({ status: 204 }));
    await deleteAll(h.tokens.admin);
  });

  it('refuses to follow a redirect', async () => {
    const { id: endpointId } = await create(h.tokens.admin, `${receiver.url}/moved`);
    receiver.answerWith(({ path }) => (path === '/moved' ? { status: 307, headers: { location: `${receiver.url}/elsewhere` } } : { status: 204 }));
    await h.publish([deviceEvent(h.contoso)]);
    const log = await until(() => deliveries(endpointId), (items) => items[0]?.status === 'failed');
    expect(log[0]?.attempts.map((a) => [a.statusCode, a.error])).toEqual(Array.from({ length: 4 }, () => [307, 'redirect refused (redirects are not followed)']));
    expect(receiver.received.filter((d) => d.path === '/elsewhere')).toHaveLength(0);
    receiver.answerWith(() => ({ status: 204 }));
    await deleteAll(h.tokens.admin);
  });

  it('refuses at delivery a host that resolved publicly at creation and privately since', async () => {
    // A public address at creation; then the name points at this machine, where the receiver listens.
    h.names.set('rebind.test', ['93.184.216.34']);
    const { id: endpointId } = await create(h.tokens.admin, `https://rebind.test:${receiver.port}/rebind`);
    h.names.set('rebind.test', ['93.184.216.34', '127.0.0.1']);
    await h.publish([deviceEvent(h.contoso)]);
    const log = await until(() => deliveries(endpointId), (items) => items[0]?.status === 'failed');
    for (const attempt of log[0]?.attempts ?? []) {
      expect(attempt.statusCode).toBeNull();
      expect(attempt.error).toContain('resolves to 127.0.0.1');
    }
    expect(receiver.received.filter((d) => d.path === '/rebind')).toHaveLength(0);
    await deleteAll(h.tokens.admin);
  });

  it('signs with both secrets for 24 hours after a rotation, and sends a test event on request', async () => {
    const { id: endpointId, secret: first } = await create(h.tokens.admin, `${receiver.url}/rotate`);
    const rotated = await call(h.host, 'POST', `${base}/${endpointId}/rotate-secret`, h.tokens.admin);
    expect(rotated.status).toBe(200);
    const second = String(rotated.body.secret);
    expect(second).not.toBe(first);
    const expires = Date.parse(String(rotated.body.previousSecretExpiresAt)) - Date.now();
    expect(expires).toBeGreaterThan(23.9 * 3_600_000);
    expect(expires).toBeLessThanOrEqual(24 * 3_600_000);

    const test = await call(h.host, 'POST', `${base}/${endpointId}/test`, h.tokens.admin);
    expect(test.status).toBe(202);
    const eventId = String(test.body.eventId);
    await receiver.waitFor((got) => got.some((d) => d.headers['webhook-id'] === eventId));
    const delivery = receiver.received.find((d) => d.headers['webhook-id'] === eventId);
    const signatures = delivery?.headers['webhook-signature']?.split(' ') ?? [];
    expect(signatures).toHaveLength(2);
    expect(verifiesWith(second, delivery?.headers ?? {}, delivery?.body ?? '')).toBe(true);
    expect(verifiesWith(first, delivery?.headers ?? {}, delivery?.body ?? '')).toBe(true);
    expect(JSON.parse(delivery?.body ?? '{}')).toMatchObject({ id: eventId, type: 'webhook.test', tenantId: h.contoso });
    const audit = await listAuditLog(h.tables, h.contoso, { limit: 100 });
    expect(audit.items.map((entry) => entry.action)).toEqual(expect.arrayContaining(['webhook.rotateSecret', 'webhook.test']));
    expect(JSON.stringify(audit.items)).not.toContain(second);
    await deleteAll(h.tokens.admin);
  });
});

/**
 * Webhook endpoints in OCSF: the per-endpoint `format` on create, read and PATCH, and a delivery to an OCSF endpoint
 * that carries the event as an OCSF Detection Finding, with the event id as `webhook-id` and a Standard Webhooks
 * signature over exactly that body (checked with an independent implementation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../dev/webhookReceiver.js';
import { serviceEventSchema } from '../../../shared/events/event.js';
import { toOcsf } from '../../../shared/events/ocsf.js';
import type { WebhookEvent } from '../../../shared/webhooks/deliveries.js';
import { verifiesWith } from '../../support/standardWebhooks.js';
import { call, deviceEvent, startWebhookHarness, type WebhookHarness } from './harness.js';

let h: WebhookHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await startWebhookHarness();
  receiver = await h.receiver();
});

afterAll(async () => {
  await h?.close();
});

const base = 'v1/console/webhooks';

function threatEvent(tenantId: string): WebhookEvent {
  const device = deviceEvent(tenantId);
  return {
    ...device,
    type: 'threat.detected',
    data: {
      device: (device.data as { device: unknown }).device,
      threat: { id: 'thr-ocsf-1', classification: 'PHISHING', category: 'web', riskLevel: 'medium', name: 'Fake bank login', detectedAt: device.occurredAt },
    },
  };
}

describe('webhook endpoints in OCSF', () => {
  it('keeps the format chosen at creation, shows it, and changes it with PATCH', async () => {
    const native = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/native`, types: ['threat.detected'] });
    expect(native.status, JSON.stringify(native.body)).toBe(201);
    expect(native.body.format).toBe('native');
    const ocsf = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/ocsf`, types: ['threat.detected'], format: 'ocsf' });
    expect(ocsf.status, JSON.stringify(ocsf.body)).toBe(201);
    expect(ocsf.body.format).toBe('ocsf');
    expect((await call(h.host, 'GET', `${base}/${String(ocsf.body.id)}`, h.tokens.reader)).body.format).toBe('ocsf');

    const changed = await call(h.host, 'PATCH', `${base}/${String(native.body.id)}`, h.tokens.admin, { format: 'ocsf' });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.format).toBe('ocsf');
    const listed = (await call(h.host, 'GET', base, h.tokens.admin)).body.items as { id: string; format: string }[];
    expect(listed.map((item) => item.format)).toEqual(['ocsf', 'ocsf']);

    const refused = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/cef`, types: ['threat.detected'], format: 'cef' });
    expect(refused.status).toBe(400);
    expect(refused.contentType).toContain('application/problem+json');
    expect((refused.body.errors as { path: string }[]).some((error) => error.path === 'format')).toBe(true);
    expect((await call(h.host, 'GET', base, h.tokens.admin)).body.items).toHaveLength(2);

    for (const id of [native.body.id, ocsf.body.id]) await call(h.host, 'DELETE', `${base}/${String(id)}`, h.tokens.admin);
  });

  it('delivers an OCSF Detection Finding, signed over that body, with the event id as webhook-id', async () => {
    const ocsf = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/siem`, types: ['threat.detected'], format: 'ocsf' });
    const native = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/automation`, types: ['threat.detected'] });
    expect([ocsf.status, native.status]).toEqual([201, 201]);
    const event = threatEvent(h.contoso);
    await h.publish([event]);
    await receiver.waitFor((got) => got.filter((d) => d.headers['webhook-id'] === event.id).length === 2);

    const siem = receiver.received.find((d) => d.path === '/siem' && d.headers['webhook-id'] === event.id);
    expect(siem).toBeDefined();
    expect(verifiesWith(String(ocsf.body.secret), siem?.headers ?? {}, siem?.body ?? '')).toBe(true);
    expect(verifiesWith(String(native.body.secret), siem?.headers ?? {}, siem?.body ?? '')).toBe(false);
    const finding = JSON.parse(siem?.body ?? '{}') as Record<string, unknown>;
    expect(finding).toEqual(JSON.parse(JSON.stringify(toOcsf(serviceEventSchema.parse(event)))));
    expect(finding).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      activity_id: 1,
      type_uid: 200401,
      severity_id: 3,
      status_id: 1,
      metadata: { uid: event.id, tenant_uid: h.contoso, product: { name: 'MTD Connector' } },
      finding_info: { uid: 'thr-ocsf-1', title: 'Fake bank login', types: ['PHISHING', 'web'] },
      device: { type_id: 5, os: { name: 'iOS', type_id: 301 } },
    });

    // The native endpoint got the event itself, as before.
    const automation = receiver.received.find((d) => d.path === '/automation' && d.headers['webhook-id'] === event.id);
    expect(verifiesWith(String(native.body.secret), automation?.headers ?? {}, automation?.body ?? '')).toBe(true);
    expect(JSON.parse(automation?.body ?? '{}')).toEqual(event);

    for (const id of [native.body.id, ocsf.body.id]) await call(h.host, 'DELETE', `${base}/${String(id)}`, h.tokens.admin);
  });
});

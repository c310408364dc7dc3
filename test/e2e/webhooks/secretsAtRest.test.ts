/**
 * Webhook signing secrets at rest: the `webhooks` row holds them sealed with a key the tables do not hold, and
 * deliveries still sign so receivers verify; a row from before encryption keeps signing and is sealed when touched.
 */
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../dev/webhookReceiver.js';
import { isSealed } from '../../../shared/base/secretBox.js';
import { readEntity } from '../../../shared/storage/index.js';
import { verifiesWith } from '../../support/standardWebhooks.js';
import { call, deviceEvent, startWebhookHarness, type WebhookHarness } from './harness.js';

let h: WebhookHarness;
let receiver: WebhookReceiver;
const base = 'v1/console/webhooks';
const rowSchema = z.looseObject({ secret: z.string(), previousSecret: z.string().optional() });

beforeAll(async () => {
  h = await startWebhookHarness();
  receiver = await h.receiver();
});

afterAll(async () => {
  await h?.close();
});

async function storedRow(endpointId: string): Promise<z.output<typeof rowSchema>> {
  const row = await readEntity(h.tables.table('webhooks'), rowSchema, h.contoso, endpointId);
  if (!row) throw new Error(`no row for ${endpointId}`);
  return row;
}

async function deliveredTo(path: string): Promise<{ headers: Record<string, string>; body: string }> {
  const event = deviceEvent(h.contoso);
  await h.publish([event]);
  await receiver.waitFor((got) => got.some((d) => d.headers['webhook-id'] === event.id));
  const delivery = receiver.received.find((d) => d.headers['webhook-id'] === event.id);
  expect(delivery?.path).toBe(path);
  return { headers: delivery?.headers ?? {}, body: delivery?.body ?? '' };
}

describe('webhook secrets at rest', () => {
  it('stores the secret sealed, never in clear, and deliveries still verify with the secret shown once', async () => {
    const created = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/sealed`, types: ['device.risk_changed'] });
    expect(created.status).toBe(201);
    const secret = String(created.body.secret);
    const id = String(created.body.id);
    const row = await storedRow(id);
    expect(isSealed(row.secret)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(secret.slice('whsec_'.length));

    const delivery = await deliveredTo('/sealed');
    expect(verifiesWith(secret, delivery.headers, delivery.body)).toBe(true);
    // A signature made with what the row holds does not verify.
    expect(verifiesWith(row.secret, delivery.headers, delivery.body)).toBe(false);

    const rotated = await call(h.host, 'POST', `${base}/${id}/rotate-secret`, h.tokens.admin);
    expect(rotated.status).toBe(200);
    const second = String(rotated.body.secret);
    const after = await storedRow(id);
    expect(isSealed(after.secret)).toBe(true);
    expect(isSealed(after.previousSecret ?? '')).toBe(true);
    expect(JSON.stringify(after)).not.toContain(second.slice('whsec_'.length));
    const both = await deliveredTo('/sealed');
    expect(verifiesWith(second, both.headers, both.body)).toBe(true);
    expect(verifiesWith(secret, both.headers, both.body)).toBe(true);
    await call(h.host, 'DELETE', `${base}/${id}`, h.tokens.admin);
  });

  it('keeps signing with a secret stored in clear before encryption, and seals it at the next delivery', async () => {
    const created = await call(h.host, 'POST', base, h.tokens.admin, { url: `${receiver.url}/legacy`, types: ['device.risk_changed'] });
    const id = String(created.body.id);
    // The row as an earlier version wrote it: the secret in clear.
    const legacy = 'whsec_bGVnYWN5LXNlY3JldC1zdG9yZWQtaW4tY2xlYXItMzItYnl0ZXM=';
    await h.tables.table('webhooks').updateEntity({ partitionKey: h.contoso, rowKey: id, secret: legacy }, 'Merge');
    const delivery = await deliveredTo('/legacy');
    expect(verifiesWith(legacy, delivery.headers, delivery.body)).toBe(true);
    const row = await storedRow(id);
    expect(isSealed(row.secret)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(legacy.slice('whsec_'.length));
    const again = await deliveredTo('/legacy');
    expect(verifiesWith(legacy, again.headers, again.body)).toBe(true);
    await call(h.host, 'DELETE', `${base}/${id}`, h.tokens.admin);
  });
});

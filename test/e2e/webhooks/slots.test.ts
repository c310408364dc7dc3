/**
 * A batch put back for lack of a free slot: its rows wait, pending, with a deferred message on the queue, and the
 * batch starts in this process as soon as a slot frees. Here the deferral is a minute long, so only that early
 * start can deliver the events within the test; each event is still posted once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../dev/webhookReceiver.js';
import { endpointSlot } from '../../../shared/webhooks/runtime.js';
import { call, deliveriesOf, deviceEvent, startWebhookHarness, until, type WebhookHarness } from './harness.js';

let h: WebhookHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await startWebhookHarness({ maxInFlightPerEndpoint: 2, deferMs: 60_000 });
  receiver = await h.receiver();
});

afterAll(async () => {
  await h?.close();
});

interface DeliveryView {
  eventId: string;
  status: string;
}

const deliveries = (endpointId: string): Promise<DeliveryView[]> => deliveriesOf<DeliveryView>(h, endpointId);


describe('webhook slots', () => {
  it('starts a batch put back for lack of a slot as soon as one frees, without waiting for its deferred message', async () => {
    const created = await call(h.host, 'POST', 'v1/console/webhooks', h.tokens.admin, { url: `${receiver.url}/slots`, types: ['device.risk_changed'] });
    expect(created.status).toBe(201);
    const endpointId = String(created.body.id);
    const slot = endpointSlot(h.contoso, endpointId);
    // Both of the endpoint's slots are taken, as by posts still in flight.
    expect(h.services.webhooks.tryAcquireUpTo(h.contoso, slot, 2)).toBe(2);
    const batch = [deviceEvent(h.contoso), deviceEvent(h.contoso)];
    await h.publish(batch);
    // The rows wait, pending: nothing is posted while the slots are taken.
    await until(() => deliveries(endpointId), (items) => items.length === 2);
    expect(receiver.received.filter((delivery) => delivery.path === '/slots')).toHaveLength(0);

    // One post ends: its slot frees, and the batch goes out on it, long before its deferred message would come.
    h.services.webhooks.release(h.contoso, slot);
    const log = await until(() => deliveries(endpointId), (items) => items.length === 2 && items.every((item) => item.status === 'delivered'));
    expect(log.map((item) => item.eventId).sort()).toEqual(batch.map((event) => event.id).sort());
    const posted = receiver.received.filter((delivery) => delivery.path === '/slots').map((delivery) => delivery.headers['webhook-id']);
    expect(posted).toHaveLength(2);
    expect(new Set(posted).size).toBe(2);
    h.services.webhooks.release(h.contoso, slot);
  });
});

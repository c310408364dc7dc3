import { describe, expect, it } from 'vitest';
import type { QueueMessage } from '../../../shared/queues/queue.js';
import { webhookQueueName } from '../../../shared/webhooks/delivery.js';
import { webhookSubscriber } from '../../../shared/webhooks/subscriber.js';

const event = (id: string, tenantId: string) => ({ id, type: 'threat.detected', occurredAt: '2026-11-30T05:00:00.000Z', tenantId, data: {} });

describe('webhookSubscriber', () => {
  it('hands published events to the webhook queue, one message per tenant, with an id that repeats for the same events', async () => {
    const sent: { queue: string; messages: readonly QueueMessage[] }[] = [];
    const subscriber = webhookSubscriber((queue) => ({
      send: (messages) => {
        sent.push({ queue, messages });
        return Promise.resolve();
      },
    }));
    const published = [{ event: event('evt_1', 't1') }, { event: event('evt_2', 't1') }];
    await subscriber.deliver('t1', published);
    await subscriber.deliver('t1', published);
    expect(subscriber.name).toBe('webhooks');
    expect(sent.map((call) => call.queue)).toEqual([webhookQueueName, webhookQueueName]);
    expect(sent[0]?.messages).toHaveLength(1);
    expect(sent[0]?.messages[0]?.body).toEqual({ kind: 'events', tenantId: 't1', events: published.map((item) => item.event) });
    // The same events again: the same message id, which the queue's duplicate detection drops.
    expect(sent[1]?.messages[0]?.messageId).toBe(sent[0]?.messages[0]?.messageId);
    await subscriber.deliver('t1', []);
    expect(sent).toHaveLength(2);
  });
});

/**
 * The webhooks' subscription to published events (the event relay's `EventSubscriber` port in shared/events/): the
 * relay hands each tenant's new events here, at least once and in order, and they go on to webhook delivery as one
 * queue send. The fan-out (which endpoints, which types) happens in the queue function, so the relay never waits for
 * an endpoint. Registered where the services are built: `events.subscribe(webhookSubscriber(queues))`.
 */
import type { QueueSenders } from '../queues/queue.js';
import type { WebhookEvent } from './deliveries.js';
import { publishToWebhooks } from './delivery.js';

export const webhookSubscriberName = 'webhooks';

export interface WebhookSubscriber {
  readonly name: string;
  deliver(tenantId: string, published: readonly { readonly event: WebhookEvent }[]): Promise<void>;
}

export function webhookSubscriber(queues: QueueSenders): WebhookSubscriber {
  return {
    name: webhookSubscriberName,
    deliver: (_tenantId, published) => publishToWebhooks(queues, published.map((item) => item.event)),
  };
}

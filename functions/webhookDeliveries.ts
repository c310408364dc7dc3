import type { QueueFunctionHandler } from './handlers.js';
import { bodyValue } from './queueMessages.js';
import type { Services } from '../shared/app/services.js';
import { handleWebhookMessages } from '../shared/webhooks/delivery.js';

/**
 * Service Bus queue `webhook-deliveries` (batch): fans events out to the tenant's endpoints and runs the attempts
 * that are due. The batch is thrown back only for storage or queue trouble; an endpoint's failures are recorded
 * on its delivery log and retried on schedule, never by failing the batch.
 */
export const webhookDeliveries =
  (services: Services): QueueFunctionHandler =>
  async (messages) => {
    await handleWebhookMessages(services, messages.map(bodyValue));
  };

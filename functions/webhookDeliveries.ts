import type { QueueFunctionHandler } from './catalog.js';
import type { Services } from '../shared/app/services.js';
import { handleWebhookMessages } from '../shared/webhooks/delivery.js';

/** Bodies arrive as parsed JSON, or as text or bytes depending on the message's content type. */
function bodyValue(message: unknown): unknown {
  const text = typeof message === 'string' ? message : message instanceof Uint8Array ? Buffer.from(message).toString('utf8') : undefined;
  if (text === undefined) return message;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

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

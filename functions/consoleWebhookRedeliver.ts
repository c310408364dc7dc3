import { z } from 'zod';
import { authenticateFullAccess } from '../shared/auth/console.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { redeliver } from '../shared/webhooks/actions.js';
import { deliveryIdSchema, deliveryViewSchema } from '../shared/webhooks/deliveries.js';
import { webhookIdSchema } from '../shared/webhooks/endpoints.js';
import { webhookTags, restrictedAccess } from './consoleWebhookRoute.js';

export const consoleWebhookRedeliverRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/webhooks/{id}/deliveries/{deliveryId}/redeliver',
  summary: 'Delivers a logged event again (same event id, a new round of attempts); full access only.',
  tags: webhookTags,
  security: 'consoleToken',
  params: z.object({ id: webhookIdSchema, deliveryId: deliveryIdSchema }),
  responses: {
    202: { description: 'Queued.', schema: deliveryViewSchema },
    403: restrictedAccess,
    404: { description: 'No such endpoint or delivery.' },
    409: { description: 'The endpoint is disabled, or the delivery is still under way.' },
  },
});

export const consoleWebhookRedeliver = (services: Services) =>
  endpoint(consoleWebhookRedeliverRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => json(202, await redeliver(services, principal, params.id, params.deliveryId)),
  });

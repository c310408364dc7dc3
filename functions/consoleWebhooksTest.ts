import { authenticateFullAccess } from '../shared/auth/console.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { sendTestEvent, testDeliverySchema } from '../shared/webhooks/actions.js';
import { webhookTags, webhookIdParams, webhookNotFound, restrictedAccess } from './consoleWebhookRoute.js';

export const consoleWebhooksTestRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/webhooks/{id}/test',
  summary: 'Sends a `webhook.test` event to this endpoint (whatever its types), at most 10 a minute per endpoint; full access only.',
  tags: webhookTags,
  security: 'consoleToken',
  params: webhookIdParams,
  responses: {
    202: { description: 'Queued; follow it in the delivery log.', schema: testDeliverySchema },
    403: restrictedAccess,
    404: webhookNotFound,
    409: { description: 'The endpoint is disabled.' },
    429: { description: 'This endpoint has had 10 test events in the last minute (counted across every instance); see `Retry-After`.' },
  },
});

export const consoleWebhooksTest = (services: Services) =>
  endpoint(consoleWebhooksTestRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => json(202, await sendTestEvent(services, principal, params.id)),
  });

import { authenticateFullAccess } from '../shared/auth/console.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { deleteWebhook } from '../shared/webhooks/endpoints.js';
import { webhookTags, webhookIdParams, webhookNotFound, restrictedAccess } from './consoleWebhookRoute.js';

export const consoleWebhooksDeleteRoute = defineRoute({
  method: 'DELETE',
  route: 'v1/console/webhooks/{id}',
  summary: 'Deletes an endpoint; full access only. Deliveries still scheduled for it stop.',
  tags: webhookTags,
  security: 'consoleToken',
  params: webhookIdParams,
  responses: { 204: { description: 'Deleted.' }, 403: restrictedAccess, 404: webhookNotFound },
});

export const consoleWebhooksDelete = (services: Services) =>
  endpoint(consoleWebhooksDeleteRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => {
      await deleteWebhook(services, principal, params.id);
      return { status: 204, headers: { 'cache-control': 'no-store' } };
    },
  });

import { authenticateFullAccess } from '../shared/auth/console.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { updateWebhook, updateWebhookBodySchema, webhookEndpointSchema } from '../shared/webhooks/endpoints.js';
import { webhookTags, webhookIdParams, webhookNotFound, restrictedAccess } from './consoleWebhookRoute.js';

export const consoleWebhooksUpdateRoute = defineRoute({
  method: 'PATCH',
  route: 'v1/console/webhooks/{id}',
  summary: 'Changes an endpoint (url, types, description, enabled); full access only.',
  tags: webhookTags,
  security: 'consoleToken',
  params: webhookIdParams,
  body: updateWebhookBodySchema,
  requestExample: { enabled: true },
  responses: { 200: { description: 'The endpoint as changed.', schema: webhookEndpointSchema }, 400: { description: 'Invalid fields.' }, 403: restrictedAccess, 404: webhookNotFound },
});

export const consoleWebhooksUpdate = (services: Services) =>
  endpoint(consoleWebhooksUpdateRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params, body }) => json(200, await updateWebhook(services, principal, params.id, body)),
  });

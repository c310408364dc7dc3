import { authenticateConsole } from '../shared/auth/console.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { getWebhook, webhookEndpointSchema } from '../shared/webhooks/endpoints.js';
import { webhookTags, webhookIdParams, webhookNotFound } from './consoleWebhookRoute.js';

export const consoleWebhooksGetRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/webhooks/{id}',
  summary: 'One webhook endpoint (never its secret).',
  tags: webhookTags,
  security: 'consoleToken',
  params: webhookIdParams,
  responses: { 200: { description: 'The endpoint.', schema: webhookEndpointSchema }, 404: webhookNotFound },
});

export const consoleWebhooksGet = (services: Services) =>
  endpoint(consoleWebhooksGetRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params }) => json(200, await getWebhook(services, principal.tenantId, params.id)),
  });

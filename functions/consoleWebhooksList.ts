import { z } from 'zod';
import { authenticateConsole } from '../shared/auth/console.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { listWebhooks, webhookEndpointSchema } from '../shared/webhooks/endpoints.js';
import { webhookTags } from './consoleWebhookRoute.js';

export const consoleWebhooksListRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/webhooks',
  summary: "The tenant's webhook endpoints (never their secrets).",
  tags: webhookTags,
  security: 'consoleToken',
  responses: { 200: { description: 'Every endpoint, oldest first.', schema: z.object({ items: z.array(webhookEndpointSchema) }) } },
});

export const consoleWebhooksList = (services: Services) =>
  endpoint(consoleWebhooksListRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, { items: await listWebhooks(services, principal.tenantId) }),
  });

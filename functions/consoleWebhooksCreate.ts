import { authenticateFullAccess } from '../shared/auth/console.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { createdWebhookSchema, createWebhook, createWebhookBodySchema, maxWebhookEndpoints } from '../shared/webhooks/endpoints.js';
import { webhookTags, restrictedAccess } from './consoleWebhookRoute.js';

export const consoleWebhooksCreateRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/webhooks',
  summary: `Adds a webhook endpoint (at most ${maxWebhookEndpoints} per tenant); full access only. The answer carries its signing secret, shown only now.`,
  description:
    'Deliveries are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The URL must be https, and its host ' +
    'must not be, or resolve to, a private, loopback or link-local address (unless listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS).',
  tags: webhookTags,
  security: 'consoleToken',
  body: createWebhookBodySchema,
  requestExample: { url: 'https://siem.contoso.com/hooks/mtd', types: ['threat.detected', 'threat.resolved', 'device.risk_changed'], description: 'SIEM' },
  responses: {
    201: { description: 'Created, with its secret.', schema: createdWebhookSchema },
    400: { description: 'Invalid fields, or a URL that is not https or whose host is not public.' },
    403: restrictedAccess,
    409: { description: `The tenant already has ${maxWebhookEndpoints} endpoints (the limit holds under concurrent creates).` },
  },
});

export const consoleWebhooksCreate = (services: Services) =>
  endpoint(consoleWebhooksCreateRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, body }) => json(201, await createWebhook(services, principal, body)),
  });

import { authenticateFullAccess } from '../shared/auth/console.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { rotatedSecretSchema, rotateWebhookSecret } from '../shared/webhooks/endpoints.js';
import { webhookTags, webhookIdParams, webhookNotFound, restrictedAccess } from './consoleWebhookRoute.js';

export const consoleWebhooksRotateSecretRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/webhooks/{id}/rotate-secret',
  summary: 'A new signing secret, shown only now; the previous one keeps signing (a second signature) for 24 hours. Full access only.',
  tags: webhookTags,
  security: 'consoleToken',
  params: webhookIdParams,
  responses: { 200: { description: 'The new secret.', schema: rotatedSecretSchema }, 403: restrictedAccess, 404: webhookNotFound },
});

export const consoleWebhooksRotateSecret = (services: Services) =>
  endpoint(consoleWebhooksRotateSecretRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => json(200, await rotateWebhookSecret(services, principal, params.id)),
  });

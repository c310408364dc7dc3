import { z } from 'zod';
import { authenticateConsole, authenticateFullAccess } from '../shared/auth/console.js';
import { HttpError, json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { InvalidCursor } from '../shared/storage/index.js';
import { redeliver, sendTestEvent, testDeliverySchema } from '../shared/webhooks/actions.js';
import { deliveryIdSchema, deliveryViewSchema, listDeliveries } from '../shared/webhooks/deliveries.js';
import {
  createWebhook,
  createWebhookBodySchema,
  createdWebhookSchema,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  maxWebhookEndpoints,
  readEndpoint,
  rotateWebhookSecret,
  rotatedSecretSchema,
  updateWebhook,
  updateWebhookBodySchema,
  webhookEndpointSchema,
  webhookIdSchema,
} from '../shared/webhooks/endpoints.js';

const tags = ['console', 'webhooks'];
const idParams = z.object({ id: webhookIdSchema });
const notFound = { description: 'No such endpoint in your organization.' };
const restricted = { description: 'Restricted (read-only) access.' };

export const consoleWebhooksListRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/webhooks',
  summary: "The tenant's webhook endpoints (never their secrets).",
  tags,
  security: 'consoleToken',
  responses: { 200: { description: 'Every endpoint, oldest first.', schema: z.object({ items: z.array(webhookEndpointSchema) }) } },
});

export const consoleWebhooksList = (services: Services) =>
  endpoint(consoleWebhooksListRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, { items: await listWebhooks(services, principal.tenantId) }),
  });

export const consoleWebhooksCreateRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/webhooks',
  summary: `Adds a webhook endpoint (at most ${maxWebhookEndpoints} per tenant); full access only. The answer carries its signing secret, shown only now.`,
  description:
    'Deliveries are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The URL must be https, and its host ' +
    'must not be, or resolve to, a private, loopback or link-local address (unless listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS).',
  tags,
  security: 'consoleToken',
  body: createWebhookBodySchema,
  responses: {
    201: { description: 'Created, with its secret.', schema: createdWebhookSchema },
    400: { description: 'Invalid fields, or a URL that is not https or whose host is not public.' },
    403: restricted,
    409: { description: `The tenant already has ${maxWebhookEndpoints} endpoints.` },
  },
});

export const consoleWebhooksCreate = (services: Services) =>
  endpoint(consoleWebhooksCreateRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, body }) => json(201, await createWebhook(services, principal, body)),
  });

export const consoleWebhooksGetRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/webhooks/{id}',
  summary: 'One webhook endpoint (never its secret).',
  tags,
  security: 'consoleToken',
  params: idParams,
  responses: { 200: { description: 'The endpoint.', schema: webhookEndpointSchema }, 404: notFound },
});

export const consoleWebhooksGet = (services: Services) =>
  endpoint(consoleWebhooksGetRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params }) => json(200, await getWebhook(services, principal.tenantId, params.id)),
  });

export const consoleWebhooksUpdateRoute = defineRoute({
  method: 'PATCH',
  route: 'v1/console/webhooks/{id}',
  summary: 'Changes an endpoint (url, types, description, enabled); full access only.',
  tags,
  security: 'consoleToken',
  params: idParams,
  body: updateWebhookBodySchema,
  responses: { 200: { description: 'The endpoint as changed.', schema: webhookEndpointSchema }, 400: { description: 'Invalid fields.' }, 403: restricted, 404: notFound },
});

export const consoleWebhooksUpdate = (services: Services) =>
  endpoint(consoleWebhooksUpdateRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params, body }) => json(200, await updateWebhook(services, principal, params.id, body)),
  });

export const consoleWebhooksDeleteRoute = defineRoute({
  method: 'DELETE',
  route: 'v1/console/webhooks/{id}',
  summary: 'Deletes an endpoint; full access only. Deliveries still scheduled for it stop.',
  tags,
  security: 'consoleToken',
  params: idParams,
  responses: { 204: { description: 'Deleted.' }, 403: restricted, 404: notFound },
});

export const consoleWebhooksDelete = (services: Services) =>
  endpoint(consoleWebhooksDeleteRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => {
      await deleteWebhook(services, principal, params.id);
      return { status: 204, headers: { 'cache-control': 'no-store' } };
    },
  });

export const consoleWebhooksTestRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/webhooks/{id}/test',
  summary: 'Sends a `webhook.test` event to this endpoint (whatever its types); full access only.',
  tags,
  security: 'consoleToken',
  params: idParams,
  responses: {
    202: { description: 'Queued; follow it in the delivery log.', schema: testDeliverySchema },
    403: restricted,
    404: notFound,
    409: { description: 'The endpoint is disabled.' },
  },
});

export const consoleWebhooksTest = (services: Services) =>
  endpoint(consoleWebhooksTestRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => json(202, await sendTestEvent(services, principal, params.id)),
  });

export const consoleWebhooksRotateSecretRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/webhooks/{id}/rotate-secret',
  summary: 'A new signing secret, shown only now; the previous one keeps signing (a second signature) for 24 hours. Full access only.',
  tags,
  security: 'consoleToken',
  params: idParams,
  responses: { 200: { description: 'The new secret.', schema: rotatedSecretSchema }, 403: restricted, 404: notFound },
});

export const consoleWebhooksRotateSecret = (services: Services) =>
  endpoint(consoleWebhooksRotateSecretRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => json(200, await rotateWebhookSecret(services, principal, params.id)),
  });

export const consoleWebhookDeliveriesRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/webhooks/{id}/deliveries',
  summary: "An endpoint's delivery log, newest first: event, attempts with status codes, next attempt.",
  tags,
  security: 'consoleToken',
  params: idParams,
  query: z.object({
    cursor: z.string().max(8192).optional().describe('`nextCursor` of the previous page.'),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe('Deliveries per page (1..200, default 50).'),
  }),
  responses: {
    200: { description: 'A page of deliveries.', schema: z.object({ items: z.array(deliveryViewSchema), nextCursor: z.string().nullable() }) },
    404: notFound,
  },
});

export const consoleWebhookDeliveries = (services: Services) =>
  endpoint(consoleWebhookDeliveriesRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params, query }) => {
      if (!(await readEndpoint(services, principal.tenantId, params.id))) throw new HttpError(404, `No webhook endpoint ${params.id} exists in this tenant.`);
      try {
        return json(200, await listDeliveries(services, principal.tenantId, params.id, { cursor: query.cursor ?? null, limit: query.limit }));
      } catch (caught) {
        if (caught instanceof InvalidCursor) {
          throw new HttpError(400, 'The cursor is not valid for this list.', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
        }
        throw caught;
      }
    },
  });

export const consoleWebhookRedeliverRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/webhooks/{id}/deliveries/{deliveryId}/redeliver',
  summary: 'Delivers a logged event again (same event id, a new round of attempts); full access only.',
  tags,
  security: 'consoleToken',
  params: z.object({ id: webhookIdSchema, deliveryId: deliveryIdSchema }),
  responses: {
    202: { description: 'Queued.', schema: deliveryViewSchema },
    403: restricted,
    404: { description: 'No such endpoint or delivery.' },
    409: { description: 'The endpoint is disabled, or the delivery is still under way.' },
  },
});

export const consoleWebhookRedeliver = (services: Services) =>
  endpoint(consoleWebhookRedeliverRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => json(202, await redeliver(services, principal, params.id, params.deliveryId)),
  });

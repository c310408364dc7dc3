import { z } from 'zod';
import { authenticateConsole } from '../shared/auth/console.js';
import { HttpError, json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { InvalidCursor } from '../shared/storage/index.js';
import { deliveryViewSchema, listDeliveries } from '../shared/webhooks/deliveries.js';
import { readEndpoint } from '../shared/webhooks/endpoints.js';
import { webhookTags, webhookIdParams, webhookNotFound } from './consoleWebhookRoute.js';

export const consoleWebhookDeliveriesRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/webhooks/{id}/deliveries',
  summary: "An endpoint's delivery log, newest first: event, attempts with status codes, next attempt.",
  tags: webhookTags,
  security: 'consoleToken',
  params: webhookIdParams,
  query: z.object({
    cursor: z.string().max(8192).optional().describe('`nextCursor` of the previous page.'),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe('Deliveries per page (1..200, default 50).'),
  }),
  responses: {
    200: { description: 'A page of deliveries.', schema: z.object({ items: z.array(deliveryViewSchema), nextCursor: z.string().nullable() }) },
    404: webhookNotFound,
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

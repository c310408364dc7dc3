import { defineRoute, endpoint } from '../shared/http/route.js';
import { HttpError, json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';
import { authenticateProvider } from '../shared/auth/provider.js';
import { listTenants, tenantListQuerySchema, tenantListSchema } from '../shared/provider/tenantIndex.js';
import { InvalidCursor } from '../shared/storage/index.js';

export const providerTenantsListRoute = defineRoute({
  method: 'GET',
  route: 'v1/provider/tenants',
  summary: 'Every tenant with its status, health and device counts, filtered by status and health, a page at a time.',
  description:
    'Read from a provider-wide index kept up to date when a tenant\'s status, health or device counts change (the ' +
    'tenant\'s hourly job refreshes it too), so a page costs one storage query whatever the number of tenants. ' +
    '`health` is `unknown` until the tenant\'s health was first checked. Provider support: the function key or a ' +
    '`Provider.Support` token of the provider\'s tenant.',
  tags: ['provider'],
  security: 'provider',
  query: tenantListQuerySchema,
  responses: {
    200: { description: 'A page of tenants, in tenant id order.', schema: tenantListSchema },
  },
});

export const providerTenantsList = (services: Services) =>
  endpoint(providerTenantsListRoute, {
    authenticate: authenticateProvider(services),
    handle: async ({ query }) => {
      try {
        return json(200, await listTenants(services, query));
      } catch (caught) {
        if (caught instanceof InvalidCursor) {
          throw new HttpError(400, 'The cursor is not valid for this list (use nextCursor of the previous page, with the same filters).', {
            errors: [{ path: 'cursor', message: caught.message }],
          });
        }
        throw caught;
      }
    },
  });

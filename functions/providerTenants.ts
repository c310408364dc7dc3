import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/services.js';
import { authenticateProvider } from '../shared/auth/provider.js';
import { provisionTenant, provisionTenantBodySchema, provisionTenantResponseSchema } from '../shared/tenants/onboarding.js';

export const provisionTenantRoute = defineRoute({
  method: 'POST',
  route: 'v1/provider/tenants',
  summary: 'Provisions a customer tenant (once) and returns the admin-consent link for its administrator.',
  tags: ['provider'],
  security: 'provider',
  body: provisionTenantBodySchema,
  responses: {
    201: { description: 'Provisioned; send `consentUrl` to the customer administrator.', schema: provisionTenantResponseSchema },
    409: { description: 'The tenant is already provisioned.' },
  },
});

export const providerTenants = (services: Services) =>
  endpoint(provisionTenantRoute, {
    authenticate: authenticateProvider(services),
    handle: async ({ body, principal }) => {
      const created = await provisionTenant(services, body, principal);
      return json(201, created, { location: `/api/v1/provider/tenants/${created.tenantId}` });
    },
  });

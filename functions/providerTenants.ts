import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';
import { authenticateProvider } from '../shared/auth/provider.js';
import { provisionTenant, provisionTenantBodySchema, provisionTenantResponseSchema } from '../shared/onboarding/onboarding.js';

export const provisionTenantRoute = defineRoute({
  method: 'POST',
  route: 'v1/provider/tenants',
  summary: 'Provisions a customer tenant (once) and returns the admin-consent link for its administrator.',
  description:
    'Provider support: the function key (`x-functions-key`), or an Entra ID token from the provider\'s own tenant ' +
    '(`PROVIDER_TENANT_ID`) carrying the app role `PROVIDER_SUPPORT_ROLE` (`Provider.Support`); a token from another ' +
    'tenant gets 401, one without the role 403, and neither changes anything.' +
    ' The audit entry names the actor: the signed-in user or application, or the function key.',
  tags: ['provider'],
  security: 'provider',
  body: provisionTenantBodySchema,
  requestExample: {
    tenantId: '11111111-1111-4111-8111-111111111111',
    displayName: 'Contoso',
    fullAccessGroupId: '5246c2f8-d5f2-45e8-9c62-63dd8231e980',
    restrictedAccessGroupId: 'feda78c3-5e3b-4f78-9232-3d1fa44c5789',
    primaryContactEmail: 'admin@contoso.com',
  },
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

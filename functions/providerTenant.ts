import { z } from 'zod';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';
import { authenticateProvider } from '../shared/auth/provider.js';
import { tenantDetails, tenantDetailsSchema } from '../shared/onboarding/onboarding.js';
import { guidSchema } from '../shared/tenants/tenantRepository.js';
import { offboardingProgressSchema } from '../shared/tenants/offboardingState.js';
import { offboardingProgress } from '../shared/provider/offboarding.js';

const providerTenantSchema = tenantDetailsSchema.extend({
  offboarding: offboardingProgressSchema
    .nullable()
    .describe('While `status` is `offboarding`: the job and its progress (then the tenant is gone: 404).'),
});

export const providerTenantRoute = defineRoute({
  method: 'GET',
  route: 'v1/provider/tenants/{tenantId}',
  summary: 'A provisioned tenant with its connection health: consent, last enrollment sync, connector heartbeat, last error, counts; while offboarding, its progress.',
  description:
    'Provider support: the function key (`x-functions-key`), or an Entra ID token from the provider\'s own tenant ' +
    '(`PROVIDER_TENANT_ID`) carrying the app role `PROVIDER_SUPPORT_ROLE` (`Provider.Support`); a token from another ' +
    'tenant gets 401, one without the role 403, and neither changes anything.',
  tags: ['provider'],
  security: 'provider',
  params: z.object({ tenantId: guidSchema.describe('The tenant id (GUID).') }),
  responses: {
    200: { description: 'The tenant and its connection health.', schema: providerTenantSchema },
    404: { description: 'The tenant is not provisioned.' },
  },
});

export const providerTenant = (services: Services) =>
  endpoint(providerTenantRoute, {
    authenticate: authenticateProvider(services),
    handle: async ({ params }) => {
      const details = await tenantDetails(services, params.tenantId);
      const offboarding = details.status === 'offboarding' ? await offboardingProgress({ ...services, intuneBudget: services.compliance.intuneBudget }, params.tenantId) : undefined;
      return json(200, { ...details, offboarding: offboarding ?? null });
    },
  });

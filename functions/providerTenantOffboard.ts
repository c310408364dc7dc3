import { z } from 'zod';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';
import { authenticateProvider, providerAuditActor } from '../shared/auth/provider.js';
import { guidSchema } from '../shared/tenants/tenantRepository.js';
import { offboardingProgressSchema } from '../shared/tenants/offboardingState.js';
import { startOffboarding } from '../shared/provider/offboarding.js';

export const providerTenantOffboardRoute = defineRoute({
  method: 'DELETE',
  route: 'v1/provider/tenants/{tenantId}',
  summary: 'Offboards a tenant: its devices told `deactivated`, its webhooks and schedules stopped, then every row it owns deleted.',
  description:
    'Answers 202 with the job at once; the work runs in the background and resumes after any crash. From the moment ' +
    'it starts the tenant\'s console, agent and feed requests are refused (410). The devices are told `deactivated` ' +
    'in Intune (where the partner path is on, within the tenant\'s Intune write budget) and their Entra ID attribute ' +
    'is cleared; then the webhooks are disabled, the schedules removed and every row of the tenant deleted, at the ' +
    'storage limits\' pace. `GET /api/v1/provider/tenants/{tenantId}` shows `status: "offboarding"` with the progress, ' +
    'then 404. A second DELETE answers the same job. Recorded in the provider\'s audit log (start and completion).',
  tags: ['provider'],
  security: 'provider',
  params: z.object({ tenantId: guidSchema.describe('The tenant id (GUID).') }),
  responses: {
    202: { description: 'Offboarding started (or already under way: the same job).', schema: offboardingProgressSchema },
    404: { description: 'The tenant is not provisioned (or was already removed).' },
  },
});

export const providerTenantOffboard = (services: Services) =>
  endpoint(providerTenantOffboardRoute, {
    authenticate: authenticateProvider(services),
    handle: async ({ params, principal }) => {
      const job = await startOffboarding(
        { ...services, intuneBudget: services.compliance.intuneBudget },
        params.tenantId,
        providerAuditActor(principal),
      );
      return json(202, job, { location: `/api/v1/provider/tenants/${params.tenantId}` });
    },
  });

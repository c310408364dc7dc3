import { authenticateConsole, requireFull } from '../shared/auth/console.js';
import { syncNow, syncNowResponseSchema } from '../shared/enrollment/syncNow.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';
import { operationLabel, withOperation } from '../shared/telemetry/index.js';

export const consoleSyncNowRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/enrollment/sync',
  summary: 'Runs enrollment discovery for your organization now (full access).',
  description:
    'Queues discovery for your organization: a worker resolves the enrollment groups, reads their users and the Intune ' +
    'iOS/Android devices, and updates the device list, usually within seconds. The answer is 202 `queued` at once, ' +
    'whatever the size of the organization; the run shows in the devices, the enrollment groups and the health when it ends.',
  tags: ['console'],
  security: 'consoleToken',
  responses: {
    202: { description: 'The run was queued.', schema: syncNowResponseSchema },
  },
});

export const consoleSyncNow = (services: Services) =>
  endpoint(consoleSyncNowRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, request }) => {
      requireFull(principal);
      // The request's operation (its `traceparent`, or a new one) follows the queued discovery.
      return withOperation('http syncNow', { traceparent: request.headers.get('traceparent') ?? undefined, tenantId: principal.tenantId }, async (operation) => {
        const answer = await syncNow(services, principal.tenantId);
        services.log.info(`Sync now queued: ${operationLabel(operation)}`);
        return json(202, answer);
      });
    },
  });

import { authenticateConsole } from '../shared/auth/console.js';
import { tenantHealth } from '../shared/health/health.js';
import { healthReportSchema } from '../shared/health/report.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleHealthRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/health',
  summary: "The connector's health for this tenant: consent, discovery, the Intune connector, the push backlog, dead letters, webhooks.",
  description:
    'Each check is `healthy`, `degraded` or `unhealthy`; `status` is the worst of them. Reports are kept for up to 30 seconds, so polling is cheap. ' +
    'A change of `status` is recorded as a `connector.health_changed` event and in the error report mailed to the tenant\'s recipients.',
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The checks and the overall status.', schema: healthReportSchema } },
});

export const consoleHealth = (services: Services) =>
  endpoint(consoleHealthRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, await tenantHealth(services, principal.tenantId)),
  });

import { authenticateConsole } from '../shared/auth/console.js';
import { fleetSummarySchema, readFleetSummary } from '../shared/console/fleet.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleSummaryRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/summary',
  summary: 'The whole fleet at a glance: devices by status, risk level and agent trust, and open threats by classification.',
  description:
    'Complete and exact for any fleet size: read from counters kept with every device and threat write (a rollup and the changes since it), ' +
    'never by reading the devices. `byRisk` counts the devices that are not deactivated; `total` every device; `trust` the activated ones.',
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The counts.', schema: fleetSummarySchema } },
});

export const consoleSummary = (services: Services) =>
  endpoint(consoleSummaryRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, await readFleetSummary(services, principal.tenantId)),
  });

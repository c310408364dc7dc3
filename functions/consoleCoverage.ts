import { authenticateConsole } from '../shared/auth/console.js';
import { coverageSchema, readCoverage } from '../shared/console/fleet.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleCoverageRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/coverage',
  summary: 'Enrollment coverage: per enrollment group and in total, devices by status and pending devices by how long they have waited.',
  description:
    'Shows who has not activated the agent. A device counts in the groups through which discovery last found its user. ' +
    'Complete for any fleet size (read from counters kept with the device writes).',
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The coverage.', schema: coverageSchema } },
});

export const consoleCoverage = (services: Services) =>
  endpoint(consoleCoverageRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, await readCoverage(services, principal.tenantId)),
  });

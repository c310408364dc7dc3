import { authenticateConsole, requireFull } from '../shared/auth/console.js';
import { resetClassifications, resetResponseSchema } from '../shared/console/classifications.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleClassificationsResetRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/threat-classifications/reset',
  summary: 'Every classification back to its default risk level; answers like the PUT, with the re-grade job of the affected devices. Full access only; audited.',
  tags: ['console'],
  security: 'consoleToken',
  responses: {
    200: { description: 'The classifications as they are now, and the re-grade job (follow it like the PUT\'s).', schema: resetResponseSchema },
    403: { description: 'Restricted access.' },
  },
});

export const consoleClassificationsReset = (services: Services) =>
  endpoint(consoleClassificationsResetRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => {
      requireFull(principal);
      return json(200, await resetClassifications(services, principal));
    },
  });

import { authenticateConsole } from '../shared/auth/console.js';
import { classificationListSchema, listClassifications } from '../shared/console/classifications.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleClassificationsListRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/threat-classifications',
  summary: 'Every threat classification with its category, current risk level and default risk level.',
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The classifications.', schema: classificationListSchema } },
});

export const consoleClassificationsList = (services: Services) =>
  endpoint(consoleClassificationsListRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, { items: await listClassifications(services.tables, principal.tenantId) }),
  });

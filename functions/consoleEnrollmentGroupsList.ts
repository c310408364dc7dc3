import { z } from 'zod';
import { authenticateConsole } from '../shared/auth/console.js';
import { createResolutionMemo, enrollmentGroupSchema, listEnrollmentGroups } from '../shared/console/enrollmentGroups.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';

export const consoleEnrollmentGroupsListRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/enrollment-groups',
  summary: 'The enrollment groups, each resolved through Microsoft Graph (a resolution is reused for up to a minute).',
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The groups.', schema: z.object({ items: z.array(enrollmentGroupSchema) }) } },
});

export const consoleEnrollmentGroupsList = (services: Services) => {
  const memo = createResolutionMemo(services);
  return endpoint(consoleEnrollmentGroupsListRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, { items: await listEnrollmentGroups(services, principal.tenantId, memo) }),
  });
};

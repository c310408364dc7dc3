import { z } from 'zod';
import { authenticateConsole } from '../shared/auth/console.js';
import { enrollmentGroupSchema, listEnrollmentGroups } from '../shared/console/enrollmentGroups.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/services.js';

export const consoleEnrollmentGroupsListRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/enrollment-groups',
  summary: 'The enrollment groups, each resolved through Microsoft Graph now.',
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The groups.', schema: z.object({ items: z.array(enrollmentGroupSchema) }) } },
});

export const consoleEnrollmentGroupsList = (services: Services) =>
  endpoint(consoleEnrollmentGroupsListRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, { items: await listEnrollmentGroups(services, principal.tenantId) }),
  });

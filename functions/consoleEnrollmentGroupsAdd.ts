import { z } from 'zod';
import { authenticateFullAccess } from '../shared/auth/console.js';
import { addEnrollmentGroup, enrollmentGroupSchema, groupDisplayNameSchema } from '../shared/console/enrollmentGroups.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';

export const consoleEnrollmentGroupsAddRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/enrollment-groups',
  summary: 'Adds an enrollment group by its display name (exactly, case included); full access only.',
  tags: ['console'],
  security: 'consoleToken',
  body: z.strictObject({
    displayName: groupDisplayNameSchema.describe("The group's display name exactly as its Properties page shows it."),
  }),
  requestExample: { displayName: 'Sales phones' },
  responses: {
    201: { description: 'Added; with its resolution status.', schema: enrollmentGroupSchema },
    403: { description: 'Restricted (read-only) access.' },
    409: { description: 'Already configured, or the tenant has the most groups allowed.' },
  },
});

export const consoleEnrollmentGroupsAdd = (services: Services) =>
  endpoint(consoleEnrollmentGroupsAddRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, body }) => json(201, await addEnrollmentGroup(services, principal, body.displayName)),
  });

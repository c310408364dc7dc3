import { z } from 'zod';
import { authenticateFullAccess } from '../shared/auth/console.js';
import { groupDisplayNameSchema, removeEnrollmentGroup } from '../shared/console/enrollmentGroups.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleEnrollmentGroupsRemoveRoute = defineRoute({
  method: 'DELETE',
  route: 'v1/console/enrollment-groups/{displayName}',
  summary: 'Removes an enrollment group by display name (exact, URL-encoded); full access only.',
  tags: ['console'],
  security: 'consoleToken',
  params: z.object({ displayName: groupDisplayNameSchema }),
  responses: {
    204: { description: 'Removed.' },
    403: { description: 'Restricted (read-only) access.' },
    404: { description: 'No group of that name is configured.' },
  },
});

export const consoleEnrollmentGroupsRemove = (services: Services) =>
  endpoint(consoleEnrollmentGroupsRemoveRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => {
      await removeEnrollmentGroup(services, principal, params.displayName);
      return { status: 204, headers: { 'cache-control': 'no-store' } };
    },
  });

import { authenticateConsole, requireFull } from '../shared/auth/console.js';
import { syncNow, syncNowResponseSchema } from '../shared/enrollment/syncNow.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/services.js';

export const consoleSyncNowRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/enrollment/sync',
  summary: 'Runs enrollment discovery for your organization now (full access).',
  description:
    'Resolves the enrollment groups, reads their users and the Intune iOS/Android devices, and updates the device ' +
    'list. The request waits for the run (up to 100 seconds) and answers 202 with its outcome; a longer run carries ' +
    'on in the background and the answer says `running`. If a run is already under way, the answer says `already-running`.',
  tags: ['console'],
  security: 'consoleToken',
  responses: {
    202: { description: 'The run was started; its outcome when it finished within the wait.', schema: syncNowResponseSchema },
  },
});

export const consoleSyncNow = (services: Services, options: { waitMs?: number } = {}) =>
  endpoint(consoleSyncNowRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => {
      requireFull(principal);
      return json(202, await syncNow(services, principal.tenantId, options));
    },
  });

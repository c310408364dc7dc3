import { authenticateConsole } from '../shared/auth/console.js';
import { getRegrade, regradeParamsSchema, regradeSchema } from '../shared/console/classifications.js';
import { HttpError, json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleRegradeGetRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/threat-classifications/regrades/{id}',
  summary: 'Follows a re-grade job started by a classification PUT or reset.',
  description:
    'Poll this with the `regrade.id` of a PUT or reset answer (every 2 to 5 seconds is plenty) until `status` is ' +
    '`completed`. While `running`, `devicesTotal` counts the devices with an open threat of the changed classification(s) ' +
    'found so far and `devicesChanged` those whose risk level changed so far; both are final once `completed`. Slices ' +
    'start a few seconds after the change (once every instance uses the new policy). Both access levels.',
  tags: ['console'],
  security: 'consoleToken',
  params: regradeParamsSchema,
  responses: {
    200: { description: 'The job and its progress.', schema: regradeSchema },
    404: { description: 'Your organization has no re-grade with this id.' },
  },
});

export const consoleRegradeGet = (services: Services) =>
  endpoint(consoleRegradeGetRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params }) => {
      const regrade = await getRegrade(services, principal.tenantId, params.id);
      if (!regrade) throw new HttpError(404, 'There is no re-grade with this id in your organization.');
      return json(200, regrade);
    },
  });

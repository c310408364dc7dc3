import { authenticateConsole, requireFull } from '../shared/auth/console.js';
import { classificationParamsSchema, classificationUpdateResponseSchema, classificationUpdateSchema, setClassificationLevel } from '../shared/console/classifications.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleClassificationsPutRoute = defineRoute({
  method: 'PUT',
  route: 'v1/console/threat-classifications/{classification}',
  summary: "Changes a classification's risk level and starts the re-grade of every open threat of it as a queued job.",
  description:
    'The level is saved before the answer, which comes within a second whatever the fleet size, with `regrade`: a job ' +
    'that re-grades the devices with an open threat of this classification through the `device-slices` queue, in ' +
    'slices that run side by side. Devices whose level changes are pushed to Intune and Entra ID, and a rise to an ' +
    'alerting level queues an alert. Follow the job with `GET /api/v1/console/threat-classifications/regrades/{id}` ' +
    '(poll every few seconds until `status` is `completed`; `devicesChanged` and `devicesTotal` grow meanwhile). ' +
    'A PUT of the level already in force changes nothing but still re-grades. Full access only; audited.',
  tags: ['console'],
  security: 'consoleToken',
  params: classificationParamsSchema,
  body: classificationUpdateSchema,
  requestExample: { riskLevel: 'high' },
  responses: {
    200: { description: 'The classification as it is now, and its re-grade job (`running`, or `completed` when nothing is to re-grade).', schema: classificationUpdateResponseSchema },
    403: { description: 'Restricted access.' },
  },
});

export const consoleClassificationsPut = (services: Services) =>
  endpoint(consoleClassificationsPutRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params, body }) => {
      requireFull(principal);
      const { item, regrade } = await setClassificationLevel(services, principal, params.classification, body.riskLevel);
      return json(200, { item, regrade });
    },
  });

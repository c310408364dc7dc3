/** Console: the tenant's threat classifications, their risk levels, and changes to them (with re-grading). */
import { createTenantGate } from '../shared/console/budgets.js';
import { authenticateConsole, requireFull } from '../shared/auth/console.js';
import {
  getRegrade,
  regradeParamsSchema,
  regradeSchema,
  classificationListSchema,
  classificationParamsSchema,
  classificationUpdateResponseSchema,
  classificationUpdateSchema,
  listClassifications,
  previewBodySchema,
  previewRegrade,
  previewResponseSchema,
  resetClassifications,
  resetResponseSchema,
  setClassificationLevel,
} from '../shared/console/classifications.js';
import { HttpError, json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

const tags = ['console'];

export const consoleClassificationsListRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/threat-classifications',
  summary: 'Every threat classification with its category, current risk level and default risk level.',
  tags,
  security: 'consoleToken',
  responses: { 200: { description: 'The classifications.', schema: classificationListSchema } },
});

export const consoleClassificationsList = (services: Services) =>
  endpoint(consoleClassificationsListRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, { items: await listClassifications(services.tables, principal.tenantId) }),
  });

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
  tags,
  security: 'consoleToken',
  params: classificationParamsSchema,
  body: classificationUpdateSchema,
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

export const consoleClassificationsPreviewRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/threat-classifications/preview',
  summary: 'How many devices would change risk level under the given levels, by old→new level, with a sample. Changes nothing.',
  tags,
  security: 'consoleToken',
  body: previewBodySchema,
  responses: {
    200: { description: 'The effect of the change.', schema: previewResponseSchema },
    429: { description: 'A preview for the organization is already running (one at a time per tenant); see `Retry-After`.' },
  },
});

export const consoleClassificationsPreview = (services: Services) => {
  const gate = createTenantGate('threat classification preview');
  return endpoint(consoleClassificationsPreviewRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, body }) =>
      json(200, await gate.run(principal.tenantId, () => previewRegrade(services.tables, principal.tenantId, body.changes))),
  });
};

export const consoleClassificationsResetRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/threat-classifications/reset',
  summary: 'Every classification back to its default risk level; answers like the PUT, with the re-grade job of the affected devices. Full access only; audited.',
  tags,
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

export const consoleRegradeGetRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/threat-classifications/regrades/{id}',
  summary: 'Follows a re-grade job started by a classification PUT or reset.',
  description:
    'Poll this with the `regrade.id` of a PUT or reset answer (every 2 to 5 seconds is plenty) until `status` is ' +
    '`completed`. While `running`, `devicesTotal` counts the devices with an open threat of the changed classification(s) ' +
    'found so far and `devicesChanged` those whose risk level changed so far; both are final once `completed`. Slices ' +
    'start a few seconds after the change (once every instance uses the new policy). Both access levels.',
  tags,
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

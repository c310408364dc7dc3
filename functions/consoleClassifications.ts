/** Console: the tenant's threat classifications, their risk levels, and changes to them (with re-grading). */
import { createTenantGate } from '../shared/console/budgets.js';
import { authenticateConsole, requireFull } from '../shared/auth/console.js';
import {
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
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/services.js';

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
  summary: "Changes a classification's risk level; every open threat of it is re-graded at once.",
  description:
    'Devices with an open threat of this classification get their risk level recomputed; those whose level changed are ' +
    'pushed to Intune and Entra ID, and a rise to an alerting level queues an alert. Full access only; audited.',
  tags,
  security: 'consoleToken',
  params: classificationParamsSchema,
  body: classificationUpdateSchema,
  responses: {
    200: { description: 'The classification as it is now, and how many devices changed risk level.', schema: classificationUpdateResponseSchema },
    403: { description: 'Restricted access.' },
  },
});

export const consoleClassificationsPut = (services: Services) =>
  endpoint(consoleClassificationsPutRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params, body }) => {
      requireFull(principal);
      const { item, devicesChanged } = await setClassificationLevel(services, principal, params.classification, body.riskLevel);
      return json(200, { item, devicesChanged });
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
  summary: 'Every classification back to its default risk level; affected devices are re-graded. Full access only; audited.',
  tags,
  security: 'consoleToken',
  responses: {
    200: { description: 'The classifications as they are now, and how many devices changed risk level.', schema: resetResponseSchema },
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

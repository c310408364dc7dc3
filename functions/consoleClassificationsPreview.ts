import { createStoredTenantRate, createTenantGate, previewRate } from '../shared/console/budgets.js';
import { authenticateConsole } from '../shared/auth/console.js';
import { previewBodySchema, previewResponseSchema } from '../shared/console/classifications.js';
import { previewRegrade } from '../shared/compliance/regrade.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleClassificationsPreviewRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/threat-classifications/preview',
  summary: 'How many devices would change risk level under the given levels, by old→new level, with a sample. Changes nothing.',
  tags: ['console'],
  security: 'consoleToken',
  body: previewBodySchema,
  requestExample: { changes: { ADWARE: 'medium', OUTDATED_OS: 'low' } },
  responses: {
    200: { description: 'The effect of the change.', schema: previewResponseSchema },
    429: {
      description:
        'A preview for the organization is already running on this instance (one at a time), or the organization has run 10 previews (of classifications and app rules together) in the last minute, counted across every instance; see `Retry-After`.',
    },
  },
});

export const consoleClassificationsPreview = (services: Services) => {
  const gate = createTenantGate('threat classification preview');
  const rate = createStoredTenantRate(services, { name: 'preview', what: 'preview', ...previewRate });
  return endpoint(consoleClassificationsPreviewRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, body }) => {
      await rate.take(principal.tenantId);
      return json(200, await gate.run(principal.tenantId, () => previewRegrade(services.tables, principal.tenantId, body.changes)));
    },
  });
};

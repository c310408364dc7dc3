import { createStoredTenantRate, createTenantGate, previewRate } from '../shared/console/budgets.js';
import { authenticateConsole } from '../shared/auth/console.js';
import { appRulePreviewBodySchema, previewConsoleAppRule } from '../shared/console/appRules.js';
import { previewResponseSchema } from '../shared/console/classifications.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleAppRulesPreviewRoute = defineRoute({
  method: 'POST',
  route: 'v1/console/app-rules/preview',
  summary: "How many devices would change risk level if a package's rule were set (or removed, `riskLevel: null`). Changes nothing.",
  description: 'Reads only the devices with an open threat of that package (the package index). Both access levels.',
  tags: ['console'],
  security: 'consoleToken',
  body: appRulePreviewBodySchema,
  requestExample: { packageName: 'com.example.fieldservice', riskLevel: 'none' },
  responses: {
    200: { description: 'The effect of the change.', schema: previewResponseSchema },
    429: {
      description:
        'A preview for the organization is already running on this instance (one at a time), or the organization has run 10 previews (of classifications and app rules together) in the last minute, counted across every instance; see `Retry-After`.',
    },
  },
});

export const consoleAppRulesPreview = (services: Services) => {
  const gate = createTenantGate('app rule preview');
  const rate = createStoredTenantRate(services, { name: 'preview', what: 'preview', ...previewRate });
  return endpoint(consoleAppRulesPreviewRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, body }) => {
      await rate.take(principal.tenantId);
      return json(200, await gate.run(principal.tenantId, () => previewConsoleAppRule(services.tables, principal.tenantId, body, services.clock.now())));
    },
  });
};

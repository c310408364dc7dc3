import { authenticateFullAccess } from '../shared/auth/console.js';
import { appRuleBodySchema, appRuleChangeResponseSchema, appRuleParamsSchema, setAppRule } from '../shared/console/appRules.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleAppRulesPutRoute = defineRoute({
  method: 'PUT',
  route: 'v1/console/app-rules/{packageName}',
  summary: 'Creates or replaces the app rule of a package and starts the re-grade of the devices with an open threat of it.',
  description:
    "A threat whose `packageName` matches exactly takes the rule's `riskLevel` instead of its classification's: `none` " +
    'allows an app the policy would flag, `high` denies one it would not. The rule is saved before the answer, which ' +
    'carries `regrade`, the queued job re-grading the devices with an open threat of that package (follow it with ' +
    '`GET /api/v1/console/threat-classifications/regrades/{id}`); agents\' reports use the rule within seconds. At most ' +
    '1,000 rules per organization (409 beyond). Full access only; audited (`appRule.put`).',
  tags: ['console'],
  security: 'consoleToken',
  params: appRuleParamsSchema,
  body: appRuleBodySchema,
  requestExample: { riskLevel: 'none', reason: 'Our own field-service app, signed outside the store' },
  responses: {
    200: { description: 'The rule as saved and its re-grade job.', schema: appRuleChangeResponseSchema },
    403: { description: 'Restricted access.' },
    409: { description: 'The organization already has 1,000 rules.' },
  },
});

export const consoleAppRulesPut = (services: Services) =>
  endpoint(consoleAppRulesPutRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params, body }) => json(200, await setAppRule(services, principal, params.packageName, body)),
  });

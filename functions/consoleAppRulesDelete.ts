import { authenticateFullAccess } from '../shared/auth/console.js';
import { appRuleChangeResponseSchema, appRuleParamsSchema, removeAppRule } from '../shared/console/appRules.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleAppRulesDeleteRoute = defineRoute({
  method: 'DELETE',
  route: 'v1/console/app-rules/{packageName}',
  summary: "Deletes a package's app rule and starts the re-grade of the devices with an open threat of it.",
  description:
    "Threats of the package are graded by their classification again. Answers with `regrade`, the queued job (as a " +
    'classification change does). Full access only; audited (`appRule.delete`).',
  tags: ['console'],
  security: 'consoleToken',
  params: appRuleParamsSchema,
  responses: {
    200: { description: 'The re-grade job.', schema: appRuleChangeResponseSchema },
    403: { description: 'Restricted access.' },
    404: { description: 'The package has no rule.' },
  },
});

export const consoleAppRulesDelete = (services: Services) =>
  endpoint(consoleAppRulesDeleteRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => json(200, await removeAppRule(services, principal, params.packageName)),
  });

import { authenticateConsole } from '../shared/auth/console.js';
import { appRuleListSchema, listConsoleAppRules } from '../shared/console/appRules.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleAppRulesListRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/app-rules',
  summary: "Every app rule of the organization: a threat whose `packageName` has a rule takes the rule's level instead of its classification's.",
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The rules (at most 1,000).', schema: appRuleListSchema } },
});

export const consoleAppRulesList = (services: Services) =>
  endpoint(consoleAppRulesListRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, await listConsoleAppRules(services.tables, principal.tenantId)),
  });

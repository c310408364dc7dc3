import { authenticateConsole } from '../shared/auth/console.js';
import { readConnectorSettings } from '../shared/tenants/tenantConfig.js';
import { connectorSettingsSchema } from '../shared/domain/index.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';

export const consoleConnectorGetRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/connector',
  summary: "The tenant's connector settings (defaults for anything never set).",
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The connector settings.', schema: connectorSettingsSchema } },
});

export const consoleConnectorGet = (services: Services) =>
  endpoint(consoleConnectorGetRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, await readConnectorSettings(services.tables, principal.tenantId)),
  });

import { authenticateFullAccess } from '../shared/auth/console.js';
import { updateConnectorSettings } from '../shared/console/connectorSettings.js';
import { connectorSettingsSchema, connectorSettingsUpdateSchema } from '../shared/domain/index.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';

export const consoleConnectorPutRoute = defineRoute({
  method: 'PUT',
  route: 'v1/console/connector',
  summary: 'Changes connector settings: a partial update (fields given replace the current ones); full access only.',
  description: 'Unknown fields and out-of-range values are refused with 400 and nothing is changed. Every change is audited.',
  tags: ['console'],
  security: 'consoleToken',
  body: connectorSettingsUpdateSchema,
  requestExample: { heartbeatFrequencyMinutes: 60, disconnectedAfterDays: 7, enforcement: { intunePartner: true, entraDeviceAttribute: 'extensionAttribute10' } },
  responses: {
    200: { description: 'The settings now in force.', schema: connectorSettingsSchema },
    403: { description: 'Restricted (read-only) access.' },
  },
});

export const consoleConnectorPut = (services: Services) =>
  endpoint(consoleConnectorPutRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, body }) => json(200, await updateConnectorSettings(services, principal, body)),
  });

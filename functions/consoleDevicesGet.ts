import { authenticateConsole } from '../shared/auth/console.js';
import { deviceDetailSchema, deviceIdParamsSchema, getConsoleDevice } from '../shared/console/devices.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleDevicesGetRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/devices/{deviceId}',
  summary: 'One device: its state, its active threats, and what Intune and Entra ID were last told and when.',
  tags: ['console'],
  security: 'consoleToken',
  params: deviceIdParamsSchema,
  responses: {
    200: { description: 'The device.', schema: deviceDetailSchema },
    404: { description: 'Your organization has no such device.' },
  },
});

export const consoleDevicesGet = (services: Services) =>
  endpoint(consoleDevicesGetRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params }) =>
      json(200, await getConsoleDevice(services.tables, principal.tenantId, params.deviceId)),
  });

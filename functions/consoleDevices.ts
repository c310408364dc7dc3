import { authenticateConsole } from '../shared/auth/console.js';
import { deviceListQuerySchema, deviceListSchema, listConsoleDevices } from '../shared/console/devices.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleDevicesRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/devices',
  summary: "Lists the organization's devices, optionally filtered by status, risk level and platform, a page at a time.",
  tags: ['console'],
  security: 'consoleToken',
  query: deviceListQuerySchema,
  responses: {
    200: { description: 'A page of devices and the cursor of the next page.', schema: deviceListSchema },
  },
});

export const consoleDevices = (services: Services) =>
  endpoint(consoleDevicesRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, query }) =>
      json(200, await listConsoleDevices(services.tables, principal.tenantId, query)),
  });

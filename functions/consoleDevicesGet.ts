import { authenticateConsole } from '../shared/auth/console.js';
import { deviceDetailSchema, deviceIdParamsSchema, getConsoleDevice } from '../shared/console/devices.js';
import { createIntuneViews, intuneViewResultSchema } from '../shared/console/intuneView.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleDevicesGetRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/devices/{deviceId}',
  summary: 'One device: its state, its active threats, and what Intune and Entra ID were last told and when.',
  description:
    "`intune` is Intune's own view of the device (`complianceState`, `partnerReportedThreatState`, `lastSyncDateTime`), read from Graph " +
    '(`GET /deviceManagement/managedDevices/{id}`) when the page asks, reused for at most 5 minutes and limited per organization; ' +
    'when it cannot be read now it is null and `intuneUnavailable` says why.',
  tags: ['console'],
  security: 'consoleToken',
  params: deviceIdParamsSchema,
  responses: {
    200: { description: 'The device, with Intune\'s own view of it.', schema: deviceDetailSchema.extend(intuneViewResultSchema.shape) },
    404: { description: 'Your organization has no such device.' },
  },
});

export const consoleDevicesGet = (services: Services) => {
  // Per instance: Intune's views, reused for 5 minutes and budgeted per tenant (shared/console/intuneView.ts).
  const intuneViews = createIntuneViews(services);
  return endpoint(consoleDevicesGetRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params }) => {
      const detail = await getConsoleDevice(services.tables, principal.tenantId, params.deviceId, services.clock.now());
      return json(200, { ...detail, ...(await intuneViews.read(principal.tenantId, detail.device.deviceId)) });
    },
  });
};

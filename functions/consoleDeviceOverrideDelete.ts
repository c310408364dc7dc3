import { authenticateFullAccess } from '../shared/auth/console.js';
import { endOverride, overrideParamsSchema } from '../shared/console/overrides.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleDeviceOverrideDeleteRoute = defineRoute({
  method: 'DELETE',
  route: 'v1/console/devices/{deviceId}/override',
  summary: "Ends a device's risk override now: the device goes back to the level its threats give it.",
  description:
    'Intune and Entra ID are told the device\'s level at once. Full access only; audited (`device.override.end`); event ' +
    '`device.override_ended` with `endedBy` naming the user.',
  tags: ['console'],
  security: 'consoleToken',
  params: overrideParamsSchema,
  responses: {
    204: { description: 'Ended.' },
    403: { description: 'Restricted access.' },
    404: { description: 'No such device, or it has no override.' },
  },
});

export const consoleDeviceOverrideDelete = (services: Services) =>
  endpoint(consoleDeviceOverrideDeleteRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params }) => {
      await endOverride(services, principal, params.deviceId);
      return { status: 204, headers: { 'cache-control': 'no-store' } };
    },
  });

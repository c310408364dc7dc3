import { authenticateDeviceUser } from '../shared/auth/console.js';
import { activateDevice } from '../shared/devices/activation.js';
import { activateBodySchema, activateResponseSchema, deviceMaxBodyBytes } from '../shared/devices/schemas.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const deviceActivateRoute = defineRoute({
  method: 'POST',
  route: 'v1/device/activate',
  summary: "Activates the agent on a device discovered for the signed-in user and returns the device's credential.",
  description:
    'Takes the user\'s Entra ID access token. Only a device discovered for that user in that tenant can be activated; ' +
    'activating again rotates the credential (the previous one stops working) and restarts the report sequence.',
  tags: ['device'],
  security: 'userToken',
  body: activateBodySchema,
  maxBodyBytes: deviceMaxBodyBytes,
  responses: {
    200: { description: 'Activated: the device credential (returned only now) and the heartbeat interval.', schema: activateResponseSchema },
  },
});

export const deviceActivate = (services: Services) =>
  endpoint(deviceActivateRoute, {
    authenticate: authenticateDeviceUser(services),
    handle: async ({ principal, body }) => json(200, await activateDevice(services, principal, body)),
  });

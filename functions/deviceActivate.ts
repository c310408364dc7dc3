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
    'activating again rotates the credential (the previous one stops working), replaces the bound key and restarts the ' +
    'report sequence. Agent trust: with `deviceKey` (and the `challenge` it requires) the credential is bound to the key ' +
    '(`tokenType: "DPoP"`); `attestation` is judged under the tenant\'s `agentTrust.attestation`: `off` checks nothing, ' +
    '`report` activates whatever the verdict and raises `DEVICE_INTEGRITY_FAILED` (failed) or `DEVICE_INTEGRITY_UNVERIFIED` ' +
    '(absent) on the device until a verified activation, `required` refuses anything but a verified attestation (403, ' +
    'event `device.attestation_failed`, the device unchanged). Under `agentTrust.keyBinding: required` an activation ' +
    'without `deviceKey` is refused (400).',
  tags: ['device'],
  security: 'userToken',
  body: activateBodySchema,
  maxBodyBytes: deviceMaxBodyBytes,
  requestExample: { intuneDeviceId: '6f9a2c4e-1b7d-4e3a-9c5f-2d8b7a1e4c60', platform: 'ios', osVersion: '17.5.1', appVersion: '3.2.0' },
  responses: {
    200: { description: 'Activated: the device credential (returned only now) and the heartbeat interval.', schema: activateResponseSchema },
    400: {
      description:
        'The input does not match the schema (a `deviceKey` with a private member such as `d`, an unknown field), or the ' +
        'tenant requires `deviceKey`, or `challenge` is missing, unknown, expired or already used; `errors` names the field.',
    },
    403: {
      description:
        'The device belongs to another user, or was deactivated; or the token is not a user token of a connected tenant; or ' +
        'the tenant requires a verified attestation and it did not verify (the reason is in `detail`).',
    },
    404: { description: 'No device with this Intune device id was discovered for the user\'s organization (yet).' },
  },
});

export const deviceActivate = (services: Services) =>
  endpoint(deviceActivateRoute, {
    authenticate: authenticateDeviceUser(services),
    handle: async ({ principal, body }) => json(200, await activateDevice(services, principal, body)),
  });

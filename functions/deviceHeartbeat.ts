import { authenticateDevice } from '../shared/devices/deviceAuth.js';
import { recordHeartbeat } from '../shared/devices/heartbeat.js';
import { deviceMaxBodyBytes, heartbeatBodySchema, heartbeatResponseSchema } from '../shared/devices/schemas.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const deviceHeartbeatRoute = defineRoute({
  method: 'POST',
  route: 'v1/device/heartbeat',
  summary: 'The agent checks in; a disconnected device becomes active again; a credential near its expiry is rotated.',
  description:
    'Too many heartbeats from one device answer 429 with Retry-After. A device credential lives `DEVICE_CREDENTIAL_DAYS` ' +
    '(90 by default). Within 7 days of its expiry the answer also carries `deviceToken` and `deviceTokenExpiresAt`: ' +
    'the new credential, to be used from then on; the presented one keeps working for 24 hours after the rotation ' +
    '(a heartbeat with it within those hours receives the same new credential again), then only the new one. ' +
    'An expired credential, or a replaced one after its 24 hours, is refused with 401: the agent activates again with ' +
    "its user's token. A key-bound device sends `Authorization: DPoP` and a `DPoP` proof; a rotated credential stays " +
    'bound to the same key.',
  tags: ['device'],
  security: 'deviceCredential',
  body: heartbeatBodySchema,
  maxBodyBytes: deviceMaxBodyBytes,
  requestExample: { osVersion: '17.5.1', appVersion: '3.2.0' },
  responses: {
    200: { description: 'Checked in: how often to check in, and the rotated credential when one is due.', schema: heartbeatResponseSchema },
  },
});

export const deviceHeartbeat = (services: Services) =>
  endpoint(deviceHeartbeatRoute, {
    authenticate: authenticateDevice(services, 'heartbeat'),
    handle: async ({ principal, body }) => json(200, await recordHeartbeat(services, principal, body)),
  });

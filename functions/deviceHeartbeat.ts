import { authenticateDevice } from '../shared/devices/deviceAuth.js';
import { recordHeartbeat } from '../shared/devices/heartbeat.js';
import { deviceMaxBodyBytes, heartbeatBodySchema, heartbeatResponseSchema } from '../shared/devices/schemas.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/services.js';

export const deviceHeartbeatRoute = defineRoute({
  method: 'POST',
  route: 'v1/device/heartbeat',
  summary: 'The agent checks in; a disconnected device becomes active again.',
  description: 'Too many heartbeats from one device answer 429 with Retry-After.',
  tags: ['device'],
  security: 'deviceCredential',
  body: heartbeatBodySchema,
  maxBodyBytes: deviceMaxBodyBytes,
  responses: {
    200: { description: 'Checked in: how often to check in.', schema: heartbeatResponseSchema },
  },
});

export const deviceHeartbeat = (services: Services) =>
  endpoint(deviceHeartbeatRoute, {
    authenticate: authenticateDevice(services, 'heartbeat'),
    handle: async ({ principal, body }) => json(200, await recordHeartbeat(services, principal, body)),
  });

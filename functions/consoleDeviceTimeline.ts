import { authenticateConsole } from '../shared/auth/console.js';
import { deviceIdParamsSchema } from '../shared/console/devices.js';
import { readDeviceTimeline, timelineQuerySchema, timelineSchema } from '../shared/console/timeline.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleDeviceTimelineRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/devices/{deviceId}/timeline',
  summary: "One device's history, newest first: its events, every push to Intune or Entra ID, overrides, activations and credential rotations.",
  description:
    'Read from rows kept with the device (not by filtering the tenant feed). Event entries carry the same `eventId` as the feed; ' +
    'push entries say the value told and the answer. Paged with `cursor` and `limit`.',
  tags: ['console'],
  security: 'consoleToken',
  params: deviceIdParamsSchema,
  query: timelineQuerySchema,
  responses: {
    200: { description: 'A page of the timeline.', schema: timelineSchema },
    404: { description: 'Your organization has no such device.' },
  },
});

export const consoleDeviceTimeline = (services: Services) =>
  endpoint(consoleDeviceTimelineRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, params, query }) => json(200, await readDeviceTimeline(services.tables, principal.tenantId, params.deviceId, query)),
  });

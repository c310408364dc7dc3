import { authenticateFullAccess } from '../shared/auth/console.js';
import { overrideBodySchema, overrideParamsSchema, overrideResponseSchema, setOverride } from '../shared/console/overrides.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleDeviceOverridePutRoute = defineRoute({
  method: 'PUT',
  route: 'v1/console/devices/{deviceId}/override',
  summary: "Sets a risk override on a device: its risk level is the override's until `expiresAt`, whatever its threats.",
  description:
    'A time-boxed exception with a reason (1 to 500 characters), ending at `expiresAt` (in the future, at most 30 days ' +
    'ahead). The device\'s risk level follows at once and Intune and Entra ID are told it; at `expiresAt` (pushed within ' +
    '5 minutes) or on `DELETE` the device goes back to the level its threats give it. A PUT replaces the current ' +
    'override. Full access only; audited (`device.override.set`); events `device.override_started` (and ' +
    '`device.override_ended` for an override it replaces).',
  tags: ['console'],
  security: 'consoleToken',
  params: overrideParamsSchema,
  body: overrideBodySchema,
  requestExample: { riskLevel: 'none', reason: 'CEO travelling; ticket HD-4711', expiresAt: '2026-12-08T18:00:00Z' },
  responses: {
    200: { description: 'The override now in force.', schema: overrideResponseSchema },
    403: { description: 'Restricted access.' },
    404: { description: 'Your organization has no such device.' },
  },
});

export const consoleDeviceOverridePut = (services: Services) =>
  endpoint(consoleDeviceOverridePutRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, params, body }) => json(200, { override: await setOverride(services, principal, params.deviceId, body) }),
  });

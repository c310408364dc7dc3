import { authenticateConsole } from '../shared/auth/console.js';
import { notificationPreferencesPutSchema, putNotificationPreferences } from '../shared/console/notificationPreferences.js';
import { notificationPreferencesSchema } from '../shared/domain/index.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';

export const consoleNotificationsPutRoute = defineRoute({
  method: 'PUT',
  route: 'v1/console/me/notifications',
  summary: "Replaces the caller's own threat alert preferences (full and restricted users alike).",
  description:
    "Alerts go to the caller's own address as Entra ID knows it (the token's `email` or `preferred_username`, else " +
    "Graph's `mail`). `email` may be omitted; one naming another address is refused with 400. Alerts go only to users " +
    'still in the full or restricted group when the mail is sent.',
  tags: ['console'],
  security: 'consoleToken',
  body: notificationPreferencesPutSchema,
  requestExample: { levels: { low: false, medium: true, high: true } },
  responses: {
    200: { description: 'The preferences now in force.', schema: notificationPreferencesSchema },
    400: { description: 'Another address than the caller\'s own, or invalid levels; nothing stored.' },
  },
});

export const consoleNotificationsPut = (services: Services) =>
  endpoint(consoleNotificationsPutRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, body }) => json(200, await putNotificationPreferences(services, principal, body)),
  });

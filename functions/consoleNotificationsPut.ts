import { authenticateConsole } from '../shared/auth/console.js';
import { putNotificationPreferences } from '../shared/console/notificationPreferences.js';
import { notificationPreferencesSchema } from '../shared/domain/index.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/services.js';

export const consoleNotificationsPutRoute = defineRoute({
  method: 'PUT',
  route: 'v1/console/me/notifications',
  summary: "Replaces the caller's own threat alert preferences (full and restricted users alike).",
  tags: ['console'],
  security: 'consoleToken',
  body: notificationPreferencesSchema,
  responses: { 200: { description: 'The preferences now in force.', schema: notificationPreferencesSchema } },
});

export const consoleNotificationsPut = (services: Services) =>
  endpoint(consoleNotificationsPutRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal, body }) => json(200, await putNotificationPreferences(services, principal, body)),
  });

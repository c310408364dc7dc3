import { authenticateConsole } from '../shared/auth/console.js';
import { getNotificationPreferences } from '../shared/console/notificationPreferences.js';
import { notificationPreferencesSchema } from '../shared/domain/index.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';

export const consoleNotificationsGetRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/me/notifications',
  summary: "The caller's own threat alert preferences: their own address as Entra ID knows it, and the levels (default: every level off).",
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The preferences.', schema: notificationPreferencesSchema } },
});

export const consoleNotificationsGet = (services: Services) =>
  endpoint(consoleNotificationsGetRoute, {
    authenticate: authenticateConsole(services),
    handle: async ({ principal }) => json(200, await getNotificationPreferences(services, principal)),
  });

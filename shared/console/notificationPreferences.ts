/**
 * A console user's own alert preferences (`notificationPreferences`, RowKey = the user's object id). Until the user
 * saves some: their sign-in address, every level off.
 */
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { defaultNotificationPreferences } from '../domain/index.js';
import type { NotificationPreferences } from '../domain/index.js';
import type { Services } from '../services.js';
import { readEntity } from '../storage/index.js';

const preferencesRowSchema = z.looseObject({
  email: z.string(),
  low: z.boolean(),
  medium: z.boolean(),
  high: z.boolean(),
});

function defaults(principal: ConsolePrincipal): NotificationPreferences {
  return defaultNotificationPreferences(principal.email ?? principal.upn);
}

export async function getNotificationPreferences(services: Services, principal: ConsolePrincipal): Promise<NotificationPreferences> {
  const row = await readEntity(services.tables.table('notificationPreferences'), preferencesRowSchema, principal.tenantId, principal.userId);
  if (!row) return defaults(principal);
  return { email: row.email, levels: { low: row.low, medium: row.medium, high: row.high } };
}

/** Replaces the caller's preferences (already validated), audited; returns them. */
export async function putNotificationPreferences(
  services: Services,
  principal: ConsolePrincipal,
  preferences: NotificationPreferences,
): Promise<NotificationPreferences> {
  await audited(
    services,
    principal,
    { action: 'notifications.update', target: `notifications:${principal.userId}`, request: preferences },
    async () => {
      const before = await getNotificationPreferences(services, principal);
      await services.tables.table('notificationPreferences').upsertEntity(
        {
          partitionKey: principal.tenantId,
          rowKey: principal.userId,
          email: preferences.email,
          low: preferences.levels.low,
          medium: preferences.levels.medium,
          high: preferences.levels.high,
        },
        'Replace',
      );
      return { before, after: preferences };
    },
  );
  return preferences;
}

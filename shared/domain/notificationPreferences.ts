import { z } from 'zod';
import type { RiskLevel } from './risk.js';

/** A console user's own alert preferences: which risk levels of new threats are mailed to which address. */
export const notificationPreferencesSchema = z.strictObject({
  email: z.email(),
  levels: z.strictObject({
    low: z.boolean(),
    medium: z.boolean(),
    high: z.boolean(),
  }),
});
export type NotificationPreferences = z.output<typeof notificationPreferencesSchema>;

/** Preferences for a user who has not chosen any: their address, every level off. */
export function defaultNotificationPreferences(email: string): NotificationPreferences {
  return { email, levels: { low: false, medium: false, high: false } };
}

/** Whether a threat at `level` should be mailed to this user; never for `none`. */
export function wantsAlert(prefs: NotificationPreferences, level: RiskLevel): boolean {
  return level === 'none' ? false : prefs.levels[level];
}

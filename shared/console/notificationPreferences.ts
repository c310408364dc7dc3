/**
 * A console user's own alert preferences (`notificationPreferences`, RowKey = the user's object id). Alerts go to the
 * user's own address as Entra ID knows it (the token's `email` or `preferred_username`, else Graph's `mail`), never
 * to an address the user types: a PUT may omit `email`, and one naming another address is refused with 400. Until
 * the user saves some: every level off.
 */
import { z } from 'zod';
import { toGraphError } from '../graph/graphError.js';
import { HttpError } from '../http/problem.js';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { defaultNotificationPreferences } from '../domain/index.js';
import type { NotificationPreferences } from '../domain/index.js';
import type { EventRecorder } from '../events/event.js';
import type { CorePorts } from '../ports.js';
import { readEntity } from '../storage/index.js';

/** Reading a user's preferences (and their own address, from Graph when the token has none). */
export type PreferencesReadDeps = Pick<CorePorts, 'tables' | 'log' | 'graph'>;
/** Saving them, audited (`events` records the audit entry's event). */
export type PreferencesWriteDeps = PreferencesReadDeps & Pick<CorePorts, 'clock'> & { readonly events: EventRecorder };

const preferencesRowSchema = z.looseObject({
  email: z.string(),
  low: z.boolean(),
  medium: z.boolean(),
  high: z.boolean(),
});

/** A PUT body: the levels, and optionally the caller's own address (any other is refused). */
export const notificationPreferencesPutSchema = z.strictObject({
  email: z.email().optional().describe("Optional; if given, it must be the caller's own address as Entra ID knows it."),
  levels: z.strictObject({ low: z.boolean(), medium: z.boolean(), high: z.boolean() }),
});
export type NotificationPreferencesPut = z.output<typeof notificationPreferencesPutSchema>;

const userMailSchema = z.object({ mail: z.string().nullable().optional() });
const address = z.email();

/** The caller's own address: the token's `email` or `preferred_username`, else Graph's `mail` for the user. */
export async function ownAddress(services: Pick<CorePorts, 'log' | 'graph'>, principal: ConsolePrincipal): Promise<string> {
  if (principal.email) return principal.email;
  let raw: unknown;
  try {
    raw = await services.graph.graph(principal.tenantId).api(`/users/${encodeURIComponent(principal.userId)}`).select('mail').get();
  } catch (caught) {
    const error = toGraphError(caught);
    services.log.warn(`Reading the mail address of a console user of tenant ${principal.tenantId} failed: ${error.code}`);
    throw new HttpError(503, 'Your email address cannot be read from Entra ID right now; please retry shortly.', {
      headers: { 'retry-after': String(error.retryAfterSeconds ?? 5) },
    });
  }
  const parsed = userMailSchema.safeParse(raw);
  const mail = parsed.success ? parsed.data.mail : undefined;
  if (!mail || !address.safeParse(mail).success) {
    throw new HttpError(409, 'Your account has no email address in Entra ID, so alerts cannot be mailed to you. Ask your administrator to set one.');
  }
  return mail;
}

export async function getNotificationPreferences(services: PreferencesReadDeps, principal: ConsolePrincipal): Promise<NotificationPreferences> {
  const [row, email] = await Promise.all([
    readEntity(services.tables.table('notificationPreferences'), preferencesRowSchema, principal.tenantId, principal.userId),
    ownAddress(services, principal),
  ]);
  if (!row) return defaultNotificationPreferences(email);
  return { email, levels: { low: row.low, medium: row.medium, high: row.high } };
}

/** Replaces the caller's preferences (already validated), audited; returns them. 400 for another address. */
export async function putNotificationPreferences(
  services: PreferencesWriteDeps,
  principal: ConsolePrincipal,
  body: NotificationPreferencesPut,
): Promise<NotificationPreferences> {
  const email = await ownAddress(services, principal);
  if (body.email !== undefined && body.email.toLowerCase() !== email.toLowerCase()) {
    throw new HttpError(400, 'Alerts go only to your own address as Entra ID knows it; leave out email or send your own.', {
      errors: [{ path: 'email', message: 'must be your own address' }],
    });
  }
  const preferences: NotificationPreferences = { email, levels: body.levels };
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

/**
 * Threat alerts by mail, one tenant per call (the mail timer). Reads the pending alerts (`a|...` rows of
 * `notifications`), the admins' own notification preferences and their quiet periods, and sends:
 * - per admin and device, one mail for the alerts whose level the admin turned on (level `none` never);
 * - nothing for a device the admin was mailed about within the quiet period (`q|{userId}|{deviceId}` rows);
 * - one summary instead when an admin would get more than `summaryThreshold` device mails in one run.
 *
 * Delivery is at least once, never lost: a pending row is removed only after every admin who wants it was mailed
 * (or the mail was refused for good). The quiet row is written right after each successful send, so a run that
 * stops between a send and the removal does not mail again (the quiet period covers it); an admin already mailed is
 * recorded on a row that must stay for another admin (`mailedTo`). Only a crash between SendGrid accepting a mail
 * and the quiet row's write repeats that one mail, once. A refused mail (4xx other than 429, 401, 403) is logged and
 * not retried; SendGrid unavailable (429, 5xx, 401/403, no answer) leaves the rows for the next run.
 *
 * Alerts go only to console users still in the tenant's full or restricted group when the mail is sent: with
 * `membership`, the users about to be mailed are checked through Graph (one `$batch` per 20 users); those no longer
 * in either group are skipped and their preferences removed. When membership cannot be checked, nothing is sent and
 * the alerts wait for the next run.
 */
import { z } from 'zod';
import type { ConsoleGroups, MembershipCheck } from '../auth/membership.js';
import type { Clock } from '../base/clock.js';
import { notificationPreferencesSchema, wantsAlert, type NotificationPreferences } from '../domain/index.js';
import { toError } from '../base/errors.js';
import { pendingAlertSchema, type PendingAlert } from '../alerts/pendingAlerts.js';
import type { Logger } from '../base/logger.js';
import { anyEntity, listAll, odata, submitInBatches, type TableStore, type TransactionAction } from '../storage/index.js';
import { isTemporary, type MailSender } from '../sendgrid/sendgrid.js';
import { alertMail, summaryMail, type MailContent } from './templates.js';

/** At most one mail per admin per device in this period. */
export const quietPeriodMs = 30 * 60_000;
/** More device mails than this for one admin in one run: one summary instead. */
export const summaryThreshold = 10;
/** Devices a summary lists by name. */
export const summaryListed = 20;
/** Pending alerts handled per tenant per run; the rest wait for the next run. */
export const maxAlertsPerRun = 5_000;

export interface AlertDeps {
  readonly tables: TableStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly mail: MailSender;
  /** PUBLIC_BASE_URL: links to the console. */
  readonly publicBaseUrl: string;
  /** Who is still a console user (Graph); without it every admin with preferences is mailed. */
  readonly membership?: MembershipCheck;
}

export interface Admin {
  readonly userId: string;
  readonly prefs: NotificationPreferences;
}

/** A pending alert as stored, with the admins already mailed about it (JSON array of user ids). */
export interface StoredAlert extends PendingAlert {
  readonly rowKey: string;
  readonly mailedTo: readonly string[];
}

const storedAlertSchema = pendingAlertSchema.extend({ mailedTo: z.string().optional() });

/** A `notificationPreferences` row (RowKey = user id): `email`, `low`, `medium`, `high`. */
const preferencesRowSchema = z.object({
  rowKey: z.string(),
  email: z.string(),
  low: z.boolean().default(false),
  medium: z.boolean().default(false),
  high: z.boolean().default(false),
});

const quietRowSchema = z.object({ rowKey: z.string(), mailedAt: z.string() });

const userIdList = z.array(z.string());

function parseUserIds(text: string | undefined): string[] {
  if (!text) return [];
  try {
    const parsed = userIdList.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

function rowKeyRange(prefix: string): string {
  // `|` is followed by `}` in code point order: [prefix, prefix with its last `|` as `}`) spans the prefix.
  return `${prefix.slice(0, -1)}}`;
}

export function quietRowKey(userId: string, deviceId: string): string {
  return `q|${userId}|${deviceId}`;
}

/** Every admin of the tenant with stored preferences (rows that do not parse are skipped with a warning). */
export async function readAdmins(tables: TableStore, tenantId: string, log: Logger): Promise<Admin[]> {
  const admins: Admin[] = [];
  for await (const raw of listAll(tables.table('notificationPreferences'), { schema: anyEntity, filter: odata`PartitionKey eq ${tenantId}` })) {
    const row = preferencesRowSchema.safeParse(raw);
    const prefs = row.success
      ? notificationPreferencesSchema.safeParse({ email: row.data.email, levels: { low: row.data.low, medium: row.data.medium, high: row.data.high } })
      : undefined;
    if (!row.success || !prefs?.success) {
      log.warn(`Notification preferences ${String(raw.rowKey)} of tenant ${tenantId} do not parse; skipped.`);
      continue;
    }
    admins.push({ userId: row.data.rowKey, prefs: prefs.data });
  }
  return admins;
}

/** The oldest pending alerts (at most `limit`), and the row keys of rows that are not alerts any more (to remove). */
export async function readPendingAlerts(
  tables: TableStore,
  tenantId: string,
  limit: number,
): Promise<{ alerts: StoredAlert[]; unreadable: string[] }> {
  const alerts: StoredAlert[] = [];
  const unreadable: string[] = [];
  const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${'a|'} and RowKey lt ${rowKeyRange('a|')}`;
  for await (const raw of listAll(tables.table('notifications'), { schema: anyEntity, filter })) {
    const parsed = storedAlertSchema.safeParse(raw);
    if (!parsed.success) {
      unreadable.push(raw.rowKey);
      continue;
    }
    const { mailedTo, ...alert } = parsed.data;
    alerts.push({ ...alert, rowKey: raw.rowKey, mailedTo: parseUserIds(mailedTo) });
    if (alerts.length >= limit) break;
  }
  return { alerts, unreadable };
}

/** When each device was last mailed to this admin, within the quiet period; expired rows are returned for removal. */
async function readQuietPeriods(
  tables: TableStore,
  tenantId: string,
  userId: string,
  now: Date,
): Promise<{ quiet: Map<string, number>; expired: string[] }> {
  const prefix = `q|${userId}|`;
  const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${prefix} and RowKey lt ${rowKeyRange(prefix)}`;
  const quiet = new Map<string, number>();
  const expired: string[] = [];
  for await (const raw of listAll(tables.table('notifications'), { schema: anyEntity, filter, select: ['mailedAt'] })) {
    const row = quietRowSchema.safeParse(raw);
    const mailedAt = row.success ? Date.parse(row.data.mailedAt) : Number.NaN;
    if (Number.isNaN(mailedAt) || now.getTime() - mailedAt >= quietPeriodMs) expired.push(raw.rowKey);
    else quiet.set(raw.rowKey.slice(prefix.length), mailedAt);
  }
  return { quiet, expired };
}

export interface PlannedMail {
  readonly kind: 'alert' | 'summary';
  /** The alerts this mail stands for. */
  readonly alerts: readonly StoredAlert[];
  /** Devices it covers (their quiet period starts when it is sent). */
  readonly deviceIds: readonly string[];
}

export interface AdminPlan {
  readonly admin: Admin;
  readonly mails: readonly PlannedMail[];
  /** Alerts this admin wants but is not mailed about: the device is in its quiet period. */
  readonly suppressed: readonly StoredAlert[];
}

/**
 * What to send to one admin: the alerts at levels they turned on and not already mailed to them, less the devices in
 * their quiet period, one mail per device; more than `summaryThreshold` devices make one summary.
 */
export function planForAdmin(admin: Admin, alerts: readonly StoredAlert[], quiet: ReadonlyMap<string, number>, now: Date): AdminPlan {
  const wanted = alerts.filter((alert) => wantsAlert(admin.prefs, alert.riskLevel) && !alert.mailedTo.includes(admin.userId));
  const suppressed: StoredAlert[] = [];
  const byDevice = new Map<string, StoredAlert[]>();
  for (const alert of wanted) {
    const mailedAt = quiet.get(alert.deviceId);
    if (mailedAt !== undefined && now.getTime() - mailedAt < quietPeriodMs) {
      suppressed.push(alert);
      continue;
    }
    const list = byDevice.get(alert.deviceId);
    if (list) list.push(alert);
    else byDevice.set(alert.deviceId, [alert]);
  }
  if (byDevice.size > summaryThreshold) {
    const covered = [...byDevice.values()].flat();
    return { admin, suppressed, mails: [{ kind: 'summary', alerts: covered, deviceIds: [...byDevice.keys()] }] };
  }
  const mails = [...byDevice.entries()].map(([deviceId, list]): PlannedMail => ({ kind: 'alert', alerts: list, deviceIds: [deviceId] }));
  return { admin, suppressed, mails };
}

export interface AlertRunResult {
  readonly pending: number;
  readonly alertMails: number;
  readonly summaries: number;
  readonly suppressed: number;
  /** Pending rows removed (handled for every admin). */
  readonly removed: number;
  /** Pending rows left for the next run (a send failed). */
  readonly kept: number;
}

/** The admins still in a console group; the preferences of those who left are removed. */
async function stillConsoleUsers(
  deps: AlertDeps,
  tenant: { tenantId: string; groups?: ConsoleGroups },
  admins: readonly Admin[],
): Promise<Admin[]> {
  if (!deps.membership || !tenant.groups || admins.length === 0) return [...admins];
  const members = await deps.membership(tenant.tenantId, tenant.groups, admins.map((admin) => admin.userId));
  const left = admins.filter((admin) => !members.has(admin.userId));
  if (left.length > 0) {
    deps.log.info(`${left.length} alert recipients of tenant ${tenant.tenantId} left the console groups; their preferences are removed.`);
    await submitInBatches(
      deps.tables.table('notificationPreferences'),
      left.map((admin): TransactionAction => ['delete', { partitionKey: tenant.tenantId, rowKey: admin.userId }]),
    );
  }
  return admins.filter((admin) => members.has(admin.userId));
}

/** Sends the tenant's pending threat alerts. Throws only when storage fails; mail failures leave rows to retry. */
export async function sendThreatAlerts(
  deps: AlertDeps,
  tenant: { tenantId: string; displayName: string; groups?: ConsoleGroups },
): Promise<AlertRunResult> {
  const { tables, log } = deps;
  const { tenantId } = tenant;
  const now = deps.clock.now();
  const notifications = tables.table('notifications');
  const { alerts, unreadable } = await readPendingAlerts(tables, tenantId, maxAlertsPerRun);
  if (unreadable.length > 0) {
    log.warn(`${unreadable.length} pending alerts of tenant ${tenantId} do not parse; removed.`);
    await submitInBatches(notifications, unreadable.map((rowKey): TransactionAction => ['delete', { partitionKey: tenantId, rowKey }]));
  }
  const empty = { pending: 0, alertMails: 0, summaries: 0, suppressed: 0, removed: 0, kept: 0 };
  if (alerts.length === 0) return empty;

  const wanting = (await readAdmins(tables, tenantId, log)).filter((admin) =>
    alerts.some((alert) => wantsAlert(admin.prefs, alert.riskLevel) && !alert.mailedTo.includes(admin.userId)),
  );
  const admins = await stillConsoleUsers(deps, tenant, wanting);
  /** Admins mailed about each alert in this run, by alert row key. */
  const mailedNow = new Map<string, Set<string>>();
  const failed = new Set<string>();
  let alertMails = 0;
  let summaries = 0;
  let suppressedCount = 0;
  let unavailable = false;

  for (const admin of admins) {
    const { quiet, expired } = await readQuietPeriods(tables, tenantId, admin.userId, now);
    if (expired.length > 0) {
      await submitInBatches(notifications, expired.map((rowKey): TransactionAction => ['delete', { partitionKey: tenantId, rowKey }])).catch(
        (caught: unknown) => log.warn(`Expired quiet periods of tenant ${tenantId} not removed: ${toError(caught).message}`),
      );
    }
    const plan = planForAdmin(admin, alerts, quiet, now);
    suppressedCount += plan.suppressed.length;
    for (const mail of plan.mails) {
      if (unavailable) {
        for (const alert of mail.alerts) failed.add(alert.rowKey);
        continue;
      }
      const content: MailContent =
        mail.kind === 'summary'
          ? summaryMail({ tenantName: tenant.displayName, alerts: mail.alerts, publicBaseUrl: deps.publicBaseUrl, listed: summaryListed })
          : alertMail({ tenantName: tenant.displayName, alerts: mail.alerts, publicBaseUrl: deps.publicBaseUrl, quietMinutes: quietPeriodMs / 60_000 });
      try {
        await deps.mail.send({ to: [admin.prefs.email], ...content });
      } catch (caught) {
        if (isTemporary(caught)) {
          unavailable = true;
          for (const alert of mail.alerts) failed.add(alert.rowKey);
          log.warn(`Alert mail to admin ${admin.userId} of tenant ${tenantId} not sent: ${toError(caught).message}; retried next run.`);
        } else {
          log.error(`Alert mail to admin ${admin.userId} of tenant ${tenantId} refused: ${toError(caught).message}; dropped.`);
        }
        continue;
      }
      if (mail.kind === 'summary') summaries += 1;
      else alertMails += 1;
      for (const alert of mail.alerts) {
        const set = mailedNow.get(alert.rowKey) ?? new Set<string>();
        set.add(admin.userId);
        mailedNow.set(alert.rowKey, set);
      }
      const mailedAt = deps.clock.now().toISOString();
      await submitInBatches(
        notifications,
        mail.deviceIds.map((deviceId): TransactionAction => [
          'upsert',
          { partitionKey: tenantId, rowKey: quietRowKey(admin.userId, deviceId), userId: admin.userId, deviceId, mailedAt },
          'Replace',
        ]),
      );
    }
    if (unavailable) break;
  }
  if (unavailable) {
    // Admins not reached in this run: every alert they want stays.
    for (const alert of alerts) {
      const pendingFor = admins.some(
        (admin) => wantsAlert(admin.prefs, alert.riskLevel) && !alert.mailedTo.includes(admin.userId) && !mailedNow.get(alert.rowKey)?.has(admin.userId),
      );
      if (pendingFor) failed.add(alert.rowKey);
    }
  }

  const removals: TransactionAction[] = [];
  const progress: TransactionAction[] = [];
  for (const alert of alerts) {
    if (!failed.has(alert.rowKey)) {
      removals.push(['delete', { partitionKey: tenantId, rowKey: alert.rowKey }]);
      continue;
    }
    const mailed = mailedNow.get(alert.rowKey);
    if (mailed && mailed.size > 0) {
      const mailedTo = JSON.stringify([...new Set([...alert.mailedTo, ...mailed])]);
      progress.push(['update', { partitionKey: tenantId, rowKey: alert.rowKey, mailedTo }, 'Merge']);
    }
  }
  await submitInBatches(notifications, progress);
  await submitInBatches(notifications, removals);
  return {
    pending: alerts.length,
    alertMails,
    summaries,
    suppressed: suppressedCount,
    removed: removals.length,
    kept: alerts.length - removals.length,
  };
}

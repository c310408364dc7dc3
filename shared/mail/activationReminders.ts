/**
 * Activation reminders (`activationReminderDays`, the tenant's `activation-reminders` job, once a day): a user whose
 * device has been pending that many days gets a mail with the agent's install link (`agentInstallUrl`) and how to
 * activate, again every `activationReminderDays` while it stays pending, at most 3 times per device.
 *
 * No scan of the tenant's devices: every pending device has an activation-wait row beside its row
 * (`~w|{13-digit ms it became pending}|{deviceId}`, written with the device's counters, shared/devices/deviceCounters.ts),
 * so a run reads, per device partition, the RowKey range of the devices pending longer than the interval that have
 * had fewer than 3 reminders. The row carries the count (`sent`, `lastSentAt`): a reminder is claimed by raising it
 * under the row's ETag before the mail goes out, so a redelivered job message, or two runs, never mail twice (a mail
 * that then fails gives the claim back). A device that activates or is deactivated loses its row with that write, so
 * it gets no more reminders; one that becomes pending again starts over.
 */
import { z } from 'zod';
import { statusOf, toError } from '../base/errors.js';
import { mapLimit } from '../base/mapLimit.js';
import { credentialedDeviceBuckets, type Device } from '../devices/device.js';
import { activationWaitKey, activationWaitPrefix } from '../devices/deviceCounters.js';
import { readDevice } from '../devices/deviceRepository.js';
import { indexTime } from '../devices/deviceIndex.js';
import type { CorePorts } from '../ports.js';
import { MailSendError, type MailSender } from '../sendgrid/sendgrid.js';
import { odata } from '../storage/index.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { escapeHtml, oneLine, type MailContent } from './templates.js';

/** Reminders per device, at most. */
export const maxActivationReminders = 3;
const dayMs = 86_400_000;

export type ActivationReminderDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'graph'> & { readonly mail: MailSender };

export interface ActivationReminderRun {
  /** False when the tenant has reminders off (the job then parks until they are turned on). */
  readonly enabled: boolean;
  readonly sent: number;
  /** Wait rows read (the devices pending longer than the interval with reminders left). */
  readonly examined: number;
  /** Reminders that came due but were not sent (no address, SendGrid trouble): tried again next run. */
  readonly failed: number;
}

const waitRowSchema = z.object({
  rowKey: z.string(),
  etag: z.string(),
  deviceId: z.string(),
  sent: z.number().int().default(0),
  lastSentAt: z.string().optional(),
});
type WaitRow = z.infer<typeof waitRowSchema> & { partitionKey: string };

/** When the device's next reminder is due: `n × days` after its wait began, and `days` after the last one. */
export function nextReminderDueMs(pendingSinceMs: number, sent: number, days: number, lastSentAt?: string): number {
  const byAge = pendingSinceMs + (sent + 1) * days * dayMs;
  const last = lastSentAt ? Date.parse(lastSentAt) : Number.NaN;
  return Number.isNaN(last) ? byAge : Math.max(byAge, last + days * dayMs);
}

function pendingSinceOf(rowKey: string): number {
  return Number(rowKey.slice(activationWaitPrefix.length, activationWaitPrefix.length + 13));
}

const userSchema = z.object({ mail: z.string().nullish(), userPrincipalName: z.string().nullish() });

/** The user's `mail`, else their user principal name (Graph), else the one discovery recorded on the device. */
async function addressOf(deps: ActivationReminderDeps, device: Device): Promise<string | undefined> {
  try {
    const raw: unknown = await deps.graph.graph(device.tenantId).api(`/users/${encodeURIComponent(device.userId)}`).select('mail,userPrincipalName').get();
    const user = userSchema.safeParse(raw);
    if (user.success) {
      const address = user.data.mail?.trim() || user.data.userPrincipalName?.trim();
      if (address) return address;
    }
  } catch (caught) {
    // A user gone from the directory has no mailbox either; anything else is tried again next run.
    if (statusOf(caught) === 404) return undefined;
    throw caught;
  }
  return device.userPrincipalName.trim() || undefined;
}

export interface ReminderMailInput {
  readonly tenantName: string;
  readonly deviceName: string;
  readonly platform: Device['platform'];
  readonly pendingDays: number;
  readonly installUrl: string | null;
  /** 1 to 3. */
  readonly number: number;
}

/** The reminder: plain words, the install link, the three steps. Device and tenant names are data, escaped. */
export function activationReminderMail(input: ReminderMailInput): MailContent {
  const device = input.deviceName.trim() || (input.platform === 'ios' ? 'your iPhone' : 'your Android phone');
  const store = input.platform === 'ios' ? 'the App Store' : 'Google Play';
  const install = input.installUrl ? `Install the app: ${input.installUrl}` : `Install the app from ${store} (your IT department's mobile security app).`;
  const steps = [
    install,
    'Open it and sign in with your work account.',
    'Allow what it asks for; it activates itself and checks the phone.',
  ];
  const last = input.number >= maxActivationReminders ? ' This is the last reminder.' : '';
  const subject = oneLine(`Action needed: activate mobile security on ${device}`, 120);
  const intro =
    `${input.tenantName} protects work data on phones with a mobile security app. ${device} has been waiting ` +
    `${input.pendingDays} ${input.pendingDays === 1 ? 'day' : 'days'} for it to be activated; until then it may lose access to work email and apps.`;
  const text = [intro, '', ...steps.map((step, index) => `${index + 1}. ${step}`), '', `Questions? Contact your IT help desk.${last}`].join('\n');
  const link = input.installUrl ? `<a href="${escapeHtml(input.installUrl)}">${escapeHtml(input.installUrl)}</a>` : escapeHtml(`from ${store}`);
  const html = [
    `<p>${escapeHtml(intro)}</p>`,
    '<ol>',
    `<li>Install the app: ${link}</li>`,
    ...steps.slice(1).map((step) => `<li>${escapeHtml(step)}</li>`),
    '</ol>',
    `<p>Questions? Contact your IT help desk.${escapeHtml(last)}</p>`,
  ].join('\n');
  return { subject, text, html };
}

/** Raises the row's count under its ETag; false when another run got there first (or the row is gone). */
async function claim(deps: ActivationReminderDeps, row: WaitRow, at: string): Promise<string | undefined> {
  try {
    const result = await deps.tables
      .table('devices')
      .updateEntity({ partitionKey: row.partitionKey, rowKey: row.rowKey, sent: row.sent + 1, lastSentAt: at }, 'Merge', { etag: row.etag });
    return result.etag ?? '';
  } catch (caught) {
    const status = statusOf(caught);
    if (status === 412 || status === 404) return undefined;
    throw caught;
  }
}

/** Gives a claim back after the mail failed (best effort: a lost give-back costs one reminder, never a duplicate). */
async function unclaim(deps: ActivationReminderDeps, row: WaitRow, etag: string): Promise<void> {
  await deps.tables
    .table('devices')
    .updateEntity({ partitionKey: row.partitionKey, rowKey: row.rowKey, sent: row.sent, lastSentAt: row.lastSentAt ?? '' }, 'Merge', { etag })
    .catch(() => undefined);
}

/** One tenant's activation reminders (its `activation-reminders` job). */
export async function sendActivationReminders(deps: ActivationReminderDeps, tenant: { tenantId: string; displayName: string }): Promise<ActivationReminderRun> {
  const { tenantId } = tenant;
  const settings = await readConnectorSettings(deps.tables, tenantId);
  const days = settings.activationReminderDays;
  if (days <= 0) return { enabled: false, sent: 0, examined: 0, failed: 0 };
  const now = deps.clock.now();
  const upper = `${activationWaitPrefix}${indexTime(now.getTime() - days * dayMs + 1)}`;
  let examined = 0;
  let sent = 0;
  let failed = 0;
  let mailDown = false;
  await mapLimit(credentialedDeviceBuckets, 16, async (bucket) => {
    const partitionKey = `${tenantId}|${bucket}`;
    const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${activationWaitPrefix} and RowKey lt ${upper} and sent lt ${maxActivationReminders}`;
    for await (const raw of deps.tables.table('devices').listEntities({ queryOptions: { filter } })) {
      const parsed = waitRowSchema.safeParse(raw);
      if (!parsed.success) continue;
      examined += 1;
      const row: WaitRow = { ...parsed.data, partitionKey };
      if (row.sent >= maxActivationReminders) continue;
      const since = pendingSinceOf(row.rowKey);
      if (nextReminderDueMs(since, row.sent, days, row.lastSentAt) > now.getTime() || mailDown) {
        if (mailDown) failed += 1;
        continue;
      }
      const device = await readDevice(deps.tables, tenantId, row.deviceId);
      // The device row decides: only a device still waiting the same wait is reminded.
      if (!device || device.status !== 'pending' || activationWaitKey(device) !== row.rowKey) continue;
      let to: string | undefined;
      try {
        to = await addressOf(deps, device);
      } catch (caught) {
        failed += 1;
        deps.log.warn(`Activation reminder for device ${device.deviceId} of tenant ${tenantId}: the user's address could not be read (${toError(caught).message}); tried again next run.`);
        continue;
      }
      if (!to) {
        failed += 1;
        continue;
      }
      const claimed = await claim(deps, row, now.toISOString());
      if (claimed === undefined) continue;
      const content = activationReminderMail({
        tenantName: tenant.displayName,
        deviceName: device.deviceName,
        platform: device.platform,
        pendingDays: Math.floor((now.getTime() - since) / dayMs),
        installUrl: settings.agentInstallUrl,
        number: row.sent + 1,
      });
      try {
        await deps.mail.send({ to: [to], ...content });
        sent += 1;
      } catch (caught) {
        failed += 1;
        await unclaim(deps, row, claimed);
        if (caught instanceof MailSendError && caught.retryable) mailDown = true;
        deps.log.warn(`Activation reminder for device ${device.deviceId} of tenant ${tenantId} not mailed: ${toError(caught).message}; tried again next run.`);
      }
    }
  });
  return { enabled: true, sent, examined, failed };
}

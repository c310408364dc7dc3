import { z } from 'zod';

/** The Entra device extension attributes a tenant may choose for enforcement. */
export const entraAttributeNames = [
  'extensionAttribute1',
  'extensionAttribute2',
  'extensionAttribute3',
  'extensionAttribute4',
  'extensionAttribute5',
  'extensionAttribute6',
  'extensionAttribute7',
  'extensionAttribute8',
  'extensionAttribute9',
  'extensionAttribute10',
  'extensionAttribute11',
  'extensionAttribute12',
  'extensionAttribute13',
  'extensionAttribute14',
  'extensionAttribute15',
] as const;
export type EntraAttributeName = (typeof entraAttributeNames)[number];
export const entraAttributeNameSchema = z.enum(entraAttributeNames);

export const maxErrorReportRecipients = 10;

const heartbeatFrequencyMinutes = z.int().min(5).max(1440).describe('How often the agent checks in, in minutes.');
const enrollmentPollMinutes = z
  .int()
  .min(1)
  .max(1440)
  .describe('How often enrollment groups are polled for new or departed users, in minutes.');
const disconnectedAfterDays = z
  .int()
  .min(1)
  .max(90)
  .describe('Days without a check-in after which an active device becomes disconnected.');
const errorReportRecipients = z
  .array(z.email())
  .max(maxErrorReportRecipients)
  .superRefine((emails, ctx) => {
    const seen = new Set<string>();
    emails.forEach((email, index) => {
      const key = email.toLowerCase();
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: [index], message: `duplicate address: ${email}` });
      }
      seen.add(key);
    });
  })
  .describe(
    "Who receives connector error reports: at most 10 addresses, no duplicates, each in one of the organization's verified domains (Graph `/domains`; another address is refused with 400 naming it).",
  );
const stateSyncFields = {
  deviceStatus: z.boolean().describe('Send device status states (activated, unresponsive, deactivated, pending).'),
  threatStatus: z.boolean().describe('Send threat levels (secured, low, medium, high).'),
};
const enforcementFields = {
  intunePartner: z.boolean().describe("Write Intune's partnerReportedThreatState through the partner API."),
  entraDeviceAttribute: entraAttributeNameSchema
    .nullable()
    .describe('The Entra device extension attribute that receives the device state, or null for none.'),
};

const agentTrustFields = {
  keyBinding: z
    .enum(['optional', 'required'])
    .describe(
      '`required`: activation must bind a device key (DPoP) and credentials issued without one answer 401 on their next use; `optional`: devices may also activate without a key (bearer credential).',
    ),
  attestation: z
    .enum(['off', 'report', 'required'])
    .describe(
      "`off`: attestations are not checked; `report`: devices activate whatever the verdict and the service raises DEVICE_INTEGRITY_FAILED or DEVICE_INTEGRITY_UNVERIFIED; `required`: activation is refused (403) unless the platform's attestation is verified.",
    ),
};
export type KeyBindingPolicy = z.infer<typeof agentTrustFields.keyBinding>;
export type AttestationPolicy = z.infer<typeof agentTrustFields.attestation>;
const activationReminderDays = z
  .int()
  .min(0)
  .max(30)
  .describe('Days a device may stay pending before its user is reminded to activate the agent, and between reminders (at most 3 per device); 0 turns reminders off.');
const agentInstallUrl = z
  .url({ protocol: /^https$/ })
  .nullable()
  .describe('Where users install the agent (an https URL), given in activation reminders; null for none.');

const defaults = {
  heartbeatFrequencyMinutes: 60,
  enrollmentPollMinutes: 5,
  disconnectedAfterDays: 7,
  stateSync: { deviceStatus: true, threatStatus: true },
  errorReportRecipients: [] as string[],
  enforcement: { intunePartner: true, entraDeviceAttribute: null as EntraAttributeName | null },
  agentTrust: { keyBinding: 'optional' as KeyBindingPolicy, attestation: 'report' as AttestationPolicy },
  activationReminderDays: 0,
  agentInstallUrl: null as string | null,
};

/** A tenant's connector settings. Missing fields take their defaults; unknown fields are rejected. */
export const connectorSettingsSchema = z.strictObject({
  heartbeatFrequencyMinutes: heartbeatFrequencyMinutes.default(defaults.heartbeatFrequencyMinutes),
  enrollmentPollMinutes: enrollmentPollMinutes.default(defaults.enrollmentPollMinutes),
  disconnectedAfterDays: disconnectedAfterDays.default(defaults.disconnectedAfterDays),
  stateSync: z
    .strictObject({
      deviceStatus: stateSyncFields.deviceStatus.default(defaults.stateSync.deviceStatus),
      threatStatus: stateSyncFields.threatStatus.default(defaults.stateSync.threatStatus),
    })
    .prefault({}),
  errorReportRecipients: errorReportRecipients.default(() => [...defaults.errorReportRecipients]),
  enforcement: z
    .strictObject({
      intunePartner: enforcementFields.intunePartner.default(defaults.enforcement.intunePartner),
      entraDeviceAttribute: enforcementFields.entraDeviceAttribute.default(defaults.enforcement.entraDeviceAttribute),
    })
    .prefault({}),
  agentTrust: z
    .strictObject({
      keyBinding: agentTrustFields.keyBinding.default(defaults.agentTrust.keyBinding),
      attestation: agentTrustFields.attestation.default(defaults.agentTrust.attestation),
    })
    .prefault({}),
  activationReminderDays: activationReminderDays.default(defaults.activationReminderDays),
  agentInstallUrl: agentInstallUrl.default(defaults.agentInstallUrl),
});
export type ConnectorSettings = z.output<typeof connectorSettingsSchema>;

/** A PUT of connector settings: every field optional (nested ones too), unknown fields rejected, no defaults filled in. */
export const connectorSettingsUpdateSchema = z.strictObject({
  heartbeatFrequencyMinutes: heartbeatFrequencyMinutes.optional(),
  enrollmentPollMinutes: enrollmentPollMinutes.optional(),
  disconnectedAfterDays: disconnectedAfterDays.optional(),
  stateSync: z
    .strictObject({
      deviceStatus: stateSyncFields.deviceStatus.optional(),
      threatStatus: stateSyncFields.threatStatus.optional(),
    })
    .optional(),
  errorReportRecipients: errorReportRecipients.optional(),
  enforcement: z
    .strictObject({
      intunePartner: enforcementFields.intunePartner.optional(),
      entraDeviceAttribute: enforcementFields.entraDeviceAttribute.optional(),
    })
    .optional(),
  agentTrust: z
    .strictObject({
      keyBinding: agentTrustFields.keyBinding.optional(),
      attestation: agentTrustFields.attestation.optional(),
    })
    .optional(),
  activationReminderDays: activationReminderDays.optional(),
  agentInstallUrl: agentInstallUrl.optional(),
});
export type ConnectorSettingsUpdate = z.output<typeof connectorSettingsUpdateSchema>;

export const defaultConnectorSettings: Readonly<ConnectorSettings> = Object.freeze({
  heartbeatFrequencyMinutes: defaults.heartbeatFrequencyMinutes,
  enrollmentPollMinutes: defaults.enrollmentPollMinutes,
  disconnectedAfterDays: defaults.disconnectedAfterDays,
  stateSync: Object.freeze({ ...defaults.stateSync }),
  errorReportRecipients: Object.freeze([...defaults.errorReportRecipients]) as string[],
  enforcement: Object.freeze({ ...defaults.enforcement }),
  agentTrust: Object.freeze({ ...defaults.agentTrust }),
  activationReminderDays: defaults.activationReminderDays,
  agentInstallUrl: defaults.agentInstallUrl,
});

function pick<T>(update: T | undefined, current: T): T {
  return update === undefined ? current : update;
}

/** The settings after a partial update: fields given replace the current ones (nested objects field by field). */
export function applySettingsUpdate(current: ConnectorSettings, update: ConnectorSettingsUpdate): ConnectorSettings {
  return {
    heartbeatFrequencyMinutes: pick(update.heartbeatFrequencyMinutes, current.heartbeatFrequencyMinutes),
    enrollmentPollMinutes: pick(update.enrollmentPollMinutes, current.enrollmentPollMinutes),
    disconnectedAfterDays: pick(update.disconnectedAfterDays, current.disconnectedAfterDays),
    stateSync: {
      deviceStatus: pick(update.stateSync?.deviceStatus, current.stateSync.deviceStatus),
      threatStatus: pick(update.stateSync?.threatStatus, current.stateSync.threatStatus),
    },
    errorReportRecipients: [...pick(update.errorReportRecipients, current.errorReportRecipients)],
    enforcement: {
      intunePartner: pick(update.enforcement?.intunePartner, current.enforcement.intunePartner),
      entraDeviceAttribute: pick(update.enforcement?.entraDeviceAttribute, current.enforcement.entraDeviceAttribute),
    },
    agentTrust: {
      keyBinding: pick(update.agentTrust?.keyBinding, current.agentTrust.keyBinding),
      attestation: pick(update.agentTrust?.attestation, current.agentTrust.attestation),
    },
    activationReminderDays: pick(update.activationReminderDays, current.activationReminderDays),
    agentInstallUrl: pick(update.agentInstallUrl, current.agentInstallUrl),
  };
}

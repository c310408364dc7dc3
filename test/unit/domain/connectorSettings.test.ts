import { describe, expect, it } from 'vitest';
import {
  applySettingsUpdate,
  connectorSettingsSchema,
  connectorSettingsUpdateSchema,
  defaultConnectorSettings,
  entraAttributeNames,
} from '../../../shared/domain/connectorSettings.js';
import type { ConnectorSettings } from '../../../shared/domain/connectorSettings.js';
import type { z } from 'zod';

const defaults = {
  heartbeatFrequencyMinutes: 60,
  enrollmentPollMinutes: 5,
  disconnectedAfterDays: 7,
  stateSync: { deviceStatus: true, threatStatus: true },
  errorReportRecipients: [],
  enforcement: { intunePartner: true, entraDeviceAttribute: null },
  agentTrust: { keyBinding: 'optional', attestation: 'report' },
  activationReminderDays: 0,
  agentInstallUrl: null,
};

function issuePaths(input: unknown, schema: z.ZodType = connectorSettingsSchema): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => i.path.join('.'));
}

describe('connector settings defaults', () => {
  it('are the contract defaults', () => {
    expect(defaultConnectorSettings).toEqual(defaults);
    expect(connectorSettingsSchema.parse({})).toEqual(defaults);
  });

  it('fill in missing nested fields', () => {
    expect(connectorSettingsSchema.parse({ stateSync: { threatStatus: false }, enforcement: {} })).toEqual({
      ...defaults,
      stateSync: { deviceStatus: true, threatStatus: false },
    });
  });

  it('cannot be modified', () => {
    expect(Object.isFrozen(defaultConnectorSettings)).toBe(true);
    expect(Object.isFrozen(defaultConnectorSettings.stateSync)).toBe(true);
    expect(Object.isFrozen(defaultConnectorSettings.enforcement)).toBe(true);
    expect(Object.isFrozen(defaultConnectorSettings.errorReportRecipients)).toBe(true);
  });

  it('parse to fresh objects each time', () => {
    const a = connectorSettingsSchema.parse({});
    a.errorReportRecipients.push('x@example.com');
    a.stateSync.deviceStatus = false;
    expect(connectorSettingsSchema.parse({})).toEqual(defaults);
  });
});

describe('connector settings bounds', () => {
  it.each([
    ['heartbeatFrequencyMinutes', 5, 1440, 4, 1441],
    ['enrollmentPollMinutes', 1, 1440, 0, 1441],
    ['disconnectedAfterDays', 1, 90, 0, 91],
  ] as const)('%s accepts %i..%i and rejects %i and %i', (field, min, max, below, above) => {
    expect(connectorSettingsSchema.parse({ [field]: min })[field]).toBe(min);
    expect(connectorSettingsSchema.parse({ [field]: max })[field]).toBe(max);
    expect(issuePaths({ [field]: below })).toEqual([field]);
    expect(issuePaths({ [field]: above })).toEqual([field]);
    expect(issuePaths({ [field]: min + 0.5 })).toEqual([field]);
    expect(issuePaths({ [field]: String(min) })).toEqual([field]);
    expect(issuePaths({ [field]: null })).toEqual([field]);
    expect(issuePaths({ [field]: below }, connectorSettingsUpdateSchema)).toEqual([field]);
    expect(issuePaths({ [field]: above }, connectorSettingsUpdateSchema)).toEqual([field]);
  });

  it('accepts up to ten distinct recipient addresses', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `ops${i}@contoso.com`);
    expect(connectorSettingsSchema.parse({ errorReportRecipients: ten }).errorReportRecipients).toEqual(ten);
    expect(issuePaths({ errorReportRecipients: [...ten, 'ops10@contoso.com'] })).toEqual(['errorReportRecipients']);
  });

  it('rejects invalid and duplicate (case-insensitive) addresses', () => {
    expect(issuePaths({ errorReportRecipients: ['ops@contoso.com', 'not-an-email'] })).toEqual(['errorReportRecipients.1']);
    expect(issuePaths({ errorReportRecipients: ['ops@contoso.com', 'a@contoso.com', 'OPS@Contoso.com'] })).toEqual([
      'errorReportRecipients.2',
    ]);
    expect(issuePaths({ errorReportRecipients: ['OPS@Contoso.com', 'ops@contoso.com'] }, connectorSettingsUpdateSchema)).toEqual([
      'errorReportRecipients.1',
    ]);
  });

  it('accepts extensionAttribute1..15 or null for the Entra attribute, nothing else', () => {
    expect(entraAttributeNames).toHaveLength(15);
    expect(entraAttributeNames[0]).toBe('extensionAttribute1');
    expect(entraAttributeNames[14]).toBe('extensionAttribute15');
    for (const name of entraAttributeNames) {
      expect(connectorSettingsSchema.parse({ enforcement: { entraDeviceAttribute: name } }).enforcement.entraDeviceAttribute).toBe(name);
    }
    expect(connectorSettingsSchema.parse({ enforcement: { entraDeviceAttribute: null } }).enforcement.entraDeviceAttribute).toBeNull();
    for (const bad of ['extensionAttribute0', 'extensionAttribute16', 'ExtensionAttribute1', 'displayName', '']) {
      expect(issuePaths({ enforcement: { entraDeviceAttribute: bad } })).toEqual(['enforcement.entraDeviceAttribute']);
    }
  });

  it('requires booleans for the switches', () => {
    expect(issuePaths({ stateSync: { deviceStatus: 'false' } })).toEqual(['stateSync.deviceStatus']);
    expect(issuePaths({ enforcement: { intunePartner: 1 } })).toEqual(['enforcement.intunePartner']);
  });
});

describe('unknown fields', () => {
  it.each([
    [{ heartbeatMinutes: 60 }, ''],
    [{ stateSync: { deviceStatus: true, compliance: true } }, 'stateSync'],
    [{ enforcement: { entraDeviceAttribute: null, tenantId: 'x' } }, 'enforcement'],
  ])('are rejected: %j', (input, path) => {
    for (const schema of [connectorSettingsSchema, connectorSettingsUpdateSchema]) {
      const result = schema.safeParse(input);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => [i.code, i.path.join('.')])).toEqual([['unrecognized_keys', path]]);
    }
  });
});

describe('settings update', () => {
  const current: ConnectorSettings = {
    heartbeatFrequencyMinutes: 30,
    enrollmentPollMinutes: 10,
    disconnectedAfterDays: 14,
    stateSync: { deviceStatus: true, threatStatus: false },
    errorReportRecipients: ['ops@contoso.com'],
    enforcement: { intunePartner: true, entraDeviceAttribute: 'extensionAttribute4' },
    agentTrust: { keyBinding: 'optional', attestation: 'report' },
    activationReminderDays: 0,
    agentInstallUrl: null,
  };

  it('parses an empty update to nothing, without filling defaults', () => {
    expect(connectorSettingsUpdateSchema.parse({})).toEqual({});
    expect(connectorSettingsUpdateSchema.parse({ stateSync: {} })).toEqual({ stateSync: {} });
    expect(applySettingsUpdate(current, {})).toEqual(current);
  });

  it('replaces only the fields given, nested objects field by field', () => {
    const update = connectorSettingsUpdateSchema.parse({
      heartbeatFrequencyMinutes: 120,
      stateSync: { deviceStatus: false },
      enforcement: { entraDeviceAttribute: null },
    });
    expect(applySettingsUpdate(current, update)).toEqual({
      heartbeatFrequencyMinutes: 120,
      enrollmentPollMinutes: 10,
      disconnectedAfterDays: 14,
      stateSync: { deviceStatus: false, threatStatus: false },
      errorReportRecipients: ['ops@contoso.com'],
      enforcement: { intunePartner: true, entraDeviceAttribute: null },
      agentTrust: { keyBinding: 'optional', attestation: 'report' },
      activationReminderDays: 0,
      agentInstallUrl: null,
    });
  });

  it('take the agent trust policy and reminder settings field by field', () => {
    const update = connectorSettingsUpdateSchema.parse({
      agentTrust: { attestation: 'required' },
      activationReminderDays: 3,
      agentInstallUrl: 'https://apps.contoso.com/mtd',
    });
    const next = applySettingsUpdate(current, update);
    expect(next.agentTrust).toEqual({ keyBinding: 'optional', attestation: 'required' });
    expect(next.activationReminderDays).toBe(3);
    expect(next.agentInstallUrl).toBe('https://apps.contoso.com/mtd');
    expect(issuePaths({ agentInstallUrl: 'http://apps.contoso.com/mtd' })).toEqual(['agentInstallUrl']);
    expect(issuePaths({ activationReminderDays: 31 })).toEqual(['activationReminderDays']);
    expect(issuePaths({ agentTrust: { keyBinding: 'always' } })).toEqual(['agentTrust.keyBinding']);
  });

  it('replaces the recipient list as a whole', () => {
    const update = connectorSettingsUpdateSchema.parse({ errorReportRecipients: ['a@contoso.com', 'b@contoso.com'] });
    expect(applySettingsUpdate(current, update).errorReportRecipients).toEqual(['a@contoso.com', 'b@contoso.com']);
    expect(applySettingsUpdate(current, { errorReportRecipients: [] }).errorReportRecipients).toEqual([]);
  });

  it('does not modify the current settings or share their objects', () => {
    const before = structuredClone(current);
    const next = applySettingsUpdate(current, { enforcement: { intunePartner: false } });
    expect(current).toEqual(before);
    expect(next.enforcement).toEqual({ intunePartner: false, entraDeviceAttribute: 'extensionAttribute4' });
    next.errorReportRecipients.push('x@contoso.com');
    next.stateSync.threatStatus = true;
    expect(current).toEqual(before);
  });

  it('applies over the frozen defaults', () => {
    expect(applySettingsUpdate(defaultConnectorSettings, { disconnectedAfterDays: 1 })).toEqual({ ...defaults, disconnectedAfterDays: 1 });
  });
});

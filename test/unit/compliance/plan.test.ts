import { describe, expect, it } from 'vitest';
import { deviceSchema, type Device } from '../../../shared/devices/device.js';
import { defaultConnectorSettings, type ConnectorSettings } from '../../../shared/domain/index.js';
import { planPush, recordOutcome } from '../../../shared/compliance/plan.js';

const settings: ConnectorSettings = {
  ...structuredClone(defaultConnectorSettings),
  enforcement: { intunePartner: true, entraDeviceAttribute: 'extensionAttribute3' },
};

function device(fields: Partial<Device> = {}): Device {
  return deviceSchema.parse({
    tenantId: 't',
    deviceId: 'd',
    intuneDeviceId: 'd',
    azureAdDeviceId: 'aad',
    platform: 'ios',
    userId: 'u',
    status: 'active',
    statusChangedAt: '2026-01-01T00:00:00Z',
    discoveredAt: '2026-01-01T00:00:00Z',
    hasReport: true,
    riskLevel: 'high',
    version: 4,
    syncPending: true,
    ...fields,
  });
}

describe('planning a push', () => {
  it('sends what each target does not hold yet, and nothing it already holds', () => {
    expect(planPush(device(), settings)).toEqual({
      version: 4,
      intune: { kind: 'send', value: 'highSeverity' },
      entra: { kind: 'send', attribute: 'extensionAttribute3', value: 'high' },
    });
    const told = device({ intuneState: 'highSeverity', entraAttribute: 'extensionAttribute3', entraValue: 'high' });
    expect(planPush(told, settings)).toEqual({ version: 4, intune: { kind: 'none' }, entra: { kind: 'none' } });
  });

  it('clears the attribute used before when the tenant moves to another one', () => {
    const moved = device({ intuneState: 'highSeverity', entraAttribute: 'extensionAttribute1', entraValue: 'high' });
    expect(planPush(moved, settings).entra).toEqual({ kind: 'send', attribute: 'extensionAttribute3', value: 'high', clear: 'extensionAttribute1' });
  });

  it('does not write to Intune again once the device is gone there', () => {
    expect(planPush(device({ intuneResult: 'device-gone' }), settings).intune).toEqual({ kind: 'none' });
  });
});

describe('recording an outcome', () => {
  const at = '2026-03-01T10:00:00.000Z';

  it('records what was sent and clears syncPending once every target holds the current version', () => {
    const current = device();
    const { device: next, uncertain } = recordOutcome(
      current,
      { version: 4, intune: { kind: 'sent', value: 'highSeverity' }, entra: { kind: 'sent', value: 'high', attribute: 'extensionAttribute3' }, entraObjectId: 'obj' },
      settings,
      at,
    );
    expect(uncertain).toBe(false);
    expect(next).toMatchObject({
      intuneState: 'highSeverity',
      intuneVersion: 4,
      intuneAt: at,
      intuneResult: 'sent',
      entraValue: 'high',
      entraAttribute: 'extensionAttribute3',
      entraVersion: 4,
      entraObjectId: 'obj',
      syncPending: false,
    });
  });

  it('keeps syncPending when the row moved on to a version that needs another value', () => {
    const moved = device({ version: 5, riskLevel: 'low' });
    const { device: next } = recordOutcome(moved, { version: 4, intune: { kind: 'sent', value: 'highSeverity' }, entra: { kind: 'later' } }, settings, at);
    expect(next).toMatchObject({ intuneState: 'highSeverity', intuneVersion: 4, syncPending: true });
  });

  it('never overwrites a newer version\'s record, and forgets a value that may have been overtaken', () => {
    const newer = device({ version: 5, riskLevel: 'low', intuneState: 'lowSeverity', intuneVersion: 5, intuneResult: 'sent' });
    const { device: next, uncertain } = recordOutcome(newer, { version: 4, intune: { kind: 'sent', value: 'highSeverity' }, entra: { kind: 'none' } }, settings, at);
    expect(uncertain).toBe(true);
    expect(next?.intuneVersion).toBe(5);
    expect(next?.intuneState).toBeUndefined();
    expect(next?.syncPending).toBe(true);
  });

  it('writes nothing when nothing changes', () => {
    const settled = device({
      intuneState: 'highSeverity',
      intuneVersion: 4,
      intuneResult: 'sent',
      entraAttribute: 'extensionAttribute3',
      entraValue: 'high',
      entraVersion: 4,
      entraResult: 'sent',
      syncPending: false,
    });
    expect(recordOutcome(settled, { version: 4, intune: { kind: 'none' }, entra: { kind: 'none' } }, settings, at).device).toBeUndefined();
  });

  it('records a device gone from Intune as device-gone and settles it', () => {
    const { device: next } = recordOutcome(
      device({ entraAttribute: 'extensionAttribute3', entraValue: 'high' }),
      { version: 4, intune: { kind: 'gone' }, entra: { kind: 'none' } },
      settings,
      at,
    );
    expect(next).toMatchObject({ intuneResult: 'device-gone', intuneVersion: 4, syncPending: false });
  });
});

/**
 * The timeline rows a device-row change calls for (pure): a push recorded says the value told and the answer, an
 * activation and a silent rotation are recorded, events keep their feed ids, and a write that records nothing adds
 * no row.
 */
import { describe, expect, it } from 'vitest';
import { deviceSchema, type Device } from '../../../shared/devices/device.js';
import { deviceEvents } from '../../../shared/devices/deviceEvents.js';
import { deviceTimelineActions, timelinePrefix } from '../../../shared/devices/deviceTimeline.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const deviceId = 'ab111111-1111-4111-8111-111111111111';
const at = new Date('2026-03-01T10:00:00.000Z');

const base: Device = deviceSchema.parse({
  tenantId,
  deviceId,
  intuneDeviceId: deviceId,
  platform: 'ios',
  userId: 'u1',
  status: 'active',
  statusChangedAt: '2026-03-01T09:00:00.000Z',
  discoveredAt: '2026-03-01T09:00:00.000Z',
  activatedAt: '2026-03-01T09:00:00.000Z',
});

function rows(before: Device, after: Device): Record<string, unknown>[] {
  return deviceTimelineActions(before, after, at, deviceEvents(before, after, at)).map((action) => {
    expect(action[0]).toBe('create');
    return action[1];
  });
}

describe('device timeline rows', () => {
  it('record a push with the value told and the answer', () => {
    const after = { ...base, intuneState: 'highSeverity', intuneResult: 'sent' as const, intuneVersion: 3, intuneAt: at.toISOString() };
    const [row] = rows(base, after);
    expect(row).toMatchObject({ kind: 'push', summary: 'Told Intune "highSeverity": accepted', at: at.toISOString() });
    expect(JSON.parse(String(row?.data))).toEqual({ target: 'intune', value: 'highSeverity', result: 'sent', version: 3 });
    expect(String(row?.rowKey).startsWith(timelinePrefix(deviceId))).toBe(true);
  });

  it('record events with their feed ids, an activation and a credential rotation', () => {
    const pending = { ...base, status: 'pending' as const, activatedAt: undefined };
    const activated = rows(pending, { ...base, appVersion: '2.1' });
    expect(activated.map((row) => row.kind).sort()).toEqual(['activation', 'event']);
    expect(activated.find((row) => row.kind === 'event')).toMatchObject({ summary: 'Status changed from pending to active' });
    expect(String(activated.find((row) => row.kind === 'event')?.eventId)).toMatch(/^evt_/);
    const rotated = rows(base, { ...base, credentialRotationNonce: 'n1', credentialExpiresAt: '2026-06-01T10:00:00.000Z' });
    expect(rotated).toMatchObject([{ kind: 'credential-rotation', summary: 'Device credential renewed (valid until 2026-06-01T10:00:00.000Z)' }]);
  });

  it('add nothing for a write that records nothing (a check-in)', () => {
    expect(rows(base, { ...base, lastCheckInAt: at.toISOString() })).toEqual([]);
  });

  it('sort newest first', () => {
    const older = rows(base, { ...base, intuneState: 'secured', intuneResult: 'sent', intuneAt: '2026-03-01T09:00:00.000Z' })[0];
    const newer = rows(base, { ...base, intuneState: 'secured', intuneResult: 'sent', intuneAt: '2026-03-01T11:00:00.000Z' })[0];
    expect(String(newer?.rowKey) < String(older?.rowKey)).toBe(true);
  });
});

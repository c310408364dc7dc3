import { describe, expect, it } from 'vitest';
import { deviceSchema, type Device } from '../../../shared/devices/device.js';
import { deviceEventActions, deviceEvents } from '../../../shared/devices/deviceEvents.js';
import { eventIdTime, serviceEventSchema } from '../../../shared/events/event.js';
import { eventFromRow } from '../../../shared/events/outboxRow.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const at = new Date('2026-03-01T10:00:00.000Z');

function device(overrides: Partial<Device> = {}): Device {
  return deviceSchema.parse({
    tenantId,
    deviceId: 'ab12cd34-0000-4000-8000-000000000001',
    intuneDeviceId: 'ab12cd34-0000-4000-8000-000000000001',
    deviceName: 'Ann iPhone',
    platform: 'ios',
    userId: 'u1',
    userPrincipalName: 'ann@contoso.test',
    status: 'active',
    statusChangedAt: at.toISOString(),
    discoveredAt: at.toISOString(),
    riskLevel: 'none',
    ...overrides,
  });
}

describe('device events', () => {
  it('records a discovered device once, with its summary and itself as previous', () => {
    const after = device({ status: 'pending' });
    const events = deviceEvents(undefined, after, at);
    expect(events.map((e) => e.type)).toEqual(['device.discovered']);
    expect(events[0]).toMatchObject({
      tenantId,
      occurredAt: at.toISOString(),
      data: {
        device: { deviceId: after.deviceId, intuneDeviceId: after.intuneDeviceId, deviceName: 'Ann iPhone', userPrincipalName: 'ann@contoso.test', platform: 'ios', status: 'pending', riskLevel: 'none' },
        previous: { status: 'pending', riskLevel: 'none' },
      },
    });
  });

  it('records a status change and a risk change as two events with the previous state', () => {
    const events = deviceEvents(device({ status: 'active', riskLevel: 'low' }), device({ status: 'disconnected', riskLevel: 'high' }), at);
    expect(events.map((e) => e.type)).toEqual(['device.status_changed', 'device.risk_changed']);
    for (const event of events) {
      expect(event.data).toMatchObject({ previous: { status: 'active', riskLevel: 'low' }, device: { status: 'disconnected', riskLevel: 'high' } });
      expect(serviceEventSchema.safeParse(event).success).toBe(true);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it('records nothing for a write that changes neither status nor risk', () => {
    const before = device({ lastCheckInAt: '2026-03-01T09:00:00.000Z' });
    const after = device({ lastCheckInAt: '2026-03-01T10:00:00.000Z', appVersion: '2.0', version: 7 });
    expect(deviceEventActions(before, after, at)).toEqual([]);
  });

  it('writes outbox rows in the device partition that sort by time and hold the event', () => {
    const before = device({ riskLevel: 'none' });
    const after = device({ riskLevel: 'medium' });
    const actions = deviceEventActions(before, after, at);
    expect(actions).toHaveLength(1);
    const [kind, entity] = actions[0] ?? [];
    expect(kind).toBe('create');
    expect(entity?.partitionKey).toBe(`${tenantId}|ab`);
    expect(entity?.rowKey.startsWith('~e|evt_')).toBe(true);
    const event = entity ? eventFromRow(entity) : undefined;
    expect(event?.type).toBe('device.risk_changed');
    expect(eventIdTime(event?.id ?? '')).toBe(at.getTime());
    // Outbox rows sort after every device id, so device reads never see them.
    expect((entity?.rowKey ?? '') > 'ffffffff-ffff-ffff-ffff-ffffffffffff').toBe(true);
  });

  it('records an override starting, being replaced and ending, with who ended it', () => {
    const first = { overrideRiskLevel: 'none' as const, overrideReason: 'travel', overrideExpiresAt: '2026-03-02T10:00:00.000Z', overrideCreatedBy: 'Adele', overrideCreatedAt: '2026-03-01T10:00:00.000Z' };
    const started = deviceEvents(device({ riskLevel: 'high' }), device({ riskLevel: 'none', ...first }), at);
    expect(started.map((e) => e.type)).toEqual(['device.risk_changed', 'device.override_started']);
    expect(started[1]?.data).toEqual({
      device: expect.objectContaining({ riskLevel: 'none' }) as unknown,
      override: { riskLevel: 'none', reason: 'travel', expiresAt: '2026-03-02T10:00:00.000Z', createdBy: 'Adele' },
    });

    const second = { ...first, overrideRiskLevel: 'low' as const, overrideCreatedBy: 'Bob', overrideCreatedAt: '2026-03-01T11:00:00.000Z' };
    const replaced = deviceEvents(device({ riskLevel: 'none', ...first }), device({ riskLevel: 'low', ...second }), at);
    expect(replaced.map((e) => e.type)).toEqual(['device.risk_changed', 'device.override_ended', 'device.override_started']);
    expect(replaced[1]?.data).toMatchObject({ override: { createdBy: 'Adele' }, endedBy: 'Bob' });

    const expired = deviceEvents(device({ riskLevel: 'low', ...second }), device({ riskLevel: 'high', overrideEndedBy: 'expiry' }), at);
    expect(expired.map((e) => e.type)).toEqual(['device.risk_changed', 'device.override_ended']);
    expect(expired[1]?.data).toMatchObject({ override: { riskLevel: 'low', createdBy: 'Bob' }, endedBy: 'expiry' });
    for (const event of [...started, ...replaced, ...expired]) expect(serviceEventSchema.safeParse(event).success).toBe(true);

    // The same override on both sides records nothing more.
    expect(deviceEvents(device({ riskLevel: 'none', ...first }), device({ riskLevel: 'none', ...first, appVersion: '2.0' }), at)).toEqual([]);
  });
});

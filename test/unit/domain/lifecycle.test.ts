import { describe, expect, it } from 'vitest';
import {
  IllegalTransition,
  deviceEvents,
  deviceStatusSchema,
  deviceStatuses,
  transition,
} from '../../../shared/domain/lifecycle.js';
import type { DeviceEvent, DeviceStatus } from '../../../shared/domain/lifecycle.js';

/** Every status × event: the resulting status, or 'illegal'. */
const matrix: Record<DeviceStatus, Record<DeviceEvent, DeviceStatus | 'illegal'>> = {
  pending: {
    activate: 'active',
    checkIn: 'illegal',
    fallSilent: 'illegal',
    deactivate: 'deactivated',
    rediscover: 'pending',
  },
  active: {
    activate: 'active',
    checkIn: 'active',
    fallSilent: 'disconnected',
    deactivate: 'deactivated',
    rediscover: 'active',
  },
  disconnected: {
    activate: 'active',
    checkIn: 'active',
    fallSilent: 'disconnected',
    deactivate: 'deactivated',
    rediscover: 'disconnected',
  },
  deactivated: {
    activate: 'illegal',
    checkIn: 'illegal',
    fallSilent: 'illegal',
    deactivate: 'deactivated',
    rediscover: 'pending',
  },
};

const cases = deviceStatuses.flatMap((from) =>
  deviceEvents.map((event) => ({ from, event, expected: matrix[from][event] })),
);

describe('device lifecycle', () => {
  it('knows four statuses and five events', () => {
    expect(deviceStatuses).toEqual(['pending', 'active', 'disconnected', 'deactivated']);
    expect(deviceEvents).toEqual(['activate', 'checkIn', 'fallSilent', 'deactivate', 'rediscover']);
    expect(cases).toHaveLength(20);
    expect(deviceStatusSchema.safeParse('retired').success).toBe(false);
  });

  it.each(cases.filter((c) => c.expected !== 'illegal'))('$from --$event--> $expected', ({ from, event, expected }) => {
    expect(transition(from, event)).toEqual({ ok: true, status: expected, changed: expected !== from });
  });

  it.each(cases.filter((c) => c.expected === 'illegal'))('$from --$event--> illegal', ({ from, event }) => {
    const result = transition(from, event);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(IllegalTransition);
    expect(result.error).toBeInstanceOf(Error);
    expect(result.error.code).toBe('ERR_ILLEGAL_TRANSITION');
    expect(result.error.from).toBe(from);
    expect(result.error.event).toBe(event);
    expect(result.error.message).toBe(`a ${from} device cannot ${event}`);
  });

  it('reports unchanged transitions as not changed', () => {
    const unchanged = cases.filter((c) => c.expected === c.from).map((c) => `${c.from}:${c.event}`);
    expect(unchanged).toEqual([
      'pending:rediscover',
      'active:activate',
      'active:checkIn',
      'active:rediscover',
      'disconnected:fallSilent',
      'disconnected:rediscover',
      'deactivated:deactivate',
    ]);
    for (const key of unchanged) {
      const [from, event] = key.split(':') as [DeviceStatus, DeviceEvent];
      expect(transition(from, event)).toMatchObject({ ok: true, changed: false });
    }
  });
});

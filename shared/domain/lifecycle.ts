import { z } from 'zod';

export const deviceStatuses = ['pending', 'active', 'disconnected', 'deactivated'] as const;
export type DeviceStatus = (typeof deviceStatuses)[number];
export const deviceStatusSchema = z.enum(deviceStatuses);

export const deviceEvents = ['activate', 'checkIn', 'fallSilent', 'deactivate', 'rediscover'] as const;
/**
 * What can happen to a device:
 * - `activate`: the agent activated (or re-activated) on the device;
 * - `checkIn`: a heartbeat or threat report arrived;
 * - `fallSilent`: no check-in for `disconnectedAfterDays`;
 * - `deactivate`: the user left every enrollment group, the device left Intune, or an admin deactivated it;
 * - `rediscover`: discovery found the device (again) for an enrolled user.
 */
export type DeviceEvent = (typeof deviceEvents)[number];

export class IllegalTransition extends Error {
  readonly code = 'ERR_ILLEGAL_TRANSITION' as const;
  readonly from: DeviceStatus;
  readonly event: DeviceEvent;

  constructor(from: DeviceStatus, event: DeviceEvent) {
    super(`a ${from} device cannot ${event}`);
    this.name = 'IllegalTransition';
    this.from = from;
    this.event = event;
  }
}

export type TransitionResult =
  | { ok: true; status: DeviceStatus; changed: boolean }
  | { ok: false; error: IllegalTransition };

/** The status each event leads to from each status; a missing entry is an illegal transition. */
const rules: Readonly<Record<DeviceStatus, Partial<Record<DeviceEvent, DeviceStatus>>>> = {
  pending: { activate: 'active', deactivate: 'deactivated', rediscover: 'pending' },
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
  deactivated: { deactivate: 'deactivated', rediscover: 'pending' },
};

/** Applies an event to a device status. Never throws: an illegal transition is returned as an error value. */
export function transition(from: DeviceStatus, event: DeviceEvent): TransitionResult {
  const status = rules[from][event];
  if (status === undefined) return { ok: false, error: new IllegalTransition(from, event) };
  return { ok: true, status, changed: status !== from };
}

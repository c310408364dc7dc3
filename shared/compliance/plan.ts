/**
 * What a push must do for one device, and how its row records what was done. Pure: the queue function reads the
 * current row and the tenant's settings, asks `planPush`, sends, and applies `recordOutcome` with an ETag write.
 *
 * A target is "told" a value once that value was sent successfully (`intuneState` / `entraValue` hold the last
 * value each target accepted). A target already told its desired value is skipped, so duplicate and reordered
 * nudges cost nothing; the value is always computed from the current row, so an old nudge never regresses a target.
 */
import type { Device } from '../devices/device.js';
import {
  desiredTargets,
  type ConnectorSettings,
  type EntraAttributeName,
  type EntraAttributeValue,
  type IntuneThreatState,
} from '../domain/index.js';
import { enforcementInput } from '../devices/device.js';

export type IntuneStep =
  | { readonly kind: 'send'; readonly value: IntuneThreatState }
  /** Nothing to send: the target is off, the state is not synced, or Intune already holds the value. */
  | { readonly kind: 'none' };

export type EntraStep =
  | {
      readonly kind: 'send';
      readonly attribute: EntraAttributeName;
      readonly value: EntraAttributeValue;
      /** An attribute the tenant used before, cleared in the same write. */
      readonly clear?: string;
    }
  | { readonly kind: 'none' };

export interface PushPlan {
  readonly version: number;
  readonly intune: IntuneStep;
  readonly entra: EntraStep;
}

export function planPush(device: Device, settings: Pick<ConnectorSettings, 'stateSync' | 'enforcement'>): PushPlan {
  const desired = desiredTargets(enforcementInput(device), settings.stateSync, settings.enforcement);
  let intune: IntuneStep = { kind: 'none' };
  if (desired.intune !== null && device.intuneResult !== 'device-gone' && device.intuneState !== desired.intune) {
    intune = { kind: 'send', value: desired.intune };
  }
  let entra: EntraStep = { kind: 'none' };
  if (desired.entra !== null && device.entraResult !== 'device-gone') {
    const same = device.entraAttribute === desired.entra.attribute && device.entraValue === desired.entra.value;
    if (!same) {
      const clear =
        device.entraAttribute && device.entraAttribute !== desired.entra.attribute && device.entraValue !== undefined
          ? device.entraAttribute
          : undefined;
      entra = { kind: 'send', ...desired.entra, ...(clear ? { clear } : {}) };
    }
  }
  return { version: device.version, intune, entra };
}

/** Whether every enabled target holds what the device's current version should tell it. */
export function isSettled(device: Device, settings: Pick<ConnectorSettings, 'stateSync' | 'enforcement'>): boolean {
  const plan = planPush(device, settings);
  return plan.intune.kind === 'none' && plan.entra.kind === 'none';
}

/** How a target's send went. */
export type TargetOutcome =
  | { readonly kind: 'sent'; readonly value: string; readonly attribute?: string }
  /** 404: the device no longer exists there; recorded and not retried. */
  | { readonly kind: 'gone' }
  /** Failed; retried through a new nudge or redelivery. */
  | { readonly kind: 'error' }
  /** Not attempted now (beyond the write budget, throttled, or waiting for another step). */
  | { readonly kind: 'later' }
  /** Nothing was due. */
  | { readonly kind: 'none' };

export interface PushOutcome {
  readonly version: number;
  readonly intune: TargetOutcome;
  readonly entra: TargetOutcome;
  /** The Entra object id found for the device, to keep on the row. */
  readonly entraObjectId?: string;
}

export interface RecordResult {
  /** The row to write, or undefined when nothing changes. */
  readonly device: Device | undefined;
  /**
   * A newer version's send was recorded while this one was in flight and told the target something else: what the
   * target holds is uncertain, so the row forgets it and the device needs another nudge.
   */
  readonly uncertain: boolean;
}

/**
 * Applies a push outcome to the row as it is now (which may be newer than the one the plan was made from). A
 * record never overwrites a newer version's record. `syncPending` is cleared once every target is settled for the
 * row's current version.
 */
export function recordOutcome(
  current: Device,
  outcome: PushOutcome,
  settings: Pick<ConnectorSettings, 'stateSync' | 'enforcement'>,
  at: string,
): RecordResult {
  const next: Device = { ...current };
  let uncertain = false;
  if (outcome.entraObjectId && next.entraObjectId !== outcome.entraObjectId) next.entraObjectId = outcome.entraObjectId;

  const intune = outcome.intune;
  const newerIntune = (current.intuneVersion ?? -1) > outcome.version;
  if (intune.kind === 'sent') {
    if (!newerIntune) {
      Object.assign(next, { intuneState: intune.value, intuneVersion: outcome.version, intuneAt: at, intuneResult: 'sent' });
    } else if (current.intuneState !== intune.value) {
      next.intuneState = undefined;
      uncertain = true;
    }
  } else if (intune.kind === 'gone' && !newerIntune) {
    Object.assign(next, { intuneVersion: outcome.version, intuneAt: at, intuneResult: 'device-gone' });
  } else if (intune.kind === 'error' && !newerIntune) {
    Object.assign(next, { intuneAt: at, intuneResult: 'error' });
  }

  const entra = outcome.entra;
  const newerEntra = (current.entraVersion ?? -1) > outcome.version;
  if (entra.kind === 'sent') {
    if (!newerEntra) {
      Object.assign(next, {
        entraValue: entra.value,
        entraAttribute: entra.attribute,
        entraVersion: outcome.version,
        entraAt: at,
        entraResult: 'sent',
      });
    } else if (current.entraValue !== entra.value || current.entraAttribute !== entra.attribute) {
      next.entraValue = undefined;
      uncertain = true;
    }
  } else if (entra.kind === 'gone' && !newerEntra) {
    Object.assign(next, { entraVersion: outcome.version, entraAt: at, entraResult: 'device-gone' });
  } else if (entra.kind === 'error' && !newerEntra) {
    Object.assign(next, { entraAt: at, entraResult: 'error' });
  }

  const settled = !uncertain && isSettled(next, settings);
  if (settled) {
    // Every target holds what the current version should tell it: mark that version done on each.
    if ((next.intuneVersion ?? -1) < next.version) {
      next.intuneVersion = next.version;
      if (next.intuneResult !== 'device-gone') next.intuneResult = 'skipped';
    }
    if ((next.entraVersion ?? -1) < next.version) {
      next.entraVersion = next.version;
      if (next.entraResult !== 'device-gone') next.entraResult = 'skipped';
    }
  }
  next.syncPending = !settled;
  return { device: changedFields(current, next) ? next : undefined, uncertain };
}

const recordedFields = [
  'intuneState',
  'intuneVersion',
  'intuneAt',
  'intuneResult',
  'entraObjectId',
  'entraValue',
  'entraAttribute',
  'entraVersion',
  'entraAt',
  'entraResult',
  'syncPending',
] as const satisfies readonly (keyof Device)[];

function changedFields(before: Device, after: Device): boolean {
  return recordedFields.some((field) => before[field] !== after[field]);
}

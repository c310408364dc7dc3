import type { EntraAttributeName } from './connectorSettings.js';
import type { DeviceStatus } from './lifecycle.js';
import type { RiskLevel } from './risk.js';

/** The values of Graph's `partnerReportedThreatState` that the connector sends. */
export const partnerReportedThreatStates = [
  'activated',
  'deactivated',
  'secured',
  'lowSeverity',
  'mediumSeverity',
  'highSeverity',
  'unresponsive',
] as const;
export type IntuneThreatState = (typeof partnerReportedThreatStates)[number];

/** The values written to the tenant's chosen Entra device extension attribute. */
export const entraAttributeValues = [
  'pending',
  'activated',
  'secured',
  'low',
  'medium',
  'high',
  'unresponsive',
  'deactivated',
] as const;
export type EntraAttributeValue = (typeof entraAttributeValues)[number];

export interface EnforcementInput {
  status: DeviceStatus;
  /** Whether the device has sent at least one threat report since activation. */
  hasReport: boolean;
  riskLevel: RiskLevel;
}

export interface StateSync {
  deviceStatus: boolean;
  threatStatus: boolean;
}

export interface EnforcementTargets {
  intunePartner: boolean;
  entraDeviceAttribute: EntraAttributeName | null;
}

export interface DesiredTargets {
  intune: IntuneThreatState | null;
  entra: { attribute: EntraAttributeName; value: EntraAttributeValue } | null;
}

const intuneThreatLevel: Readonly<Record<RiskLevel, IntuneThreatState>> = {
  none: 'secured',
  low: 'lowSeverity',
  medium: 'mediumSeverity',
  high: 'highSeverity',
};

const entraThreatLevel: Readonly<Record<RiskLevel, EntraAttributeValue>> = {
  none: 'secured',
  low: 'low',
  medium: 'medium',
  high: 'high',
};

/** Whether the device's state is a threat level (rather than a status) under the contract's table. */
function reportsThreatLevel(input: EnforcementInput): boolean {
  return input.status === 'active' && input.hasReport;
}

/** What Intune's `partnerReportedThreatState` should be; null means nothing is sent. */
export function intuneStateFor(input: EnforcementInput, stateSync: StateSync): IntuneThreatState | null {
  if (reportsThreatLevel(input)) return stateSync.threatStatus ? intuneThreatLevel[input.riskLevel] : null;
  if (!stateSync.deviceStatus) return null;
  switch (input.status) {
    case 'pending':
      return null;
    case 'active':
      return 'activated';
    case 'disconnected':
      return 'unresponsive';
    case 'deactivated':
      return 'deactivated';
  }
}

/** What the Entra device extension attribute should hold; null means nothing is sent. */
export function entraValueFor(input: EnforcementInput, stateSync: StateSync): EntraAttributeValue | null {
  if (reportsThreatLevel(input)) return stateSync.threatStatus ? entraThreatLevel[input.riskLevel] : null;
  if (!stateSync.deviceStatus) return null;
  switch (input.status) {
    case 'pending':
      return 'pending';
    case 'active':
      return 'activated';
    case 'disconnected':
      return 'unresponsive';
    case 'deactivated':
      return 'deactivated';
  }
}

/** What each enabled enforcement target should be told about the device; null for a target that gets nothing. */
export function desiredTargets(
  input: EnforcementInput,
  stateSync: StateSync,
  enforcement: EnforcementTargets,
): DesiredTargets {
  const intune = enforcement.intunePartner ? intuneStateFor(input, stateSync) : null;
  const attribute = enforcement.entraDeviceAttribute;
  const value = attribute === null ? null : entraValueFor(input, stateSync);
  return { intune, entra: attribute !== null && value !== null ? { attribute, value } : null };
}

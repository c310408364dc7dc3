/** Intune's own view of a device beside what the service last told it, and the difference in words. */
import type { DeviceDetail } from './api/devices.js';

export interface IntuneComparison {
  /** `agrees`, `differs` (Intune holds another threat state than the one last told), or `unknown`. */
  readonly verdict: 'agrees' | 'differs' | 'unknown';
  readonly sentence: string;
}

/** Compares Intune's `partnerReportedThreatState` with the state last told through the partner API. */
export function compareWithIntune(detail: Pick<DeviceDetail, 'intune' | 'intuneUnavailable' | 'enforcement'>): IntuneComparison {
  const { intune, enforcement } = detail;
  if (!intune) return { verdict: 'unknown', sentence: detail.intuneUnavailable ?? "Intune's view could not be read." };
  const told = enforcement.intune.state;
  const holds = intune.partnerReportedThreatState;
  if (told === null) {
    return { verdict: 'unknown', sentence: `We have told Intune nothing about this device yet; Intune holds "${holds ?? 'nothing'}".` };
  }
  if (holds === told) return { verdict: 'agrees', sentence: `Intune holds "${holds}", as we last told it.` };
  const sync = intune.lastSyncDateTime ? ` The device last synced with Intune at ${intune.lastSyncDateTime}.` : '';
  return {
    verdict: 'differs',
    sentence: `Intune disagrees: it holds "${holds ?? 'nothing'}", but we last told it "${told}"${enforcement.intune.at ? ` at ${enforcement.intune.at}` : ''}.${sync} Intune applies a new state when the device next syncs; if this lasts, check the connector's health.`,
  };
}

/** One line in words for an event of the feed: which device, which threat, who changed what. */
import type { ServiceEvent } from './api/events.js';

function deviceName(device: { deviceName: string; userPrincipalName: string }): string {
  return `${device.deviceName || 'a device'} (${device.userPrincipalName || 'no user'})`;
}

export function eventSummary(event: ServiceEvent): string {
  switch (event.type) {
    case 'threat.detected':
      return `${deviceName(event.data.device)}: threat ${event.data.threat.name ?? event.data.threat.classification} detected (${event.data.threat.classification}, ${event.data.threat.riskLevel})`;
    case 'threat.resolved':
      return `${deviceName(event.data.device)}: threat ${event.data.threat.name ?? event.data.threat.classification} resolved`;
    case 'device.discovered':
      return `${deviceName(event.data.device)} discovered (${event.data.device.platform})`;
    case 'device.status_changed':
      return `${deviceName(event.data.device)}: ${event.data.previous.status} → ${event.data.device.status}`;
    case 'device.risk_changed':
      return `${deviceName(event.data.device)}: risk ${event.data.previous.riskLevel} → ${event.data.device.riskLevel}`;
    case 'device.enforcement_failed':
      return `${deviceName(event.data.device)}: push to ${event.data.target === 'intune' ? 'Intune' : 'Entra ID'} failed (${event.data.reason})`;
    case 'audit.recorded':
      return `${event.data.actor.name} changed ${event.data.target} (${event.data.action})`;
    case 'connector.health_changed':
      return `Connector health ${event.data.previous} → ${event.data.status}`;
    case 'device.override_started':
      return `${deviceName(event.data.device)}: ${event.data.override.createdBy} set the risk to ${event.data.override.riskLevel} until ${event.data.override.expiresAt} (${event.data.override.reason})`;
    case 'device.override_ended':
      return `${deviceName(event.data.device)}: risk override ended (${event.data.endedBy ?? 'expiry'})`;
    case 'device.attestation_failed':
      return `${deviceName(event.data.device)}: activation refused, attestation not verified (${event.data.reason})`;
  }
}

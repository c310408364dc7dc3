/** Status and risk shown as badges with words (colour is never the only signal). */
import { Badge } from '@fluentui/react-components';
import type { DeviceStatus, RiskLevel } from '../api/devices.js';

export const riskColors: Record<RiskLevel, string> = { none: '#107c10', low: '#8a8886', medium: '#ca5010', high: '#c50f1f' };
export const statusColors: Record<DeviceStatus, string> = { pending: '#8a8886', active: '#0078d4', disconnected: '#ca5010', deactivated: '#605e5c' };

const riskBadge: Record<RiskLevel, 'success' | 'informative' | 'warning' | 'danger'> = { none: 'success', low: 'informative', medium: 'warning', high: 'danger' };

export function RiskBadge({ level }: { level: RiskLevel }) {
  return (
    <Badge appearance="tint" color={riskBadge[level]} aria-label={`risk ${level}`}>
      {level}
    </Badge>
  );
}

export function StatusBadge({ status }: { status: DeviceStatus }) {
  const color = status === 'active' ? 'brand' : status === 'disconnected' ? 'warning' : 'subtle';
  return (
    <Badge appearance="outline" color={color}>
      {status}
    </Badge>
  );
}

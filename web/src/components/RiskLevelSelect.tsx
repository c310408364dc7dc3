/** A risk level chosen from the four, lowest first: the policy, app rules and risk overrides all pick one. */
import { Select } from '@fluentui/react-components';
import type { RiskLevel } from '../api/devices.js';

export const riskLevels: readonly RiskLevel[] = ['none', 'low', 'medium', 'high'];

export function RiskLevelSelect({ value, onChange, disabled }: { value: RiskLevel; onChange: (level: RiskLevel) => void; disabled?: boolean }) {
  return (
    <Select value={value} disabled={disabled} onChange={(_, d) => onChange(riskLevels.find((level) => level === d.value) ?? value)}>
      {riskLevels.map((level) => (
        <option key={level} value={level}>
          {level}
        </option>
      ))}
    </Select>
  );
}

import type { Classification, ClassificationPolicy } from './classifications.js';
import type { RiskLevel } from './risk.js';
import { maxRisk } from './risk.js';

/**
 * A device's risk level: the highest level among its active threats under the policy.
 * Threats graded `none` never raise it; no active threats means `none`.
 */
export function deviceRiskLevel(
  activeThreats: Iterable<{ classification: Classification }>,
  policy: ClassificationPolicy,
): RiskLevel {
  const levels: RiskLevel[] = [];
  for (const threat of activeThreats) levels.push(policy[threat.classification]);
  return maxRisk(levels);
}

/** The level at which a newly detected threat alerts, or null when it is graded `none` (no alert). */
export function threatAlertLevel(classification: Classification, policy: ClassificationPolicy): RiskLevel | null {
  const level = policy[classification];
  return level === 'none' ? null : level;
}

import type { Classification, ClassificationPolicy } from './classifications.js';
import type { RiskLevel } from './risk.js';
import { maxRisk } from './risk.js';

/** App rules by exact package name: the level a threat of that package counts as, instead of its classification's. */
export type AppRuleLevels = ReadonlyMap<string, RiskLevel>;

const noRules: AppRuleLevels = new Map();

/** What grading needs of a threat. */
export interface GradedThreat {
  readonly classification: Classification;
  readonly packageName?: string | undefined;
}

/** A risk override as grading sees it: active while `expiresAt` is in the future. */
export interface ActiveOverride {
  readonly riskLevel: RiskLevel;
  readonly expiresAt: string;
}

/** One threat's level: an app rule for its package, else the policy's level for its classification. */
export function threatRiskLevel(threat: GradedThreat, policy: ClassificationPolicy, rules: AppRuleLevels = noRules): RiskLevel {
  const rule = threat.packageName === undefined ? undefined : rules.get(threat.packageName);
  return rule ?? policy[threat.classification];
}

/**
 * The threats' half of a device's risk level: the highest level among its open threats, each graded by
 * `threatRiskLevel`. Threats graded `none` never raise it; no open threats means `none`.
 */
export function deviceRiskLevel(activeThreats: Iterable<GradedThreat>, policy: ClassificationPolicy, rules: AppRuleLevels = noRules): RiskLevel {
  const levels: RiskLevel[] = [];
  for (const threat of activeThreats) levels.push(threatRiskLevel(threat, policy, rules));
  return maxRisk(levels);
}

/** Whether an override is in force at `now` (it ends at `expiresAt`). */
export function overrideActive(override: ActiveOverride | undefined, now: Date): override is ActiveOverride {
  if (!override) return false;
  const end = Date.parse(override.expiresAt);
  return Number.isFinite(end) && end > now.getTime();
}

/**
 * A device's effective risk level, in order of precedence: an active override's level, whatever the threats; else
 * the threats' level (`deviceRiskLevel`).
 */
export function effectiveRiskLevel(threatLevel: RiskLevel, override: ActiveOverride | undefined, now: Date): RiskLevel {
  return overrideActive(override, now) ? override.riskLevel : threatLevel;
}

/** Both halves of a device's grade from its open threats, the policy, the app rules and its override. */
export function gradeDevice(input: {
  readonly openThreats: Iterable<GradedThreat>;
  readonly policy: ClassificationPolicy;
  readonly rules?: AppRuleLevels | undefined;
  readonly override?: ActiveOverride | undefined;
  readonly now: Date;
}): { threatRiskLevel: RiskLevel; riskLevel: RiskLevel } {
  const threatLevel = deviceRiskLevel(input.openThreats, input.policy, input.rules);
  return { threatRiskLevel: threatLevel, riskLevel: effectiveRiskLevel(threatLevel, input.override, input.now) };
}

/** The level at which a newly detected threat alerts, or null when it is graded `none` (no alert). */
export function threatAlertLevel(
  threat: Classification | GradedThreat,
  policy: ClassificationPolicy,
  rules: AppRuleLevels = noRules,
): RiskLevel | null {
  const level = threatRiskLevel(typeof threat === 'string' ? { classification: threat } : threat, policy, rules);
  return level === 'none' ? null : level;
}

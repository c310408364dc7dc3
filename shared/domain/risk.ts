import { z } from 'zod';

/** Risk levels in ascending order of severity. */
export const riskLevels = ['none', 'low', 'medium', 'high'] as const;
export type RiskLevel = (typeof riskLevels)[number];
export const riskLevelSchema = z.enum(riskLevels);

const rank: Readonly<Record<RiskLevel, number>> = { none: 0, low: 1, medium: 2, high: 3 };

/** Negative when `a` is below `b`, zero when equal, positive when above (usable as a sort comparator). */
export function compareRisk(a: RiskLevel, b: RiskLevel): number {
  return rank[a] - rank[b];
}

/** The highest of the given levels; `none` when there are none. */
export function maxRisk(levels: Iterable<RiskLevel>): RiskLevel {
  let highest: RiskLevel = 'none';
  for (const level of levels) {
    if (rank[level] > rank[highest]) highest = level;
  }
  return highest;
}

/** True when `level` is `min` or above. */
export function isAtLeast(level: RiskLevel, min: RiskLevel): boolean {
  return rank[level] >= rank[min];
}

/** The console's logic that is not layout: counting for charts, search, why a device has its risk level. */
import type { ClassificationItem, RegradeProgress } from './api/classifications.js';
import type { ConsoleDevice, DeviceDetail, RiskLevel } from './api/devices.js';

export const riskOrder: readonly RiskLevel[] = ['none', 'low', 'medium', 'high'];

/** Counts of `values` by key, in the order of `keys` (every key present, zero when absent), then any others. */
export function countBy<K extends string>(values: Iterable<K>, keys: readonly K[]): { key: K; count: number }[] {
  const counts = new Map<K, number>(keys.map((k) => [k, 0]));
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()].map(([key, count]) => ({ key, count }));
}

/** Case-insensitive match of a device's name or its user's sign-in name. */
export function matchesSearch(device: Pick<ConsoleDevice, 'deviceName' | 'userPrincipalName'>, term: string): boolean {
  const needle = term.trim().toLowerCase();
  if (needle === '') return true;
  return device.deviceName.toLowerCase().includes(needle) || device.userPrincipalName.toLowerCase().includes(needle);
}

export interface RiskReason {
  readonly threatId: string;
  readonly classification: string;
  readonly name: string | null;
  readonly level: RiskLevel | null;
  /** True for the threats whose level is the device's risk level. */
  readonly decisive: boolean;
}

export interface RiskExplanation {
  readonly summary: string;
  readonly reasons: readonly RiskReason[];
}

/**
 * Why a device has its risk level: the highest level among its open threats' classifications under the tenant's
 * policy. Only active devices are graded; others say why they are not.
 */
export function explainRisk(
  detail: DeviceDetail,
  policy: readonly ClassificationItem[],
  rules: readonly { packageName: string; riskLevel: RiskLevel }[] = [],
): RiskExplanation {
  const levels = new Map<string, RiskLevel>(policy.map((item) => [item.classification, item.riskLevel]));
  const ruleLevels = new Map<string, RiskLevel>(rules.map((rule) => [rule.packageName, rule.riskLevel]));
  // The threats' own level: an app rule for the package comes before the classification's level.
  const graded = detail.activeThreats.map((threat) => (threat.packageName !== null ? ruleLevels.get(threat.packageName) : undefined) ?? levels.get(threat.classification) ?? null);
  const threatsLevel = graded.reduce<RiskLevel>((max, level) => (level !== null && riskOrder.indexOf(level) > riskOrder.indexOf(max) ? level : max), 'none');
  const risk = detail.override ? threatsLevel : detail.device.riskLevel;
  const reasons = detail.activeThreats.map((threat, index) => {
    const level = graded[index] ?? null;
    return { threatId: threat.threatId, classification: threat.classification, name: threat.name, level, decisive: level !== null && level === risk && risk !== 'none' };
  });
  let summary: string;
  if (detail.device.status !== 'active') {
    summary = `The device is ${detail.device.status}: only active devices are graded, so its risk level is ${risk}.`;
  } else if (reasons.length === 0) {
    summary = detail.device.lastReportAt
      ? 'No open threats: the agent reported the device clean, so its risk level is none.'
      : 'The agent has not reported yet, so the device has no threats and its risk level is none.';
  } else {
    const decisive = reasons.filter((r) => r.decisive).map((r) => r.classification);
    summary =
      risk === 'none'
        ? `${reasons.length} open threat${reasons.length === 1 ? '' : 's'}, all of classifications your policy counts as no risk.`
        : `Risk ${risk} because of ${[...new Set(decisive)].join(', ')}, which your policy rates ${risk}; the device's level is the highest of its open threats.`;
  }
  if (detail.override) {
    summary = `A risk override sets the level to ${detail.override.riskLevel}. Without it: ${summary}`;
  }
  return { summary, reasons };
}

/** Paging by opaque cursors: the cursors of the pages seen so far, so "previous" works. */
export interface CursorTrail {
  readonly stack: readonly (string | null)[];
}

export const firstPage: CursorTrail = { stack: [null] };

export function currentCursor(trail: CursorTrail): string | null {
  return trail.stack[trail.stack.length - 1] ?? null;
}

export function nextPage(trail: CursorTrail, nextCursor: string): CursorTrail {
  return { stack: [...trail.stack, nextCursor] };
}

export function previousPage(trail: CursorTrail): CursorTrail {
  return trail.stack.length > 1 ? { stack: trail.stack.slice(0, -1) } : trail;
}

export function pageNumber(trail: CursorTrail): number {
  return trail.stack.length;
}

/** The classifications whose level differs from the default, with the default: what a reset would change. */
export function policyChangesToDefaults(items: readonly ClassificationItem[]): Record<string, RiskLevel> {
  const changes: Record<string, RiskLevel> = {};
  for (const item of items) if (item.riskLevel !== item.defaultRiskLevel) changes[item.classification] = item.defaultRiskLevel;
  return changes;
}

/** The queued re-grade job a policy change answered with, if it did (older servers re-grade before answering). */
export function regradeFrom(answer: unknown): RegradeProgress | null {
  if (typeof answer !== 'object' || answer === null || !('regrade' in answer)) return null;
  const regrade: unknown = answer.regrade;
  if (typeof regrade !== 'object' || regrade === null) return null;
  if (!('id' in regrade) || !('status' in regrade)) return null;
  const { id, status } = regrade;
  if (typeof id !== 'string' || typeof status !== 'string') return null;
  return {
    id,
    status,
    devicesChanged: 'devicesChanged' in regrade && typeof regrade.devicesChanged === 'number' ? regrade.devicesChanged : 0,
    devicesTotal: 'devicesTotal' in regrade && typeof regrade.devicesTotal === 'number' ? regrade.devicesTotal : 0,
  };
}

export function describeRegrade(regrade: RegradeProgress): string {
  const checked = regrade.devicesTotal > 0 ? ` of ${regrade.devicesTotal} device${regrade.devicesTotal === 1 ? '' : 's'} with open threats` : '';
  return regrade.status === 'completed'
    ? `Re-grading done: ${regrade.devicesChanged} device${regrade.devicesChanged === 1 ? '' : 's'} changed risk level${checked}.`
    : `Re-grading devices… ${regrade.devicesChanged} changed so far${checked}.`;
}

/** One address per line or comma: the error-report recipients as typed, trimmed, blanks dropped. */
export function parseRecipients(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** "N devices changed risk level." from a policy change answered synchronously (`devicesChanged`). */
export function describeChanged(answer: unknown): string {
  const count = typeof answer === 'object' && answer !== null && 'devicesChanged' in answer && typeof answer.devicesChanged === 'number' ? answer.devicesChanged : 0;
  return `${count} device${count === 1 ? '' : 's'} changed risk level.`;
}

/**
 * The fleet at a glance (`GET /api/v1/console/summary`) and enrollment coverage (`GET /api/v1/console/coverage`),
 * both from the tenant's device counters (shared/devices/deviceCounters.ts): complete for any fleet size, at the cost
 * of one point read of the counters' rollup and one query per table for the changes since, never a read of the devices.
 */
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import { readFleetCounters, type FleetCounters } from '../devices/deviceCounters.js';
import { classificationSchema, deviceStatuses, riskLevels } from '../domain/index.js';
import { readEnrollmentGroupRows } from '../enrollment/groups.js';
import type { TableStore } from '../storage/index.js';

const count = z.number().int().min(0);
const byStatusSchema = z
  .object(Object.fromEntries(deviceStatuses.map((status) => [status, count])) as Record<(typeof deviceStatuses)[number], typeof count>)
  .describe('Devices by status.');
const byRiskSchema = z
  .object(Object.fromEntries(riskLevels.map((level) => [level, count])) as Record<(typeof riskLevels)[number], typeof count>)
  .describe('Devices that are not deactivated, by their (effective) risk level.');

const trustSchema = z
  .object({
    keyBound: count.describe('Activated devices whose credential is bound to a device key (DPoP).'),
    notKeyBound: count.describe('Activated devices still on a bearer credential (activated without a device key).'),
    attestation: z
      .object({
        verified: count,
        failed: count,
        absent: count.describe('No attestation sent (or activated before attestation was checked).'),
        notChecked: count.describe("Activated while the tenant's attestation mode was off."),
      })
      .describe("Activated devices by their last activation's attestation verdict."),
  })
  .describe('Agent trust of the activated devices (active or disconnected).');

export const fleetSummarySchema = z.object({
  devices: z.object({
    byStatus: byStatusSchema,
    byRisk: byRiskSchema,
    total: count.describe('Every device the tenant has, deactivated ones included.'),
    trust: trustSchema,
  }),
  openThreats: z.object({
    byClassification: z.partialRecord(classificationSchema, count).describe('Open threats by classification (classifications with none are left out).'),
  }),
});
export type FleetSummary = z.infer<typeof fleetSummarySchema>;

const pendingByAgeSchema = z
  .object({
    under1d: count.describe('Pending for less than a day.'),
    days1to7: count.describe('Pending for 1 to 7 days.'),
    over7d: count.describe('Pending for more than 7 days.'),
  })
  .describe('Pending devices by how long they have waited for the agent to activate (since they became pending, to the minute).');

export const coverageSchema = z.object({
  total: z.object({ byStatus: byStatusSchema, pendingByAge: pendingByAgeSchema }),
  groups: z
    .array(
      z.object({
        displayName: z.string(),
        configured: z.boolean().describe('False for a group no longer configured that devices were last found through.'),
        byStatus: byStatusSchema,
        pendingByAge: pendingByAgeSchema,
      }),
    )
    .describe('Per enrollment group (a device whose user is in two groups counts in both), by display name.'),
});
export type Coverage = z.infer<typeof coverageSchema>;

export function summaryOf(counters: FleetCounters): FleetSummary {
  return {
    devices: { byStatus: counters.devices.byStatus, byRisk: counters.devices.byRisk, total: counters.devices.total, trust: counters.trust },
    openThreats: counters.openThreats,
  };
}

export async function readFleetSummary(deps: { tables: TableStore; clock: Clock }, tenantId: string): Promise<FleetSummary> {
  return summaryOf(await readFleetCounters(deps.tables, tenantId, deps.clock.now().getTime()));
}

const zeroStatus = (): Coverage['total']['byStatus'] => ({ pending: 0, active: 0, disconnected: 0, deactivated: 0 });

export async function readCoverage(deps: { tables: TableStore; clock: Clock }, tenantId: string): Promise<Coverage> {
  const [counters, configured] = await Promise.all([
    readFleetCounters(deps.tables, tenantId, deps.clock.now().getTime()),
    readEnrollmentGroupRows(deps.tables, tenantId),
  ]);
  const names = new Set(configured.map((row) => row.displayName));
  const counted = new Map(counters.groups.map((group) => [group.displayName, group]));
  const groups: Coverage['groups'] = [];
  for (const name of [...new Set([...names, ...counted.keys()])].sort((a, b) => a.localeCompare(b))) {
    const group = counted.get(name);
    groups.push({
      displayName: name,
      configured: names.has(name),
      byStatus: group?.byStatus ?? zeroStatus(),
      pendingByAge: group?.pendingByAge ?? { under1d: 0, days1to7: 0, over7d: 0 },
    });
  }
  return { total: { byStatus: counters.devices.byStatus, pendingByAge: counters.pendingByAge }, groups };
}

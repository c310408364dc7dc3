/**
 * A tenant's connector health as the console reads it (`GET /api/v1/console/health`): named checks, each
 * `healthy`, `degraded` or `unhealthy`, and the worst of them as the overall status.
 */
import { z } from 'zod';
import { healthStatusSchema } from '../events/event.js';

export { healthStatusSchema };
export type HealthStatus = z.output<typeof healthStatusSchema>;

export const healthCheckSchema = z.object({
  name: z.enum(['consent', 'discovery', 'intuneConnector', 'pushBacklog', 'deadLetters', 'webhooks']),
  status: healthStatusSchema,
  detail: z.string(),
  checkedAt: z.string(),
});
export type HealthCheck = z.output<typeof healthCheckSchema>;

/** A check's finding before the report stamps it with the time of the run. */
export type CheckResult = Omit<HealthCheck, 'checkedAt'>;

export const healthReportSchema = z.object({
  status: healthStatusSchema.describe('The worst status among the checks.'),
  checks: z.array(healthCheckSchema),
});
export type HealthReport = z.output<typeof healthReportSchema>;

const rank: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

export function worst(statuses: readonly HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((acc, status) => (rank[status] > rank[acc] ? status : acc), 'healthy');
}

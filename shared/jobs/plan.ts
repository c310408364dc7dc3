/**
 * Which jobs a tenant has, how often each runs, and where its rows start. Discovery and the connector heartbeat
 * follow the tenant's settings (`enrollmentPollMinutes`, `heartbeatFrequencyMinutes`); the sweep and reconcile run on
 * fixed periods (their cost is bounded by the index rows they read); mail runs only when made due (an alert queued,
 * an error recorded) and then parks.
 */
import type { ConnectorSettings } from '../domain/index.js';
import { idleDueMs, jobKinds, type DueRowSpec, type JobKind } from './dueIndex.js';

/** Minutes between disconnect sweeps of one tenant: a device is disconnected after days, so a quarter hour is plenty. */
export const sweepPeriodMinutes = 15;
/** Minutes between reconcile passes of one tenant (the safety net for lost nudges). */
export const reconcilePeriodMinutes = 5;

/** The period of each job for a tenant's settings; undefined for mail (runs when made due). */
export function jobPeriodMinutes(job: JobKind, settings: Pick<ConnectorSettings, 'enrollmentPollMinutes' | 'heartbeatFrequencyMinutes'>): number | undefined {
  switch (job) {
    case 'discovery':
      return settings.enrollmentPollMinutes;
    case 'connector-heartbeat':
      return settings.heartbeatFrequencyMinutes;
    case 'sweep':
      return sweepPeriodMinutes;
    case 'reconcile':
      return reconcilePeriodMinutes;
    case 'mail':
      return undefined;
  }
}

/**
 * The rows of a tenant that has no rows yet: an active tenant is due at once for every job (its first discovery,
 * anything queued for mail); one that has not consented yet is parked until consent makes it due.
 */
export function initialDueRows(
  status: 'provisioned' | 'active',
  settings: Pick<ConnectorSettings, 'enrollmentPollMinutes' | 'heartbeatFrequencyMinutes'>,
  nowMs: number,
): DueRowSpec[] {
  return jobKinds.map((job) => ({ job, dueMs: status === 'active' ? nowMs : idleDueMs, periodMinutes: jobPeriodMinutes(job, settings) }));
}

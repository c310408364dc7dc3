/**
 * Which jobs a tenant has, how often each runs, and where its rows start. Discovery and the connector heartbeat
 * follow the tenant's settings (`enrollmentPollMinutes`, `heartbeatFrequencyMinutes`); the sweep and reconcile run
 * when their index rows say something falls due, with a long period as the backstop; mail runs only when made due
 * (an alert queued, an error recorded) and then parks; the override expiry runs when the tenant's earliest risk override
 * ends (shared/console/overrides.ts) and then parks; activation reminders run once a day while the tenant has them on
 * (`activationReminderDays`) and park while it has them off (shared/mail/activationReminders.ts).
 */
import type { ConnectorSettings } from '../domain/index.js';
import { idleDueMs, jobKinds, type DueRowSpec, type JobKind } from './dueIndex.js';

/**
 * Longest time between disconnect sweeps of one tenant (12 hours, `sweepLookAheadMs`). A sweep also makes itself due
 * when the next device falls silent, so a tenant whose devices all check in costs two sweeps a day.
 */
export const sweepPeriodMinutes = 12 * 60;
/**
 * Longest time between reconcile passes of one tenant (6 hours, `reconcileLookAheadMs`). Reconcile is made due by
 * the device writes that start a wait for a push (shared/jobs/reconcileDue.ts) and by its own runs while devices
 * wait, so a tenant with nothing waiting costs four runs a day.
 */
export const reconcilePeriodMinutes = 6 * 60;
/** Activation reminders are counted in days: one run a day finds every reminder that came due since the last. */
export const activationRemindersPeriodMinutes = 24 * 60;

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
    case 'activation-reminders':
      return activationRemindersPeriodMinutes;
    case 'mail':
    case 'override-expiry':
      // Due only when made due: an alert or error to mail; the tenant's earliest override expiry.
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

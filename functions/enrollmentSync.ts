import type { TimerFunctionHandler } from './catalog.js';
import { runDueEnrollmentSyncs } from '../shared/enrollment/schedule.js';
import type { Services } from '../shared/services.js';

/** Timer (`%ENROLLMENT_SYNC_SCHEDULE%`): discovery for every active tenant whose poll interval has passed. */
export const enrollmentSync =
  (services: Services): TimerFunctionHandler =>
  async (_timer, context) => {
    const run = await runDueEnrollmentSyncs(services);
    const failed = run.outcomes.filter((outcome) => outcome.status === 'failed').length;
    const skipped = run.outcomes.filter((outcome) => outcome.status === 'skipped').length;
    context.log(
      `Enrollment sync: ${run.tenants} active tenants, ${run.outcomes.length} due, ${failed} failed, ${skipped} already running.`,
    );
  };

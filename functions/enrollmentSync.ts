import { scheduleTick } from './scheduleTick.js';

/** Timer (`%ENROLLMENT_SYNC_SCHEDULE%`): sends a `discovery` job for every tenant whose poll interval has passed. */
export const enrollmentSync = scheduleTick('enrollmentSync', ['discovery']);

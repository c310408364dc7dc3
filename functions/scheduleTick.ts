import type { TimerFunctionHandler } from './handlers.js';
import type { JobKind } from '../shared/jobs/dueIndex.js';
import { describeTick, scheduleDueJobs } from '../shared/app/tick.js';
import type { Services } from '../shared/app/services.js';
import { currentOperation, withOperation } from '../shared/telemetry/index.js';

/**
 * A timer that only schedules: reads its jobs' due rows and sends one `tenant-jobs` message per due tenant
 * (shared/app/tick.ts). Used by `enrollmentSync`, `heartbeatCheck`, `reconcile` and `mail`.
 */
export const scheduleTick =
  (name: string, jobs: readonly JobKind[]) =>
  (services: Services): TimerFunctionHandler =>
  (_timer, context) =>
    withOperation(`timer ${name}`, {}, async () => {
      const result = await scheduleDueJobs(services, jobs);
      context.log(`${name} op=${currentOperation()?.traceId ?? '-'}: ${describeTick(result)}`);
    });

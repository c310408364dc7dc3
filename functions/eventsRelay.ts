import type { TimerFunctionHandler } from './handlers.js';
import type { Services } from '../shared/app/services.js';
import { scheduleRelayJobs } from '../shared/app/tick.js';
import { currentOperation, withOperation } from '../shared/telemetry/index.js';

/**
 * Timer (`%EVENTS_RELAY_SCHEDULE%`, every minute by default): the events safety net, which only schedules. Reads the
 * relay-due rows (by RowKey range: a process that stopped after a write and before its relay, or retention due) and
 * sends one `relay` tenant job per tenant that has any; the `tenantJobs` function relays them.
 */
export const eventsRelay =
  (services: Services): TimerFunctionHandler =>
  (_timer, context) =>
    withOperation('timer eventsRelay', {}, async () => {
      const result = await scheduleRelayJobs(services);
      if (result.tenants > 0) {
        context.log(
          `eventsRelay op=${currentOperation()?.traceId ?? '-'}: ${result.tenants} relay jobs sent for ${result.rows} due rows, ` +
            `oldest ${Math.round(result.oldestLagMs / 1000)}s late.`,
        );
      }
    });

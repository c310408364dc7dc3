import type { TimerFunctionHandler } from './handlers.js';
import type { Services } from '../shared/app/services.js';

/**
 * Timer (every minute): the events safety net. Relays the outbox partitions whose relay-due rows are due (a process
 * that stopped after a write and before its relay) and runs due retention. Reads only due rows, by RowKey range.
 */
export const eventsRelay =
  (services: Services): TimerFunctionHandler =>
  async (_timer, context) => {
    const result = await services.events.sweep();
    if (result.due > 0) context.log(`Events: ${result.due} due partitions relayed, ${result.published} events published.`);
  };

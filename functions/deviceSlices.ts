import type { QueueFunctionHandler } from './catalog.js';
import { bodyValue, deliveryCounts } from './complianceUpdates.js';
import { toError } from '../shared/errors.js';
import { mapLimit } from '../shared/mapLimit.js';
import { runSliceMessage } from '../shared/slices/deviceSlices.js';
import { SliceBusy, sliceMessageSchema, type SliceMessage } from '../shared/slices/sliceJobs.js';
import type { Services } from '../shared/services.js';

/** Slices worked on at once by one invocation. */
const sliceConcurrency = 8;

/**
 * Service Bus queue `device-slices` (batch): runs each slice of a re-grade or resync job from its stored progress.
 * A malformed message is dropped; a slice another delivery is working on is left to it; when any slice failed, the
 * batch is thrown back for redelivery (slices already done are then skipped after one read).
 */
export const deviceSlices = (services: Services): QueueFunctionHandler => {
  return async (messages, context) => {
    const counts = deliveryCounts(context, messages.length);
    const slices: { message: SliceMessage; deliveryCount: number }[] = [];
    messages.forEach((message, index) => {
      const parsed = sliceMessageSchema.safeParse(bodyValue(message));
      if (!parsed.success) {
        context.warn(`Slices: dropped a malformed message (${parsed.error.issues.length} problem(s)): ${parsed.error.issues[0]?.message ?? ''}`);
        return;
      }
      slices.push({ message: parsed.data, deliveryCount: counts[index] ?? 1 });
    });
    const failures: string[] = [];
    await mapLimit(slices, sliceConcurrency, async ({ message, deliveryCount }) => {
      const name = `slice ${message.slice}/${message.slices} of ${message.kind} ${message.jobId} (tenant ${message.tenantId})`;
      try {
        const outcome = await runSliceMessage(services, message);
        if (!outcome.alreadyDone) context.log(`Slices: ${name}: ${outcome.devicesChanged} of ${outcome.devicesTotal} devices changed.`);
      } catch (caught) {
        if (caught instanceof SliceBusy) {
          context.log(`Slices: ${name} is being worked on by another delivery.`);
          return;
        }
        const error = `${name} failed (delivery ${deliveryCount}): ${toError(caught).message}`;
        if (deliveryCount >= 10) context.error(`Slices: ${error}; it is dead-lettered and its job stays running.`);
        failures.push(error);
      }
    });
    if (failures.length > 0) throw new Error(`Slices: ${failures.length} failed; first: ${failures[0] ?? ''}`);
  };
};

import type { QueueFunctionHandler } from './handlers.js';
import { bodyValue, deliveryCounts } from './queueMessages.js';
import { toError } from '../shared/base/errors.js';
import { mapLimit } from '../shared/base/mapLimit.js';
import { runSliceMessage } from '../shared/app/deviceSlices.js';
import { SliceBusy, sliceMessageSchema, sliceQueueName, type SliceMessage } from '../shared/slices/sliceJobs.js';
import { recordError } from '../shared/errorReports/errorReports.js';
import type { Services } from '../shared/app/services.js';

/** Slices worked on at once by one invocation. */
const sliceConcurrency = 8;

/** Deliveries of a slice message before Service Bus dead-letters it (infra/main.bicep). */
const sliceMaxDeliveryCount = 10;
/** When a slice that failed every delivery is tried again. */
export const sliceRetryMs = 15 * 60_000;

/**
 * A slice that failed its last delivery: reported (error report, so the tenant's admins and health hear of it) and
 * sent again for later under a new message id, so its job finishes once the trouble passes instead of staying
 * `running`. False when even that failed (the message is then dead-lettered as it stands).
 */
async function setAside(services: Services, message: SliceMessage, error: string): Promise<boolean> {
  const at = new Date(services.clock.now().getTime() + sliceRetryMs);
  try {
    await recordError(services, message.tenantId, { kind: 'dead-letter', message: `A ${message.kind} could not finish: ${error}` });
    await services.queues(sliceQueueName).send([
      { messageId: `${message.jobId}:${message.slice}:r${at.getTime()}`, body: message, scheduledEnqueueTimeUtc: at },
    ]);
    return true;
  } catch (caught) {
    services.log.error(`Slices: could not set aside ${message.jobId}:${message.slice}: ${toError(caught).message}`);
    return false;
  }
}

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
        if (deliveryCount >= sliceMaxDeliveryCount && (await setAside(services, message, error))) {
          context.error(`Slices: ${error}; reported, and tried again from its progress by ${new Date(services.clock.now().getTime() + sliceRetryMs).toISOString()}.`);
          return;
        }
        failures.push(error);
      }
    });
    if (failures.length > 0) throw new Error(`Slices: ${failures.length} failed; first: ${failures[0] ?? ''}`);
  };
};

/**
 * A nudge tells the compliance function that a device's state changed. It carries no state: the function reads the
 * device's current row, so duplicates and reordering are harmless.
 */
import { z } from 'zod';
import type { QueueSenders } from '../queue.js';

export const complianceQueueName = 'compliance-updates';

export const nudgeSchema = z.object({
  tenantId: z.string().min(1),
  deviceId: z.string().min(1),
  version: z.number().int().nonnegative(),
  /** Set on a nudge re-sent after a 429, so its message id differs from the original's. */
  attempt: z.number().int().nonnegative().optional(),
});
export type Nudge = z.infer<typeof nudgeSchema>;

export function nudgeMessageId(nudge: Nudge): string {
  return nudge.attempt ? `${nudge.deviceId}:${nudge.version}:${nudge.attempt}` : `${nudge.deviceId}:${nudge.version}`;
}

/** Sends nudges in batches; an empty list sends nothing. */
export async function sendNudges(queues: QueueSenders, nudges: readonly Nudge[], notBefore?: Date): Promise<void> {
  if (nudges.length === 0) return;
  const sender = queues(complianceQueueName);
  const batchSize = 500;
  for (let start = 0; start < nudges.length; start += batchSize) {
    await sender.send(
      nudges.slice(start, start + batchSize).map((nudge) => ({
        messageId: nudgeMessageId(nudge),
        body: nudge,
        ...(notBefore ? { scheduledEnqueueTimeUtc: notBefore } : {}),
      })),
    );
  }
}

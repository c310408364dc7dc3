/**
 * A nudge tells the compliance function that a device's state changed. It carries no state: the function reads the
 * device's current row, so duplicates and reordering are harmless.
 */
import { z } from 'zod';
import type { QueueMessage, QueueSenders } from '../queues/queue.js';

export const complianceQueueName = 'compliance-updates';

export const nudgeSchema = z.object({
  tenantId: z.string().min(1),
  deviceId: z.string().min(1),
  version: z.number().int().nonnegative(),
  /** Set on a nudge re-sent after a 429, so its message id differs from the original's. */
  attempt: z.number().int().nonnegative().optional(),
  /**
   * Set on a nudge re-sent for later without a failure (beyond the write budget, or after a 429's Retry-After):
   * counts such re-sends, so each has its own message id, and does not count towards dead-lettering.
   */
  deferral: z.number().int().nonnegative().optional(),
  /** Set on the nudges sent when a tenant's enforcement settings change (the resync's stamp), for a fresh message id. */
  resync: z.number().int().nonnegative().optional(),
  /**
   * The enforcement revision those nudges are for: two resyncs started within one second (off, then on again) differ
   * by it, so the later one's nudges are not dropped as duplicates of the earlier one's.
   */
  revision: z.number().int().nonnegative().optional(),
});
export type Nudge = z.infer<typeof nudgeSchema>;

export function nudgeMessageId(nudge: Nudge): string {
  const base = nudge.attempt ? `${nudge.deviceId}:${nudge.version}:${nudge.attempt}` : `${nudge.deviceId}:${nudge.version}`;
  const deferred = nudge.deferral ? `${base}:d${nudge.deferral}` : base;
  if (!nudge.resync) return deferred;
  return nudge.revision !== undefined ? `${deferred}:r${nudge.revision}.${nudge.resync}` : `${deferred}:r${nudge.resync}`;
}

/** A nudge as a queue message, delivered no earlier than `notBefore` when given. */
export function nudgeMessage(nudge: Nudge, notBefore?: Date): QueueMessage {
  return {
    messageId: nudgeMessageId(nudge),
    body: nudge,
    ...(notBefore ? { scheduledEnqueueTimeUtc: notBefore } : {}),
  };
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

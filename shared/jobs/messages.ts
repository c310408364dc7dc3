/**
 * A tenant job message on the `tenant-jobs` queue: "run job X for tenant Y, which was due at Z". It carries no state:
 * the queue function reads what it needs. Its id is the claim's (`{job}|{tenantId}|{dueMs}`), so Service Bus duplicate
 * detection drops a second send of the same claim (two instances, or a tick that sent and then stopped before it
 * claimed).
 */
import { z } from 'zod';
import type { QueueMessage } from '../queues/queue.js';
import { jobKindSchema, type JobKind } from './dueIndex.js';

export const tenantJobsQueueName = 'tenant-jobs';

/** Max delivery count of the queue (infra/): the delivery after which a failing job is reported and rescheduled. */
export const tenantJobsMaxDeliveryCount = 10;

export const tenantJobSchema = z.object({
  job: jobKindSchema,
  tenantId: z.string().min(1),
  /** When the job was due (ms): what the run covers. */
  dueMs: z.number(),
  /** Why it was sent: the schedule, or a person asking for it now (sync now). */
  reason: z.enum(['due', 'requested']).optional(),
  /** Times the message was put back because another run of the same job held the tenant. */
  waits: z.number().int().nonnegative().optional(),
  /** W3C trace context of the tick or request that sent it. */
  traceparent: z.string().max(128).optional(),
});
export type TenantJob = z.infer<typeof tenantJobSchema>;

export function tenantJobMessageId(job: JobKind, tenantId: string, dueMs: number, waits?: number): string {
  const base = `${job}|${tenantId}|${dueMs}`;
  return waits ? `${base}|w${waits}` : base;
}

export function tenantJobMessage(job: TenantJob, notBefore?: Date): QueueMessage {
  return {
    messageId: tenantJobMessageId(job.job, job.tenantId, job.dueMs, job.waits),
    body: job,
    ...(notBefore ? { scheduledEnqueueTimeUtc: notBefore } : {}),
  };
}

/**
 * An offboarding step on the same queue: "continue removing tenant Y". The job's progress is in storage
 * (shared/provider/offboarding.ts); `step` only makes each continuation's message id distinct for duplicate detection.
 */
export const offboardJobSchema = z.object({
  job: z.literal('offboard'),
  tenantId: z.string().min(1),
  step: z.number().int().nonnegative(),
  /** Times the run was put back because another run held the job (or it was found stalled). */
  waits: z.number().int().nonnegative().optional(),
  traceparent: z.string().max(128).optional(),
});
export type OffboardJob = z.infer<typeof offboardJobSchema>;

export function offboardJobMessage(job: OffboardJob, notBefore?: Date): QueueMessage {
  return {
    messageId: `offboard|${job.tenantId}|${job.step}${job.waits ? `|w${job.waits}` : ''}`,
    body: job,
    ...(notBefore ? { scheduledEnqueueTimeUtc: notBefore } : {}),
  };
}

/**
 * A tenant's event relay on the same queue: "relay the outbox partitions whose relay-due rows are due for tenant Y"
 * (shared/events/relay.ts). The rows are the state: a message for rows already relayed finds none. Its id names the
 * oldest due row's time, so the timer sending again for the same rows is dropped by duplicate detection.
 */
export const relayJobSchema = z.object({
  job: z.literal('relay'),
  tenantId: z.string().min(1),
  /** When the tenant's oldest relay-due row came due (ms). */
  dueMs: z.number(),
  traceparent: z.string().max(128).optional(),
});
export type RelayJob = z.infer<typeof relayJobSchema>;

export function relayJobMessage(job: RelayJob): QueueMessage {
  return { messageId: `relay|${job.tenantId}|${job.dueMs}`, body: job };
}

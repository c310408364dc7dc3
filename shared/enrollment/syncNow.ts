/**
 * The console's "sync now": discovery for the caller's tenant through the `tenant-jobs` queue. The answer is 202
 * `queued` at once; the run's outcome shows in the tenant's health (`lastEnrollmentSyncAt`, `lastEnrollmentSyncResult`),
 * the enrollment groups and the devices when it ends. `describeOutcome` states a finished run in the same shape.
 */
import { z } from 'zod';
import { requestJobNow } from '../jobs/request.js';
import type { CorePorts } from '../ports.js';
import type { SyncOutcome } from './sync.js';

const figuresSchema = z.object({
  discovered: z.number().int(),
  rediscovered: z.number().int(),
  deactivated: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  kept: z.number().int().describe('Devices left as they were because a group did not resolve.'),
  managedDevices: z.number().int(),
  members: z.number().int(),
  graphPages: z.number().int(),
  devicesWritten: z.number().int(),
  writeTransactions: z.number().int(),
  nudges: z.number().int(),
  timings: z.object({ readMs: z.number().int(), planMs: z.number().int(), writeMs: z.number().int() }),
});

export const syncNowResponseSchema = z.object({
  tenantId: z.string(),
  status: z
    .enum(['queued', 'completed', 'failed', 'already-running', 'running'])
    .describe(
      '`queued`: the run was handed to a worker and starts within seconds (its result shows in the enrollment groups, ' +
        'the devices and the tenant health when it ends). `completed`, `failed`, `already-running` and `running` ' +
        'describe a run that finished, found another one in progress, or is still going.',
    ),
  queuedAt: z.string().optional(),
  result: z.enum(['ok', 'partial']).optional().describe('`partial` when an enrollment group did not resolve.'),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: z.string().optional(),
  figures: figuresSchema.optional(),
  groups: z
    .array(
      z.object({
        displayName: z.string(),
        status: z.string(),
        groupId: z.string().optional(),
        memberCount: z.number().int().optional(),
        detail: z.string(),
      }),
    )
    .optional(),
});
export type SyncNowResponse = z.infer<typeof syncNowResponseSchema>;

export function describeOutcome(outcome: SyncOutcome): SyncNowResponse {
  switch (outcome.status) {
    case 'skipped':
      return { tenantId: outcome.tenantId, status: 'already-running' };
    case 'failed':
      return {
        tenantId: outcome.tenantId,
        status: 'failed',
        startedAt: outcome.startedAt,
        finishedAt: outcome.finishedAt,
        error: outcome.error,
      };
    case 'completed':
      return {
        tenantId: outcome.tenantId,
        status: 'completed',
        result: outcome.result,
        startedAt: outcome.startedAt,
        finishedAt: outcome.finishedAt,
        figures: outcome.figures,
        groups: outcome.groups.map((group) => ({
          displayName: group.displayName,
          status: group.status,
          ...(group.groupId ? { groupId: group.groupId } : {}),
          ...(group.memberCount !== undefined ? { memberCount: group.memberCount } : {}),
          detail: group.detail,
        })),
      };
  }
}

/**
 * Makes the tenant's discovery due now: a `tenant-jobs` message a worker takes at once (the request never runs
 * discovery itself, so it answers in milliseconds whatever the tenant's size). A run already in progress covers it
 * when it started after the request; otherwise this run follows it.
 */
export async function syncNow(services: Pick<CorePorts, 'tables' | 'queues' | 'clock'>, tenantId: string): Promise<SyncNowResponse> {
  const queuedAt = await requestJobNow(services, tenantId, 'discovery');
  return { tenantId, status: 'queued', queuedAt: queuedAt.toISOString() };
}

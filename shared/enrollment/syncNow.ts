/**
 * The console's "sync now": runs discovery for the caller's tenant at once. The request waits for the run up to a
 * bound (well inside the HTTP timeout); a run that takes longer keeps going and the answer says `running`. Either
 * way the answer is 202: the run's outcome when it finished in time, else where to watch for it.
 */
import { z } from 'zod';
import { toError } from '../errors.js';
import { syncTenant, type EnrollmentDeps, type SyncOptions, type SyncOutcome } from './sync.js';

export const defaultSyncNowWaitMs = 100_000;

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
    .enum(['completed', 'failed', 'already-running', 'running'])
    .describe(
      '`completed` or `failed`: the run finished; `already-running`: another run holds the tenant (its result shows in ' +
        'the enrollment groups and devices when it ends); `running`: still going after the wait, and it carries on.',
    ),
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

/** Starts a run and waits for it up to `waitMs`. */
export async function syncNow(
  deps: EnrollmentDeps,
  tenantId: string,
  options: SyncOptions & { waitMs?: number } = {},
): Promise<SyncNowResponse> {
  const run = syncTenant(deps, tenantId, options).catch((caught: unknown): SyncOutcome => {
    const at = deps.clock.now().toISOString();
    return { status: 'failed', tenantId, startedAt: at, finishedAt: at, error: toError(caught).message };
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), options.waitMs ?? defaultSyncNowWaitMs);
  });
  try {
    const outcome = await Promise.race([run, timeout]);
    return outcome ? describeOutcome(outcome) : { tenantId, status: 'running' };
  } finally {
    clearTimeout(timer);
  }
}

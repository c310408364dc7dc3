/**
 * A timer tick: reads the due rows of its jobs (oldest first), sends one `tenant-jobs` message per due (job, tenant)
 * and claims each row (moves it one period on). Nothing here does a tenant's work, so a tick costs about one query
 * page per 200 due rows, one message and one transaction per due row, whatever the number of tenants.
 *
 * Send, then claim: the message id is the claim's, so if two instances send for the same row, or a tick sends and
 * stops before claiming (the row is still due next tick and sent again), duplicate detection keeps one message. A
 * claim lost to another instance costs nothing more. A tick serves at most `maxPerJob` rows of each job; the rest
 * stay due and, being older, are served first by the next tick.
 */
import type { Clock } from '../base/clock.js';
import { mapLimit } from '../base/mapLimit.js';
import type { QueueSenders } from '../queues/queue.js';
import type { Logger } from '../base/logger.js';
import type { TableStore } from '../storage/index.js';
import { currentTraceparent } from '../telemetry/index.js';
import { backfillDueRows, type BackfillResult } from '../jobs/backfill.js';
import { claimDue, dueRows, nextDueMs, type DueRow, type JobKind } from '../jobs/dueIndex.js';
import { relayJobMessage, tenantJobMessage, tenantJobsQueueName } from '../jobs/messages.js';
import type { EventRuntime } from '../events/runtime.js';

export interface TickDeps {
  readonly tables: TableStore;
  readonly queues: QueueSenders;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface TickOptions {
  /** Most rows of one job served by one tick. Default 5,000 (well inside a timer's 10 minutes). */
  readonly maxPerJob?: number;
  /** Rows per message batch and claim round. Default 100. */
  readonly chunkSize?: number;
  /** Claims in flight at once. Default 16. */
  readonly claimConcurrency?: number;
  /** Tenants the one-off backfill looks at per tick (0 turns it off). Default 500. */
  readonly backfillPerTick?: number;
}

export interface JobTick {
  readonly job: JobKind;
  /** Due rows read. */
  readonly due: number;
  /** Messages sent and rows claimed. */
  readonly claimed: number;
  /** Rows another instance claimed first. */
  readonly lost: number;
  /** Whether due rows were left for the next tick (`maxPerJob`). */
  readonly more: boolean;
  /** Age of the oldest due row served, in ms (how late the tick is). */
  readonly oldestLagMs: number;
}

export interface TickResult {
  readonly jobs: readonly JobTick[];
  readonly backfill?: BackfillResult;
}

export const defaultMaxPerJob = 5_000;

async function tickJob(deps: TickDeps, job: JobKind, nowMs: number, options: TickOptions): Promise<JobTick> {
  const maxPerJob = options.maxPerJob ?? defaultMaxPerJob;
  const chunkSize = options.chunkSize ?? 100;
  const sender = deps.queues(tenantJobsQueueName);
  const traceparent = currentTraceparent();
  let due = 0;
  let claimed = 0;
  let lost = 0;
  let more = false;
  let oldestLagMs = 0;
  let chunk: DueRow[] = [];

  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    const rows = chunk;
    chunk = [];
    await sender.send(rows.map((row) => tenantJobMessage({ job, tenantId: row.tenantId, dueMs: row.dueMs, reason: 'due', traceparent })));
    const results = await mapLimit(rows, options.claimConcurrency ?? 16, (row) =>
      claimDue(deps.tables, row, nextDueMs(nowMs, row.periodMinutes)),
    );
    for (const won of results) {
      if (won) claimed += 1;
      else lost += 1;
    }
  };

  const pageSize = Math.min(1_000, Math.max(chunkSize, Math.ceil(maxPerJob / 16)));
  for await (const row of dueRows(deps.tables, job, nowMs, { pageSize: Math.min(pageSize, 200) })) {
    if (due >= maxPerJob) {
      more = true;
      break;
    }
    if (due === 0) oldestLagMs = Math.max(0, nowMs - row.dueMs);
    due += 1;
    chunk.push(row);
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  return { job, due, claimed, lost, more, oldestLagMs };
}

/** One tick for `jobs`: every due row of each (up to `maxPerJob`) becomes one message. */
export async function scheduleDueJobs(deps: TickDeps, jobs: readonly JobKind[], options: TickOptions = {}): Promise<TickResult> {
  const backfillPerTick = options.backfillPerTick ?? 500;
  const backfill = backfillPerTick > 0 ? await backfillDueRows(deps, { maxTenants: backfillPerTick }) : undefined;
  const nowMs = deps.clock.now().getTime();
  const results: JobTick[] = [];
  for (const job of jobs) results.push(await tickJob(deps, job, nowMs, options));
  return { jobs: results, ...(backfill ? { backfill } : {}) };
}

/** One log line for a tick. */
export function describeTick(result: TickResult): string {
  const parts = result.jobs.map(
    (job) =>
      `${job.job}: ${job.claimed} sent${job.lost ? `, ${job.lost} claimed elsewhere` : ''}${job.more ? ', more left for the next tick' : ''}` +
      `${job.claimed ? `, oldest ${Math.round(job.oldestLagMs / 1000)}s late` : ''}`,
  );
  const backfill = result.backfill && !result.backfill.done ? `; backfill: ${result.backfill.tenants} tenants, ${result.backfill.created} rows` : '';
  return `${parts.join('; ')}${backfill}.`;
}

export interface RelayTick {
  /** Tenants with relay-due rows: one `relay` message each. */
  readonly tenants: number;
  /** Relay-due rows read. */
  readonly rows: number;
  /** Age of the oldest due row, in ms. */
  readonly oldestLagMs: number;
}

/**
 * The `eventsRelay` tick: reads the relay-due rows (one query page per shard) and sends one `relay` tenant job per
 * tenant that has any. Nothing is claimed: the job deletes the rows it relays, and a tick that finds them again sends
 * the same message id (the oldest row's time), which duplicate detection drops.
 */
export async function scheduleRelayJobs(deps: TickDeps & { readonly events: Pick<EventRuntime, 'dueTenants'> }, options: { chunkSize?: number } = {}): Promise<RelayTick> {
  const due = await deps.events.dueTenants();
  const traceparent = currentTraceparent();
  const chunkSize = options.chunkSize ?? 100;
  const sender = deps.queues(tenantJobsQueueName);
  for (let start = 0; start < due.length; start += chunkSize) {
    await sender.send(due.slice(start, start + chunkSize).map((tenant) => relayJobMessage({ job: 'relay', tenantId: tenant.tenantId, dueMs: tenant.dueMs, traceparent })));
  }
  const nowMs = deps.clock.now().getTime();
  return {
    tenants: due.length,
    rows: due.reduce((sum, tenant) => sum + tenant.rows, 0),
    oldestLagMs: due[0] ? Math.max(0, nowMs - due[0].dueMs) : 0,
  };
}

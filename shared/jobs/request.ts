/**
 * Jobs made due by people and by lifecycle: "sync now" (discovery due now, through the queue instead of in the
 * request), consent (every job of the tenant due now), and a settings change that moves a job's period.
 */
import { defaultConnectorSettings, type ConnectorSettings } from '../domain/index.js';
import type { CorePorts } from '../ports.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { currentTraceparent } from '../telemetry/index.js';
import { claimDue, duePartitionOf, dueRowKey, ensureDueRows, jobKinds, markDue, moveDue, nextDueMs, type JobKind } from './dueIndex.js';
import { tenantJobMessage, tenantJobsQueueName } from './messages.js';
import { activationRemindersPeriodMinutes, initialDueRows, jobPeriodMinutes } from './plan.js';

type Deps = Pick<CorePorts, 'tables' | 'queues' | 'clock'>;

/**
 * Runs a job for a tenant as soon as a worker takes it: its due row moves to now and the message is sent and the
 * row claimed at once, as a tick would (a tick that sees the row first sends the same message id, which duplicate
 * detection drops). Returns when it was queued.
 */
export async function requestJobNow(deps: Deps, tenantId: string, job: JobKind, settings?: ConnectorSettings): Promise<Date> {
  const now = deps.clock.now();
  const nowMs = now.getTime();
  let periodMinutes: number | undefined;
  await moveDue(deps.tables, tenantId, job, (current) => {
    periodMinutes = current?.periodMinutes ?? jobPeriodMinutes(job, settings ?? defaultConnectorSettings);
    return { dueMs: nowMs, periodMinutes };
  });
  await deps.queues(tenantJobsQueueName).send([
    tenantJobMessage({ job, tenantId, dueMs: nowMs, reason: 'requested', traceparent: currentTraceparent() }),
  ]);
  await claimDue(
    deps.tables,
    { partitionKey: duePartitionOf(job, tenantId), rowKey: dueRowKey(nowMs, tenantId), tenantId, job, dueMs: nowMs, periodMinutes },
    nextDueMs(nowMs, periodMinutes),
  );
  return now;
}

/** A tenant just provisioned: its rows exist from the start, parked until consent. */
export async function createTenantDueRows(deps: Deps, tenantId: string): Promise<void> {
  await ensureDueRows(deps.tables, tenantId, initialDueRows('provisioned', defaultConnectorSettings, deps.clock.now().getTime()));
}

/** A tenant that just consented: every job due now (its first discovery among them). */
export async function makeTenantJobsDue(deps: Deps, tenantId: string): Promise<void> {
  const settings = await readConnectorSettings(deps.tables, tenantId);
  const nowMs = deps.clock.now().getTime();
  await Promise.all(
    jobKinds.map((job) =>
      moveDue(deps.tables, tenantId, job, (current) => ({
        dueMs: Math.min(current?.dueMs ?? nowMs, nowMs),
        periodMinutes: jobPeriodMinutes(job, settings) ?? current?.periodMinutes,
      })),
    ),
  );
}

/**
 * After a settings change: a job whose period changed runs on the new period, next at the latest one new period from
 * now (earlier if it was due earlier anyway).
 */
export async function applyJobPeriods(deps: Deps, tenantId: string, before: ConnectorSettings, after: ConnectorSettings): Promise<JobKind[]> {
  const nowMs = deps.clock.now().getTime();
  const moved: JobKind[] = [];
  for (const job of jobKinds) {
    const period = jobPeriodMinutes(job, after);
    if (period === undefined || period === jobPeriodMinutes(job, before)) continue;
    await moveDue(deps.tables, tenantId, job, (current) => ({
      dueMs: Math.min(current?.dueMs ?? nowMs, nowMs + period * 60_000),
      periodMinutes: period,
    }));
    moved.push(job);
  }
  // Reminders turned on (or their interval changed): the job looks at once at the devices already pending; turned
  // off, its next run parks it.
  if (after.activationReminderDays > 0 && after.activationReminderDays !== before.activationReminderDays) {
    await markDue(deps.tables, tenantId, 'activation-reminders', nowMs, activationRemindersPeriodMinutes);
    moved.push('activation-reminders');
  }
  // A shorter silence limit may make devices silent now: the sweep looks at once.
  if (after.disconnectedAfterDays < before.disconnectedAfterDays) {
    await markDue(deps.tables, tenantId, 'sweep', nowMs);
    moved.push('sweep');
  }
  return moved;
}

/**
 * The queue function's work: one tenant's job, by calling that capability's per-tenant use case. Under the tenant's
 * job lease, so one job of one kind never runs twice at once for a tenant:
 * - a message whose due time a finished run already covered (a redelivery) is done at once;
 * - a message that finds another run holding the lease is covered by it when that run started after it was due;
 *   otherwise it is put back for when the lease ends (a crashed run's lease simply expires);
 * - a job that throws gives the lease back and rethrows, so Service Bus delivers it again; on the last allowed
 *   delivery it is also reported (error report, the job's health row) and rescheduled before it goes to the
 *   dead-letter queue, so nothing is lost.
 */
import { randomUUID } from 'node:crypto';
import { redact, recordError } from '../errorReports/errorReports.js';
import { toError } from '../base/errors.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { syncTenant } from '../enrollment/sync.js';
import { connectorHeartbeat } from '../heartbeat/heartbeatCheck.js';
import { sweepTenant } from '../heartbeat/disconnectSweep.js';
import { reconcileTenant } from '../compliance/reconcile.js';
import { runTenantMail } from '../mail/run.js';
import { endExpiredOverrides } from '../console/overrides.js';
import { sendActivationReminders } from '../mail/activationReminders.js';
import type { Services } from './services.js';
import { getTenant, type Tenant } from '../tenants/tenantRepository.js';
import { tenantHealth } from '../health/health.js';
import { graphMembershipCheck } from '../auth/membership.js';
import { operationLabel, withOperation } from '../telemetry/index.js';
import { idleDueMs, markDue, moveDue, removeDue, type JobKind } from '../jobs/dueIndex.js';
import { acquireJobLease, releaseJobLease } from '../jobs/jobLease.js';
import {
  offboardJobMessage,
  tenantJobMessage,
  tenantJobsMaxDeliveryCount,
  tenantJobsQueueName,
  type OffboardJob,
  type RelayJob,
  type TenantJob,
} from '../jobs/messages.js';
import { refreshTenantIndex } from '../provider/tenantIndex.js';
import { runOffboarding, type OffboardRunResult } from '../provider/offboarding.js';
import type { HealthStatus } from '../health/report.js';
import { deleteExpiredDeliveries } from '../webhooks/deliveries.js';

/** A run may take up to the function timeout (10 minutes); the lease outlives it a little. */
export const jobLeaseTtlMs = 11 * 60_000;
/** How often a message waits for another run of the same job before it is dropped (that run covers the tenant). */
export const maxWaits = 5;
/** When a dead-lettered job runs again at the latest. */
export const deadLetterRetryMs = 15 * 60_000;

export type JobRunStatus = 'completed' | 'already-done' | 'covered' | 'waiting' | 'not-active' | 'no-tenant';

export interface JobRunResult {
  readonly status: JobRunStatus;
  /** What the job did, for the log (counts, never secrets). */
  readonly detail?: string;
}

export interface Delivery {
  readonly messageId: string;
  readonly deliveryCount: number;
  readonly maxDeliveryCount?: number;
}

/** The soonest a sweep runs again after one ran (devices disconnect after days: a quarter hour late is nothing). */
export const sweepMinGapMs = 15 * 60_000;
/** The soonest reconcile runs again after one ran. */
export const reconcileMinGapMs = 60_000;

/**
 * A job that knows when it is next needed (the next device to fall silent, the next nudge to come of age) makes
 * itself due then, if that is before its period brings it back anyway (the claim moved it one period on).
 */
async function dueAgain(services: Services, tenantId: string, job: JobKind, nextDueMs: number | undefined, soonestMs: number): Promise<string> {
  if (nextDueMs === undefined) return '';
  const at = Math.max(nextDueMs, soonestMs);
  await markDue(services.tables, tenantId, job, at);
  return `, due again by ${new Date(at).toISOString()}`;
}

/** The tenant's health now; a check that fails is logged and leaves the job to its own work. */
async function checkHealth(services: Services, tenantId: string): Promise<{ text: string; status?: HealthStatus }> {
  try {
    const { status } = await tenantHealth(services, tenantId);
    return { text: `health ${status}`, status };
  } catch (caught) {
    services.log.warn(`${operationLabel()} health check failed: ${redact(toError(caught).message)}`);
    return { text: 'health not checked' };
  }
}

/**
 * The provider's tenant index and today's usage counter, from the tenant's row, health and device counters (a
 * failure is logged: the next hourly run refreshes them).
 */
async function refreshIndex(services: Services, tenantId: string, health?: HealthStatus): Promise<string> {
  try {
    const active = await refreshTenantIndex(services, tenantId, health);
    return active === undefined ? '' : `; index refreshed (${active} active devices)`;
  } catch (caught) {
    services.log.warn(`${operationLabel()} tenant index refresh failed: ${redact(toError(caught).message)}`);
    return '; index not refreshed';
  }
}

/** The job's own work for an active tenant; returns a short description. Throws to be retried. */
async function work(services: Services, job: JobKind, tenant: Tenant): Promise<string> {
  const { tenantId } = tenant;
  const now = services.clock.now();
  switch (job) {
    case 'discovery': {
      const outcome = await syncTenant(services, tenantId);
      // Discovery changes the device counts and the last discovery time the provider's list shows.
      const indexed = outcome.status === 'completed' ? await refreshIndex(services, tenantId) : '';
      return outcome.status === 'completed' ? `discovery ${outcome.result}${indexed}` : `discovery ${outcome.status}`;
    }
    case 'sweep': {
      const summary = await sweepTenant(services, tenantId);
      // Event retention rides on the sweep: one point read unless events are due for deletion (shared/events); the
      // sweep comes due again by the time the next events expire.
      const retention = await services.events.retentionDue(tenantId);
      // Webhook delivery rows carry event bodies: they go with the events.
      const deliveriesDeleted = retention.due ? await deleteExpiredDeliveries(services, tenantId) : 0;
      const nextDueMs = [summary.nextDueMs, retention.nextDueMs].filter((at): at is number => at !== undefined);
      const next = await dueAgain(services, tenantId, job, nextDueMs.length > 0 ? Math.min(...nextDueMs) : undefined, now.getTime() + sweepMinGapMs);
      return (
        `${summary.disconnected} devices disconnected, ${summary.entitiesExamined} index rows examined` +
        `${retention.due ? `, ${retention.deleted} expired events and ${deliveriesDeleted} webhook deliveries deleted` : ''}${next}`
      );
    }
    case 'connector-heartbeat': {
      // The tenant's health is checked on this hourly job too, so a change reaches the feed, webhooks and the error
      // report even when no console looks (a look within the health cache's life reuses its answer).
      const checked = await checkHealth(services, tenantId);
      const health = checked.text;
      const settings = await readConnectorSettings(services.tables, tenantId);
      if (!settings.enforcement.intunePartner) return `${health}; not enforced through Intune${await refreshIndex(services, tenantId, checked.status)}`;
      const tenantRow = await getTenant(services.tables, tenantId);
      if (!tenantRow) return 'tenant gone';
      const outcome = await connectorHeartbeat(services, tenantRow, now, { connectorId: services.config.INTUNE_MTD_CONNECTOR_ID });
      // Hourly: the provider's index (status, health, device counts, last heartbeat) and today's usage counter.
      return `${health}; connector heartbeat ${outcome}${await refreshIndex(services, tenantId, checked.status)}`;
    }
    case 'reconcile': {
      const summary = await reconcileTenant(services, tenantId);
      const next = await dueAgain(services, tenantId, job, summary.nextDueMs, now.getTime() + reconcileMinGapMs);
      return (
        `${summary.nudgesSent + summary.resyncNudges} devices re-nudged, ${summary.entitiesExamined} index rows examined` +
        `${summary.deferredUntil ? `, deferred work waits until ${summary.deferredUntil}` : ''}${next}`
      );
    }
    case 'mail': {
      const result = await runTenantMail(
        {
          tables: services.tables,
          clock: services.clock,
          log: services.log,
          mail: services.mail,
          publicBaseUrl: services.config.PUBLIC_BASE_URL,
          membership: graphMembershipCheck(services.graph),
        },
        tenant,
      );
      if (result.nextDueMs !== undefined) await markDue(services.tables, tenantId, 'mail', result.nextDueMs);
      return (
        `${result.alertMails} alert mails, ${result.summaries} summaries, ${result.errorReports} error reports` +
        `${result.mailUnavailable ? ', SendGrid unavailable' : ''}`
      );
    }
    case 'activation-reminders': {
      // Daily while the tenant has reminders on; parked while off (turning them on makes it due).
      const run = await sendActivationReminders(services, tenant);
      if (!run.enabled) {
        await moveDue(services.tables, tenantId, job, (current) => ({ dueMs: idleDueMs, periodMinutes: current?.periodMinutes }));
        return 'activation reminders off: parked';
      }
      return `${run.sent} activation reminders sent, ${run.examined} waiting devices examined${run.failed > 0 ? `, ${run.failed} left for the next run` : ''}`;
    }
    case 'override-expiry': {
      // Made due at the tenant's earliest override expiry; the run makes it due at the next one.
      const run = await endExpiredOverrides(services, tenantId);
      return `${run.ended} risk overrides ended, ${run.examined} expiry rows examined${run.nextDueMs !== undefined ? `, next by ${new Date(run.nextDueMs).toISOString()}` : ''}`;
    }
  }
}

/** Records a job's last failed delivery (error report) and makes the job due again soon, so it is never lost. */
async function reportDeadLetter(services: Services, message: TenantJob, delivery: Delivery, error: string): Promise<void> {
  const { tenantId, job } = message;
  const retryAt = services.clock.now().getTime() + deadLetterRetryMs;
  await recordError(services, tenantId, {
    kind: 'dead-letter',
    message: `The ${job} job failed ${delivery.deliveryCount} times and was set aside; it runs again by ${new Date(retryAt).toISOString()}: ${error}`,
  });
  try {
    await markDue(services.tables, tenantId, job, retryAt);
  } catch (rescheduleError) {
    services.log.error(`${operationLabel()} could not reschedule the dead-lettered job: ${toError(rescheduleError).message}`);
  }
}

/** Runs one tenant job (one message of `tenant-jobs`). */
export function runTenantJob(services: Services, message: TenantJob, delivery: Delivery): Promise<JobRunResult> {
  const { tenantId, job } = message;
  const last = delivery.deliveryCount >= (delivery.maxDeliveryCount ?? tenantJobsMaxDeliveryCount);
  return withOperation(
    `job ${job}`,
    { traceparent: message.traceparent, tenantId, job, messageId: delivery.messageId },
    async (): Promise<JobRunResult> => {
      let lease: Awaited<ReturnType<typeof acquireJobLease>> | undefined;
      let started = services.clock.now();
      try {
        const tenant = await getTenant(services.tables, tenantId);
        if (!tenant) {
          await removeDue(services.tables, tenantId, job);
          return { status: 'no-tenant' };
        }
        if (tenant.status === 'offboarding') {
          // Offboarding removes the tenant's schedule: this job is not made due again.
          await removeDue(services.tables, tenantId, job);
          return { status: 'not-active', detail: 'the tenant is being offboarded' };
        }
        if (tenant.status !== 'active') {
          // Parked until consent makes it due.
          await moveDue(services.tables, tenantId, job, (current) => ({ dueMs: idleDueMs, periodMinutes: current?.periodMinutes }));
          return { status: 'not-active' };
        }
        started = services.clock.now();
        lease = await acquireJobLease(services.tables, tenantId, job, randomUUID(), started, jobLeaseTtlMs, message.dueMs);
        if (lease.kind === 'done') return { status: 'already-done' };
        if (lease.kind === 'busy') {
          if (lease.acquiredAtMs >= message.dueMs) return { status: 'covered' };
          const waits = (message.waits ?? 0) + 1;
          if (waits > maxWaits) return { status: 'covered', detail: 'gave up waiting for the run in progress' };
          const at = new Date(Math.max(lease.expiresAtMs, started.getTime()) + 1_000);
          await services.queues(tenantJobsQueueName).send([tenantJobMessage({ ...message, waits }, at)]);
          return { status: 'waiting', detail: `another run holds the tenant until ${new Date(lease.expiresAtMs).toISOString()}` };
        }
        const detail = await work(services, job, tenant);
        const finished = services.clock.now();
        await releaseJobLease(services.tables, tenantId, lease, finished, {
          result: 'ok',
          durationMs: finished.getTime() - started.getTime(),
          dueMs: message.dueMs,
        });
        return { status: 'completed', detail };
      } catch (caught) {
        const error = redact(toError(caught).message);
        if (last) await reportDeadLetter(services, message, delivery, error);
        if (lease?.kind === 'acquired') {
          const finished = services.clock.now();
          await releaseJobLease(services.tables, tenantId, lease, finished, {
            result: last ? 'dead-lettered' : 'failed',
            error,
            durationMs: finished.getTime() - started.getTime(),
            dueMs: message.dueMs,
            ...(last ? { deadLetterReason: `MaxDeliveryCountExceeded: ${error}` } : {}),
          });
        }
        throw caught;
      }
    },
  );
}

/** How soon an offboarding run whose every delivery failed is tried again. */
export const offboardRetryMs = 15 * 60_000;

/**
 * Runs one step of a tenant's offboarding (shared/provider/offboarding.ts). A run that throws is delivered again by
 * the queue; on its last delivery it is queued once more for later, so an offboarding never stops half-way.
 */
export function runOffboardJob(services: Services, message: OffboardJob, delivery: Delivery): Promise<OffboardRunResult> {
  const { tenantId } = message;
  const last = delivery.deliveryCount >= (delivery.maxDeliveryCount ?? tenantJobsMaxDeliveryCount);
  return withOperation('job offboard', { traceparent: message.traceparent, tenantId, job: 'offboard', messageId: delivery.messageId }, async () => {
    try {
      return await runOffboarding(
        { ...services, intuneBudget: services.compliance.intuneBudget },
        tenantId,
        { step: message.step, ...(message.waits !== undefined ? { waits: message.waits } : {}) },
      );
    } catch (caught) {
      if (last) {
        const at = new Date(services.clock.now().getTime() + offboardRetryMs);
        await services.queues(tenantJobsQueueName).send([offboardJobMessage({ ...message, waits: (message.waits ?? 0) + 1 }, at)]);
      }
      throw caught;
    }
  });
}

/**
 * Runs a tenant's event relay (one `relay` message): relays the outbox partitions its due rows name and deletes the
 * rows. Whatever the tenant's status: events already recorded reach the feed. Safe to run twice at once (publication is
 * exactly once, shared/events/publish.ts); a run that throws is delivered again by the queue, and rows it left are
 * found by a later tick.
 */
export function runRelayJob(services: Pick<Services, 'events'>, message: RelayJob, delivery: Delivery): Promise<JobRunResult> {
  return withOperation('job relay', { traceparent: message.traceparent, tenantId: message.tenantId, job: 'relay', messageId: delivery.messageId }, async () => {
    const result = await services.events.relayDue(message.tenantId);
    return { status: 'completed', detail: `${result.due} due partitions relayed, ${result.published} events published` };
  });
}

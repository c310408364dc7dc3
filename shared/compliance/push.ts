/**
 * The compliance push: for a batch of nudges, read each device's current row, work out what Intune and Entra ID
 * must be told, send it in Graph `$batch` requests of 20 within the tenant's write budget, and record per target
 * what was sent, for which version, when and how it went.
 *
 * - Nudges carry no state, so duplicates and reordering are harmless: every device is pushed once per batch, from
 *   its current row, and a target already told the value is skipped.
 * - Intune writes are counted against the tenant's shared write budget; writes beyond it are re-sent as nudges
 *   scheduled for a later window. A 429 (the whole `$batch` or one sub-response) re-sends the device's nudge after
 *   its Retry-After. Neither is retried in a loop. The devices of a batch beyond the room left in the tenant's budget
 *   are deferred without being read, so a large backlog costs one budget read per batch, not a read per device.
 *   Deferred work that is back and finds its room about to free up waits for it (see writeBudget.ts).
 * - A 404 means the device is gone from that service: recorded, not retried.
 * - Any other failure is retried: when every device of the batch failed, by throwing (the queue redelivers and
 *   dead-letters after 10 deliveries); when only some did, by re-sending just those as nudges with an attempt count,
 *   so healthy devices are not pushed again. A device whose attempts reach 10 is dead-lettered here.
 * - Tenants take turns for Graph requests, so one big tenant cannot starve the others.
 * - The tenant's settings are read from its row for every batch (no cache), so a push that starts after a settings
 *   change was answered pushes under the new settings, whichever instance runs it.
 *
 * The rows, the plans and the requests are in pushWork.ts; sending through `$batch` and reading the answers (429,
 * 404) in pushSend.ts. This file decides per tenant what goes now, and what comes back later or is dead-lettered.
 */
import type { Clock } from '../base/clock.js';
import { devicePartitionKey } from '../devices/device.js';
import { toError } from '../base/errors.js';
import type { GraphAccess } from '../graph/index.js';
import type { QueueMessage, QueueSenders } from '../queues/queue.js';
import type { Logger } from '../base/logger.js';
import type { TableStore } from '../storage/index.js';
import { readTenantConfig } from '../tenants/tenantConfig.js';
import { recordDeadLetter } from './deadLetters.js';
import type { EventRecorder } from '../events/event.js';
import type { BatchStats } from '../graph/graphBatch.js';
import { complianceQueueName, nudgeMessage, type Nudge } from '../devices/complianceNudges.js';
import { RoundRobinLimiter } from './roundRobin.js';
import { mapLimit } from '../base/mapLimit.js';
import type { WriteBudget } from './writeBudget.js';
import { coalesce, readWork, recordWork, type Delivery, type DeviceWork } from './pushWork.js';
import { lookupEntraIds, readEntraOutcomes, readIntuneOutcomes, sendWrites } from './pushSend.js';

/** Deliveries (or attempts) after which a nudge is dead-lettered, as Service Bus's max delivery count. */
export const maxDeliveries = 10;

export interface PushDeps {
  readonly tables: TableStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly graph: GraphAccess;
  readonly queues: QueueSenders;
  readonly budget: WriteBudget;
  /** Counts of `$batch` requests sent (benchmarks and tests). */
  readonly batchStats?: BatchStats;
  /** Graph requests in flight at once, across tenants. Default 8. */
  readonly graphConcurrency?: number;
  /** Delay before a device that failed is tried again. Default 2^attempt seconds, at most 5 minutes. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Records `device.enforcement_failed` when a device's push fails for good. */
  readonly events?: EventRecorder;
  /**
   * Relays the device events (`~e|` outbox rows) of the pushed devices' partitions into the feed. Every device change
   * that records an event also bumps the version and is nudged (or re-nudged by reconcile), so this is how an event
   * left by a process that stopped before relaying reaches the feed.
   */
  readonly relayDeviceEvents?: (tenantId: string, partitionKeys: readonly string[]) => Promise<void>;
}

export interface PushSummary {
  devices: number;
  intuneSent: number;
  entraSent: number;
  /** Devices whose targets already held their values. */
  unchanged: number;
  /** Devices re-sent for a later window (beyond the write budget). */
  deferred: number;
  /** Devices re-sent after a 429. */
  throttled: number;
  /** Devices that failed and were re-sent with an attempt count. */
  retried: number;
  deadLettered: number;
  gone: number;
  /** Nudges for devices that no longer exist. */
  missing: number;
}

/** Every device of the batch failed: thrown so the queue redelivers the batch. */
export class PushFailed extends Error {
  readonly code = 'ERR_PUSH_FAILED';
  constructor(
    readonly failures: number,
    readonly firstError: string,
  ) {
    super(`Every device of the batch failed (${failures}); first error: ${firstError}`);
    this.name = 'PushFailed';
  }
}

const defaultRetryDelayMs = (attempt: number): number => Math.min(300_000, 1_000 * 2 ** attempt);

/** A device that failed in this batch (or a nudge whose tenant could not be worked on at all). */
interface Failure {
  readonly nudge: Nudge;
  readonly deliveryCount: number;
  readonly errors: string[];
}

interface TenantResult {
  readonly summary: PushSummary;
  readonly followUps: QueueMessage[];
  readonly failed: Failure[];
  readonly progressed: number;
}

function emptySummary(): PushSummary {
  return {
    devices: 0,
    intuneSent: 0,
    entraSent: 0,
    unchanged: 0,
    deferred: 0,
    throttled: 0,
    retried: 0,
    deadLettered: 0,
    gone: 0,
    missing: 0,
  };
}

function add(total: PushSummary, part: PushSummary): void {
  for (const key of Object.keys(total) as (keyof PushSummary)[]) total[key] += part[key];
}

export function createPush(deps: PushDeps) {
  const retryDelayMs = deps.retryDelayMs ?? defaultRetryDelayMs;

  async function pushTenant(tenantId: string, deliveries: readonly Delivery[], limiter: RoundRobinLimiter): Promise<TenantResult> {
    const summary = emptySummary();
    // Read-your-writes: the settings as stored now (one point read per tenant per batch), so a change of state sync
    // or enforcement holds for every push that starts after the change was answered, on every instance.
    const config = await readTenantConfig(deps.tables, tenantId);
    // A tenant being offboarded is told `deactivated` by its offboarding; a push in flight must not undo it.
    if (config.offboarding) return { summary: { ...summary, devices: deliveries.length }, followUps: [], failed: [], progressed: deliveries.length };
    const settings = config.settings;
    let ready: readonly Delivery[] = deliveries;
    const held: QueueMessage[] = [];
    let hold = (_fallback?: boolean): Promise<void> => Promise.resolve();
    if (settings.enforcement.intunePartner) {
      // Work beyond the room in the tenant's Intune budget (spent, or, for new work, promised to deferred work) comes
      // back later without its devices being read now: a large backlog costs one budget read per batch, not a read
      // and a record per device, and the work that does go now is not slowed by the rest. Work coming back from a
      // deferral goes first and keeps its place; new work queues behind the deferred work still waiting. The rest
      // is handed its times after the work that goes now has taken its room (handed first, it would be a line
      // that the work going now queues behind).
      const room = await deps.budget.room(tenantId);
      const returning = deliveries.filter((delivery) => delivery.nudge.deferral);
      const fresh = deliveries.filter((delivery) => !delivery.nudge.deferral);
      const returningNow = returning.slice(0, room.returning);
      const freshNow = fresh.slice(0, Math.max(0, room.fresh - returningNow.length));
      const returningLater = returning.slice(returningNow.length);
      const freshLater = fresh.slice(freshNow.length);
      ready = [...returningNow, ...freshNow];
      hold = async (fallback = false) => {
        if (returningLater.length + freshLater.length === 0) return;
        // Beside writes already granted, a failure to hand out times must not fail the batch (its redelivery would
        // push the granted devices again): the rest then come back a window later.
        const deferrals = await deps.budget.defer(tenantId, returningLater.length, freshLater.length).catch((caught: unknown) => {
          if (!fallback) throw caught;
          deps.log.warn(`Compliance: no times from the write budget of tenant ${tenantId} for deferred devices: ${toError(caught).message}`);
          return [];
        });
        [...returningLater, ...freshLater].forEach((delivery, index) =>
          held.push(
            nudgeMessage(
              { ...delivery.nudge, deferral: (delivery.nudge.deferral ?? 0) + 1 },
              deferrals[index] ?? new Date(deps.clock.now().getTime() + deps.budget.settings.windowMs),
            ),
          ),
        );
        summary.deferred += held.length;
      };
      if (ready.length === 0) {
        await hold();
        return { summary, followUps: held, failed: [], progressed: held.length };
      }
    }
    const { work, missing } = await readWork(deps.tables, tenantId, ready, settings);
    for (const delivery of missing) {
      summary.missing += 1;
      deps.log.info(`Compliance: device ${delivery.nudge.deviceId} of tenant ${tenantId} no longer exists; nudge dropped`);
    }
    summary.devices = work.length;
    const now = (): number => deps.clock.now().getTime();

    // Entra: the device object's id, looked up once by its device id and kept on the row.
    const entraWork = work.filter((item) => item.plan.entra.kind === 'send');
    const lookups: DeviceWork[] = [];
    for (const item of entraWork) {
      if (item.device.entraObjectId) continue;
      if (!item.device.azureAdDeviceId) item.entra = { kind: 'gone' };
      else lookups.push(item);
    }
    if (lookups.length > 0) await lookupEntraIds(deps, limiter, tenantId, lookups);

    // Intune: within the tenant's write budget; the rest come back in a later window.
    // Work coming back from a deferral goes first; new work queues behind deferred work still waiting.
    const returning = work.filter((item) => item.plan.intune.kind === 'send' && item.nudge.deferral);
    const fresh = work.filter((item) => item.plan.intune.kind === 'send' && !item.nudge.deferral);
    const intuneWork = [...returning, ...fresh];
    let intuneNow: DeviceWork[] = [];
    if (intuneWork.length > 0) {
      const { granted, deferrals } = await deps.budget.take(tenantId, returning.length, fresh.length);
      intuneNow = intuneWork.slice(0, granted);
      intuneWork.slice(granted).forEach((item, index) => {
        item.intune = { kind: 'later' };
        const at = deferrals[index] ?? new Date(now() + deps.budget.settings.windowMs);
        if (!item.laterAt || item.laterAt < at) item.laterAt = at;
      });
    }

    const holding = hold(true);
    const entraNow = entraWork.filter((item) => item.entra.kind === 'none' && (item.device.entraObjectId ?? item.entraObjectId));
    const outcomes = await sendWrites(deps, limiter, tenantId, intuneNow, entraNow);
    await holding;
    const intune = readIntuneOutcomes(deps.clock, intuneNow, outcomes.intune);
    summary.intuneSent += intune.sent;
    if (intune.throttledUntil !== undefined) {
      await deps.budget.block(tenantId, new Date(intune.throttledUntil)).catch((caught: unknown) => {
        deps.log.warn(`Compliance: could not record throttling for tenant ${tenantId}: ${toError(caught).message}`);
      });
    }
    summary.entraSent += readEntraOutcomes(deps.clock, entraNow, outcomes.entra);

    // Record, then decide what comes back later.
    const at = deps.clock.now().toISOString();
    const followUps: QueueMessage[] = [...held];
    const failed: Failure[] = [];
    let progressed = deliveries.length - ready.length;
    await mapLimit(work, 16, async (item) => {
      const uncertain = await recordWork(deps.tables, tenantId, item, settings, at);
      const failedNow = item.errors.length > 0;
      if (item.intune.kind === 'gone' || item.entra.kind === 'gone') summary.gone += 1;
      if (item.plan.intune.kind === 'none' && item.plan.entra.kind === 'none') summary.unchanged += 1;
      if (failedNow) {
        failed.push({ nudge: { ...item.nudge, version: item.device.version }, deliveryCount: item.deliveryCount, errors: item.errors });
        return;
      }
      progressed += 1;
      if (item.laterAt || uncertain) {
        if (item.throttled) summary.throttled += 1;
        else if (item.laterAt) summary.deferred += 1;
        followUps.push(
          nudgeMessage({ ...item.nudge, version: item.device.version, deferral: (item.nudge.deferral ?? 0) + 1 }, item.laterAt),
        );
      }
    });
    return { summary, followUps, failed, progressed };
  }

  /** Relays the device events of the batch's partitions (never throws: the next push or reconcile relays them). */
  async function relayEvents(byTenant: ReturnType<typeof coalesce>): Promise<void> {
    const relay = deps.relayDeviceEvents;
    if (!relay) return;
    await Promise.all(
      [...byTenant].map(async ([tenantId, devices]) => {
        const partitions = new Set([...devices.values()].map((delivery) => devicePartitionKey(tenantId, delivery.nudge.deviceId)));
        await relay(tenantId, [...partitions]).catch((caught: unknown) =>
          deps.log.warn(`Compliance: device events of tenant ${tenantId} were not relayed now: ${toError(caught).message}`),
        );
      }),
    );
  }

  /** Pushes a batch of deliveries. Throws `PushFailed` when every device failed (the queue then redelivers). */
  return async function push(deliveries: readonly Delivery[]): Promise<PushSummary> {
    const summary = emptySummary();
    const limiter = new RoundRobinLimiter(deps.graphConcurrency ?? 8);
    const byTenant = coalesce(deliveries);
    // The device events of the nudged devices were written before their nudges, so their relay runs beside the push
    // rather than after it: a batch takes the longer of the two, not their sum.
    const relaying = relayEvents(byTenant);
    const results = await Promise.all(
      [...byTenant].map(async ([tenantId, devices]) => {
        try {
          return await pushTenant(tenantId, [...devices.values()], limiter);
        } catch (caught) {
          // The tenant could not be worked on at all (storage unreachable, settings unreadable): every device failed.
          const message = toError(caught).message;
          deps.log.error(`Compliance: tenant ${tenantId} failed: ${message}`);
          const failed = [...devices.values()].map((delivery): Failure => ({ ...delivery, errors: [message] }));
          return { summary: { ...emptySummary(), devices: failed.length }, followUps: [], failed, progressed: 0 };
        }
      }),
    );
    await relaying;
    const followUps: QueueMessage[] = [];
    const failed: Failure[] = [];
    let progressed = 0;
    for (const result of results) {
      add(summary, result.summary);
      followUps.push(...result.followUps);
      failed.push(...result.failed);
      progressed += result.progressed;
    }

    if (failed.length > 0 && progressed === 0) {
      // Nothing went through: let the queue redeliver the batch. On the last delivery, record the dead letters the
      // queue is about to make.
      for (const item of failed) {
        if (item.deliveryCount >= maxDeliveries) {
          await recordDeadLetter(deps, item.nudge, { reason: item.errors[0] ?? 'failed', deliveryCount: item.deliveryCount, errors: item.errors });
          summary.deadLettered += 1;
        }
      }
      if (summary.deadLettered === failed.length) {
        deps.log.error(`Compliance: ${failed.length} nudge(s) dead-lettered: ${failed[0]?.errors[0] ?? ''}`);
        return summary;
      }
      throw new PushFailed(failed.length, failed[0]?.errors[0] ?? 'unknown');
    }

    // Some devices went through: re-send only the failed ones, each with its attempt count.
    for (const item of failed) {
      const attempt = (item.nudge.attempt ?? 0) + 1;
      if (attempt >= maxDeliveries || item.deliveryCount >= maxDeliveries) {
        await recordDeadLetter(deps, item.nudge, { reason: item.errors[0] ?? 'failed', deliveryCount: Math.max(attempt, item.deliveryCount), errors: item.errors });
        summary.deadLettered += 1;
        continue;
      }
      summary.retried += 1;
      const { deferral: _deferral, ...rest } = item.nudge;
      followUps.push(nudgeMessage({ ...rest, attempt }, new Date(deps.clock.now().getTime() + retryDelayMs(attempt))));
    }
    if (followUps.length > 0) await deps.queues(complianceQueueName).send(followUps);
    return summary;
  };
}

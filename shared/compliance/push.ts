/**
 * The compliance push: for a batch of nudges, read each device's current row, work out what Intune and Entra ID
 * must be told, send it in Graph `$batch` requests of 20 within the tenant's write budget, and record per target
 * what was sent, for which version, when and how it went.
 *
 * - Nudges carry no state, so duplicates and reordering are harmless: every device is pushed once per batch, from
 *   its current row, and a target already told the value is skipped.
 * - Intune writes are counted against the tenant's shared write budget; writes beyond it are re-sent as nudges
 *   scheduled for a later window. A 429 (the whole `$batch` or one sub-response) re-sends the device's nudge after
 *   its Retry-After. Neither is retried in a loop. While the tenant's budget has no room at all, a batch is deferred
 *   as a whole without reading its devices, so a large backlog costs one budget read per batch, not a read per device.
 *   Deferred work that is back and finds its room about to free up waits for it (see writeBudget.ts).
 * - A 404 means the device is gone from that service: recorded, not retried.
 * - Any other failure is retried: when every device of the batch failed, by throwing (the queue redelivers and
 *   dead-letters after 10 deliveries); when only some did, by re-sending just those as nudges with an attempt count,
 *   so healthy devices are not pushed again. A device whose attempts reach 10 is dead-lettered here.
 * - Tenants take turns for Graph requests, so one big tenant cannot starve the others.
 * - The tenant's settings are read from its row for every batch (no cache), so a push that starts after a settings
 *   change was answered pushes under the new settings, whichever instance runs it.
 */
import { z } from 'zod';
import type { Clock } from '../base/clock.js';
import type { Device } from '../devices/device.js';
import { nudgeDeferredTo } from '../devices/deviceIndex.js';
import { mutateDevice, readDevice } from '../devices/deviceRepository.js';
import { devicePartitionKey } from '../devices/device.js';
import { toError } from '../base/errors.js';
import type { GraphAccess } from '../graph/index.js';
import type { QueueMessage, QueueSenders } from '../queues/queue.js';
import type { Logger } from '../base/logger.js';
import type { TableStore } from '../storage/index.js';
import { readConnectorSettings } from '../tenants/tenantConfig.js';
import { recordDeadLetter } from './deadLetters.js';
import type { EventRecorder } from '../events/event.js';
import { sendBatched, type BatchOutcome, type BatchRequest, type BatchStats } from '../graph/graphBatch.js';
import { complianceQueueName, nudgeMessage, type Nudge } from '../devices/nudges.js';
import { planPush, recordOutcome, type PushOutcome, type PushPlan, type TargetOutcome } from './plan.js';
import { RoundRobinLimiter } from './roundRobin.js';
import type { WriteBudget } from './writeBudget.js';
import { mapLimit } from '../base/mapLimit.js';

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

export interface Delivery {
  readonly nudge: Nudge;
  /** How many times the queue delivered this message (1 on the first delivery). */
  readonly deliveryCount: number;
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

interface DeviceWork {
  readonly nudge: Nudge;
  readonly deliveryCount: number;
  readonly device: Device;
  readonly plan: PushPlan;
  intune: TargetOutcome;
  entra: TargetOutcome;
  entraObjectId?: string;
  /** When the device must be tried again without a failure (budget or Retry-After). */
  laterAt?: Date;
  throttled?: boolean;
  errors: string[];
}

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

/** One nudge per device: the newest version, the highest attempt and delivery count seen. */
export function coalesce(deliveries: readonly Delivery[]): Map<string, Map<string, Delivery>> {
  const byTenant = new Map<string, Map<string, Delivery>>();
  for (const delivery of deliveries) {
    const tenantId = delivery.nudge.tenantId.toLowerCase();
    const deviceId = delivery.nudge.deviceId.toLowerCase();
    let devices = byTenant.get(tenantId);
    if (!devices) {
      devices = new Map();
      byTenant.set(tenantId, devices);
    }
    const seen = devices.get(deviceId);
    const nudge: Nudge = { ...delivery.nudge, tenantId, deviceId };
    if (!seen) {
      devices.set(deviceId, { nudge, deliveryCount: delivery.deliveryCount });
      continue;
    }
    const attempt = Math.max(seen.nudge.attempt ?? 0, nudge.attempt ?? 0);
    const deferral = Math.max(seen.nudge.deferral ?? 0, nudge.deferral ?? 0);
    devices.set(deviceId, {
      nudge: {
        tenantId,
        deviceId,
        version: Math.max(seen.nudge.version, nudge.version),
        ...(attempt ? { attempt } : {}),
        ...(deferral ? { deferral } : {}),
      },
      deliveryCount: Math.max(seen.deliveryCount, delivery.deliveryCount),
    });
  }
  return byTenant;
}

const entraLookupSchema = z.object({ value: z.array(z.object({ id: z.string() })) });

function isOk(outcome: BatchOutcome): boolean {
  return outcome.status >= 200 && outcome.status < 300;
}

/** Failure of a target from a sub-response; 429 is not a failure but a wait. */
function classify(work: DeviceWork, outcome: BatchOutcome, target: 'intune' | 'entra', now: number): TargetOutcome {
  if (isOk(outcome)) return { kind: 'none' };
  if (outcome.status === 404) return { kind: 'gone' };
  if (outcome.status === 429) {
    const at = new Date(now + (outcome.retryAfterSeconds ?? 1) * 1000);
    if (!work.laterAt || work.laterAt < at) work.laterAt = at;
    work.throttled = true;
    return { kind: 'later' };
  }
  work.errors.push(`${target}: ${outcome.error ?? `answered ${outcome.status}`}`);
  return { kind: 'error' };
}

export function createPush(deps: PushDeps) {
  const retryDelayMs = deps.retryDelayMs ?? defaultRetryDelayMs;

  async function pushTenant(tenantId: string, deliveries: readonly Delivery[], limiter: RoundRobinLimiter): Promise<TenantResult> {
    const summary = emptySummary();
    // Read-your-writes: the settings as stored now (one point read per tenant per batch), so a change of state sync
    // or enforcement holds for every push that starts after the change was answered, on every instance.
    const settings = await readConnectorSettings(deps.tables, tenantId);
    if (settings.enforcement.intunePartner) {
      // The tenant's Intune budget has no room for this batch (spent, or, for new work, promised to deferred work):
      // the devices come back later without being read now. Work coming back from a deferral goes first and keeps
      // its place; new work queues behind the deferred work still waiting.
      const room = await deps.budget.room(tenantId);
      const returning = deliveries.filter((delivery) => delivery.nudge.deferral);
      if ((returning.length > 0 ? room.returning : room.fresh) === 0) {
        const fresh = deliveries.filter((delivery) => !delivery.nudge.deferral);
        const deferrals = await deps.budget.defer(tenantId, returning.length, fresh.length);
        const followUps = [...returning, ...fresh].map((delivery, index) =>
          nudgeMessage(
            { ...delivery.nudge, deferral: (delivery.nudge.deferral ?? 0) + 1 },
            deferrals[index] ?? new Date(deps.clock.now().getTime() + deps.budget.settings.windowMs),
          ),
        );
        return { summary: { ...summary, deferred: deliveries.length }, followUps, failed: [], progressed: deliveries.length };
      }
    }
    const rows = await mapLimit(deliveries, 16, async (delivery) => ({
      delivery,
      device: await readDevice(deps.tables, tenantId, delivery.nudge.deviceId),
    }));
    const work: DeviceWork[] = [];
    for (const { delivery, device } of rows) {
      if (!device) {
        summary.missing += 1;
        deps.log.info(`Compliance: device ${delivery.nudge.deviceId} of tenant ${tenantId} no longer exists; nudge dropped`);
        continue;
      }
      const plan = planPush(device, settings);
      work.push({ ...delivery, device, plan, intune: { kind: 'none' }, entra: { kind: 'none' }, errors: [] });
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
    if (lookups.length > 0) {
      const requests: BatchRequest[] = lookups.map((item) => ({
        method: 'GET',
        url: `/devices?$filter=${encodeURIComponent(`deviceId eq '${(item.device.azureAdDeviceId ?? '').replace(/'/g, "''")}'`)}&$select=id`,
      }));
      const outcomes = await limiter.run(tenantId, () =>
        sendBatched(deps.graph.graph(tenantId), requests, { concurrency: 4, ...(deps.batchStats ? { stats: deps.batchStats } : {}) }),
      );
      lookups.forEach((item, index) => {
        const outcome = outcomes[index] ?? { status: 0, error: 'no answer' };
        if (isOk(outcome)) {
          const parsed = entraLookupSchema.safeParse(outcome.body);
          const id = parsed.success ? parsed.data.value[0]?.id : undefined;
          if (id) item.entraObjectId = id.toLowerCase();
          else item.entra = { kind: 'gone' };
        } else {
          item.entra = classify(item, outcome, 'entra', now());
        }
      });
    }

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

    const entraNow = entraWork.filter((item) => item.entra.kind === 'none' && (item.device.entraObjectId ?? item.entraObjectId));
    const intuneRequests: BatchRequest[] = intuneNow.map((item) => ({
      method: 'PATCH',
      url: `/deviceManagement/managedDevices/${encodeURIComponent(item.device.intuneDeviceId)}`,
      body: { partnerReportedThreatState: item.plan.intune.kind === 'send' ? item.plan.intune.value : undefined },
    }));
    const entraRequests: BatchRequest[] = entraNow.map((item) => {
      const step = item.plan.entra;
      const attributes: Record<string, string | null> = {};
      if (step.kind === 'send') {
        if (step.clear) attributes[step.clear] = null;
        attributes[step.attribute] = step.value;
      }
      return {
        method: 'PATCH',
        url: `/devices/${encodeURIComponent(item.device.entraObjectId ?? item.entraObjectId ?? '')}`,
        body: { extensionAttributes: attributes },
      };
    });
    const stats = deps.batchStats ? { stats: deps.batchStats } : {};
    const [intuneOutcomes, entraOutcomes] = await Promise.all([
      intuneRequests.length > 0
        ? sendChunks(limiter, tenantId, intuneRequests, (chunk) => sendBatched(deps.graph.intune(tenantId), chunk, { concurrency: 1, ...stats }))
        : Promise.resolve([]),
      entraRequests.length > 0
        ? sendChunks(limiter, tenantId, entraRequests, (chunk) => sendBatched(deps.graph.graph(tenantId), chunk, { concurrency: 1, ...stats }))
        : Promise.resolve([]),
    ]);

    let throttledUntil: number | undefined;
    intuneNow.forEach((item, index) => {
      const outcome = intuneOutcomes[index] ?? { status: 0, error: 'no answer' };
      const step = item.plan.intune;
      if (isOk(outcome) && step.kind === 'send') {
        item.intune = { kind: 'sent', value: step.value };
        summary.intuneSent += 1;
        return;
      }
      item.intune = classify(item, outcome, 'intune', now());
      if (outcome.status === 429) {
        const until = now() + (outcome.retryAfterSeconds ?? 1) * 1000;
        throttledUntil = Math.max(throttledUntil ?? 0, until);
      }
    });
    if (throttledUntil !== undefined) {
      await deps.budget.block(tenantId, new Date(throttledUntil)).catch((caught: unknown) => {
        deps.log.warn(`Compliance: could not record throttling for tenant ${tenantId}: ${toError(caught).message}`);
      });
    }
    entraNow.forEach((item, index) => {
      const outcome = entraOutcomes[index] ?? { status: 0, error: 'no answer' };
      const step = item.plan.entra;
      if (isOk(outcome) && step.kind === 'send') {
        item.entra = { kind: 'sent', value: step.value, attribute: step.attribute };
        summary.entraSent += 1;
        return;
      }
      item.entra = classify(item, outcome, 'entra', now());
    });

    // Record, then decide what comes back later.
    const at = deps.clock.now().toISOString();
    const followUps: QueueMessage[] = [];
    const failed: Failure[] = [];
    let progressed = 0;
    await mapLimit(work, 16, async (item) => {
      const outcome: PushOutcome = {
        version: item.plan.version,
        intune: item.intune,
        entra: item.entra,
        ...(item.entraObjectId ? { entraObjectId: item.entraObjectId } : {}),
      };
      let uncertain = false;
      try {
        await mutateDevice(
          deps.tables,
          tenantId,
          item.device.deviceId,
          (current) => {
            const result = recordOutcome(current, outcome, settings, at);
            uncertain = result.uncertain;
            // A device coming back later moves its pending index row to that time in the write made anyway, so
            // reconcile does not re-send it meanwhile (deferrals that write nothing: see reconcile.ts).
            return result.device && item.laterAt ? nudgeDeferredTo(result.device, item.laterAt) : result.device;
          },
          item.device,
          new Date(at),
        );
      } catch (caught) {
        item.errors.push(`record: ${toError(caught).message}`);
      }
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

  async function sendChunks(
    limiter: RoundRobinLimiter,
    tenantId: string,
    requests: readonly BatchRequest[],
    send: (chunk: readonly BatchRequest[]) => Promise<BatchOutcome[]>,
  ): Promise<BatchOutcome[]> {
    const chunks: BatchRequest[][] = [];
    for (let start = 0; start < requests.length; start += 20) chunks.push(requests.slice(start, start + 20));
    const results = await Promise.all(chunks.map((chunk) => limiter.run(tenantId, () => send(chunk))));
    return results.flat();
  }

  /** Pushes a batch of deliveries. Throws `PushFailed` when every device failed (the queue then redelivers). */
  return async function push(deliveries: readonly Delivery[]): Promise<PushSummary> {
    const summary = emptySummary();
    const limiter = new RoundRobinLimiter(deps.graphConcurrency ?? 8);
    const byTenant = coalesce(deliveries);
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
    if (deps.relayDeviceEvents) {
      const relay = deps.relayDeviceEvents;
      await Promise.all(
        [...byTenant].map(async ([tenantId, devices]) => {
          const partitions = new Set([...devices.values()].map((delivery) => devicePartitionKey(tenantId, delivery.nudge.deviceId)));
          await relay(tenantId, [...partitions]).catch((caught: unknown) =>
            deps.log.warn(`Compliance: device events of tenant ${tenantId} were not relayed now: ${toError(caught).message}`),
          );
        }),
      );
    }
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

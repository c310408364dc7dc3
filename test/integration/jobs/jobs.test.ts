/**
 * Timers that only schedule, against Azurite: the due-time index (claims, oldest first, moves), the tenant-jobs
 * queue function through the local host's queue stand-in (retries, dead letters), and the lifecycle that creates and
 * moves due rows (provisioning, consent, settings, sync now, the backfill of tenants that predate the index).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { LocalQueue } from '../../../dev/host/queue.js';
import { deviceSchema } from '../../../shared/devices/device.js';
import { putDevice } from '../../../shared/devices/deviceRepository.js';
import { tenantJobs } from '../../../functions/tenantJobs.js';
import { ManualClock } from '../../../shared/base/clock.js';
import { updateConnectorSettings } from '../../../shared/console/connectorSettings.js';
import { syncNow } from '../../../shared/enrollment/syncNow.js';
import { errorReportSchema } from '../../../shared/errorReports/errorReports.js';
import { claimDue, dueRows, idleDueMs, readDue, type DueRow, type JobKind } from '../../../shared/jobs/dueIndex.js';
import { readJobHealth } from '../../../shared/jobs/jobLease.js';
import { tenantJobSchema, tenantJobsQueueName, type TenantJob } from '../../../shared/jobs/messages.js';
import { makeTenantJobsDue } from '../../../shared/jobs/request.js';
import { reconcilePeriodMinutes, sweepPeriodMinutes } from '../../../shared/jobs/plan.js';
import { mutateDevice } from '../../../shared/devices/deviceRepository.js';
import { runTenantJob } from '../../../shared/app/tenantJobs.js';
import { scheduleDueJobs } from '../../../shared/app/tick.js';
import type { QueueMessage, QueueSenders } from '../../../shared/queues/queue.js';
import { createServices, type Services } from '../../../shared/app/services.js';
import { anyEntity, createTableStore, listAll, odata, type TableStore } from '../../../shared/storage/index.js';
import { provisionTenant as provisionThroughApi } from '../../../shared/onboarding/onboarding.js';
import { createTenant, activateTenant } from '../../../shared/tenants/tenantRepository.js';
import { quietLog, simConfig } from '../../support/simClient.js';
import { azuriteConnectionString, createTestTableStore } from '../../support/tables.js';

const minute = 60_000;
let tables: TableStore;
let clock: ManualClock;
let sent: QueueMessage[];
let complianceFails: number;
let queues: QueueSenders;
let services: Services;

function tenantId(index: number): string {
  // Spread over the 16 shards: the first hex digit varies.
  return `${(index % 16).toString(16)}${randomUUID().slice(1)}`;
}

async function activeTenant(id: string): Promise<void> {
  const at = clock.now().toISOString();
  await createTenant(tables, id, { displayName: `Tenant ${id.slice(0, 4)}`, fullAccessGroupId: randomUUID(), primaryContactEmail: 'a@b.test', status: 'provisioned', createdAt: at });
  await activateTenant(tables, id, { at });
}

function jobsSent(job?: JobKind): TenantJob[] {
  return sent
    .map((message) => tenantJobSchema.parse(message.body))
    .filter((body) => job === undefined || body.job === job);
}

beforeEach(async () => {
  tables = await createTestTableStore();
  clock = new ManualClock('2026-11-30T10:00:00.000Z');
  sent = [];
  complianceFails = 0;
  queues = (name) => ({
    send: (messages) => {
      if (name === 'compliance-updates' && complianceFails > 0) {
        complianceFails -= 1;
        return Promise.reject(new Error('Service Bus is unavailable'));
      }
      if (name === tenantJobsQueueName) sent.push(...messages);
      return Promise.resolve();
    },
  });
  services = createServices(simConfig('https://localhost:9'), { tables, clock, log: quietLog, queues: (name) => queues(name) });
});

describe('the due-time index', () => {
  it('lets exactly one of two instances claim the same due row', async () => {
    const id = tenantId(3);
    await activeTenant(id);
    await makeTenantJobsDue(services, id);
    const [row] = await collect(dueRows(tables, 'reconcile', clock.now().getTime()));
    expect(row?.tenantId).toBe(id);
    // A second instance: its own clients on the same account.
    const other = createTableStore({ connectionString: azuriteConnectionString() }, { prefix: physicalPrefix(tables) });
    const nowMs = clock.now().getTime();
    const results = await Promise.all([claimDue(tables, row as DueRow, nowMs + 5 * minute), claimDue(other, row as DueRow, nowMs + 5 * minute + 1)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const rows = listAll(tables.table('jobSchedule'), { schema: anyEntity, filter: odata`PartitionKey eq ${row?.partitionKey ?? ''}` });
    const all = await collect(rows);
    // One pointer and one due row, the winner's.
    expect(all.map((entity) => entity.rowKey).filter((key) => !key.startsWith('t|'))).toHaveLength(1);
    expect((await readDue(tables, id, 'reconcile'))?.dueMs).toBeGreaterThan(nowMs);
  });

  it('serves every due tenant in due order when more are due than one tick serves', async () => {
    const ids = Array.from({ length: 25 }, (_unused, index) => tenantId(index));
    // Tenants became due one minute apart, the last one first in id order.
    for (const [index, id] of ids.entries()) {
      await activeTenant(id);
      clock.set(new Date(Date.parse('2026-11-30T10:00:00.000Z') + (ids.length - index) * minute));
      await makeTenantJobsDue(services, id);
    }
    clock.set('2026-11-30T11:00:00.000Z');
    const expected = [...ids].reverse();
    const served: string[] = [];
    for (let tick = 0; tick < 3; tick += 1) {
      sent.length = 0;
      const result = await scheduleDueJobs(services, ['reconcile'], { maxPerJob: 10, backfillPerTick: 0 });
      expect(result.jobs[0]?.more).toBe(tick < 2);
      served.push(...jobsSent('reconcile').map((job) => job.tenantId));
    }
    expect(served).toEqual(expected);
    // Nothing is due any more until a period has passed.
    sent.length = 0;
    await scheduleDueJobs(services, ['reconcile'], { backfillPerTick: 0 });
    expect(jobsSent()).toEqual([]);
    clock.advance(reconcilePeriodMinutes * minute);
    await scheduleDueJobs(services, ['reconcile'], { backfillPerTick: 0 });
    expect(jobsSent('reconcile')).toHaveLength(25);
  });

  it('gives tenants provisioned before the index their rows from a bounded backfill', async () => {
    const ids = Array.from({ length: 7 }, (_unused, index) => tenantId(index));
    for (const id of ids) await activeTenant(id);
    const first = await scheduleDueJobs(services, ['discovery'], { backfillPerTick: 4 });
    expect(first.backfill).toMatchObject({ done: false, tenants: 4 });
    const second = await scheduleDueJobs(services, ['discovery'], { backfillPerTick: 4 });
    expect(second.backfill).toMatchObject({ done: true, tenants: 3 });
    expect(new Set(jobsSent('discovery').map((job) => job.tenantId))).toEqual(new Set(ids));
    // Done: later ticks do not look at the tenants again.
    const before = tables.stats.transactions;
    const third = await scheduleDueJobs(services, ['discovery'], { backfillPerTick: 4 });
    expect(third.backfill).toMatchObject({ done: true, tenants: 0 });
    // One empty range query per shard, nothing else.
    expect(tables.stats.transactions - before).toBe(16);
  });
});

describe('the tenant lifecycle and its due rows', () => {
  it('creates parked rows at provisioning and makes every job due at consent', async () => {
    const id = tenantId(5);
    await provisionThroughApi(services, { tenantId: id, displayName: 'Fabrikam', fullAccessGroupId: randomUUID(), primaryContactEmail: 'it@fabrikam.test' });
    for (const job of ['discovery', 'sweep', 'connector-heartbeat', 'reconcile', 'mail'] as const) {
      expect((await readDue(tables, id, job))?.dueMs, job).toBe(idleDueMs);
    }
    await scheduleDueJobs(services, ['discovery', 'reconcile'], { backfillPerTick: 0 });
    expect(jobsSent()).toEqual([]);

    await activateTenant(tables, id, { at: clock.now().toISOString() });
    await makeTenantJobsDue(services, id);
    expect(await readDue(tables, id, 'discovery')).toEqual({ dueMs: clock.now().getTime(), periodMinutes: 5 });
    expect(await readDue(tables, id, 'connector-heartbeat')).toEqual({ dueMs: clock.now().getTime(), periodMinutes: 60 });
    await scheduleDueJobs(services, ['discovery', 'sweep', 'connector-heartbeat', 'reconcile', 'mail'], { backfillPerTick: 0 });
    expect(jobsSent().map((job) => job.job).sort()).toEqual(['connector-heartbeat', 'discovery', 'mail', 'reconcile', 'sweep']);
  });

  it('moves the discovery and connector heartbeat rows when their intervals change', async () => {
    const id = tenantId(6);
    await activeTenant(id);
    await makeTenantJobsDue(services, id);
    await scheduleDueJobs(services, ['discovery', 'connector-heartbeat'], { backfillPerTick: 0 });
    const nowMs = clock.now().getTime();
    expect((await readDue(tables, id, 'connector-heartbeat'))?.dueMs).toBe(nowMs + 60 * minute);
    clock.advance(minute);
    const principal = { tenantId: id, userId: randomUUID(), name: 'Admin', upn: 'admin@t.test', access: 'full' as const };
    await updateConnectorSettings(services, principal, { heartbeatFrequencyMinutes: 15, enrollmentPollMinutes: 30 });
    expect(await readDue(tables, id, 'connector-heartbeat')).toEqual({ dueMs: clock.now().getTime() + 15 * minute, periodMinutes: 15 });
    // Discovery was due sooner than 30 minutes anyway: it keeps its time and takes the new period from then on.
    expect(await readDue(tables, id, 'discovery')).toEqual({ dueMs: nowMs + 5 * minute, periodMinutes: 30 });
    clock.set(new Date(nowMs + 5 * minute));
    sent.length = 0;
    await scheduleDueJobs(services, ['discovery'], { backfillPerTick: 0 });
    expect(jobsSent('discovery')).toHaveLength(1);
    expect((await readDue(tables, id, 'discovery'))?.dueMs).toBe(nowMs + 35 * minute);
  });

  it('queues sync now instead of running discovery in the request', async () => {
    const id = tenantId(7);
    await activeTenant(id);
    const answer = await syncNow(services, id);
    expect(answer).toMatchObject({ tenantId: id, status: 'queued' });
    expect(jobsSent()).toMatchObject([{ job: 'discovery', tenantId: id, reason: 'requested', dueMs: clock.now().getTime() }]);
    expect(sent[0]?.messageId).toBe(`discovery|${id}|${clock.now().getTime()}`);
    // Claimed as a tick would: the next tick sends nothing for it.
    sent.length = 0;
    await scheduleDueJobs(services, ['discovery'], { backfillPerTick: 0 });
    expect(jobsSent()).toEqual([]);
  });
});

describe('the tenant-jobs queue function', () => {
  let queue: LocalQueue | undefined;
  afterEach(async () => {
    await queue?.close();
    queue = undefined;
  });

  /** A device whose push has been waiting for 20 minutes (reconcile re-nudges after 15), written with its index rows. */
  async function deviceWaitingForPush(id: string): Promise<string> {
    const deviceId = randomUUID();
    const at = new Date(clock.now().getTime() - 20 * minute);
    const device = deviceSchema.parse({
      tenantId: id,
      deviceId,
      intuneDeviceId: deviceId,
      azureAdDeviceId: null,
      platform: 'ios',
      userId: randomUUID(),
      status: 'active',
      statusChangedAt: at.toISOString(),
      discoveredAt: at.toISOString(),
      lastCheckInAt: clock.now().toISOString(),
      version: 3,
      syncPending: true,
    });
    await putDevice(tables, device, at);
    return deviceId;
  }

  function consume(): LocalQueue {
    const handler = tenantJobs(services);
    queue = new LocalQueue({
      name: tenantJobsQueueName,
      cardinality: 'one',
      maxConcurrentCalls: 4,
      retryDelayMs: () => 5,
      functionName: 'tenantJobs',
      logHandler: () => undefined,
      handler: (messages, context) => handler(messages, context),
    });
    return queue;
  }

  it('retries a job that crashes part-way, frees its lease and loses nothing', async () => {
    const id = tenantId(8);
    await activeTenant(id);
    const deviceId = await deviceWaitingForPush(id);
    const nudges: QueueMessage[] = [];
    const local = consume();
    complianceFails = 1;
    queues = (name) => ({
      send: (messages) => {
        if (name === tenantJobsQueueName) return local.send(messages);
        if (complianceFails > 0) {
          complianceFails -= 1;
          return Promise.reject(new Error('Service Bus is unavailable'));
        }
        nudges.push(...messages);
        return Promise.resolve();
      },
    });
    await makeTenantJobsDue(services, id);
    await scheduleDueJobs(services, ['reconcile'], { backfillPerTick: 0 });
    await local.drain();
    // Delivered again after the crash, the run completed and gave its lease back.
    expect(local.counts()).toMatchObject({ active: 0, deadLettered: 0 });
    const [health] = await readJobHealth(tables, id);
    expect(health).toMatchObject({ job: 'reconcile', lastResult: 'ok', failures: 0 });
    expect(Date.parse(health?.expiresAt ?? '')).toBeLessThanOrEqual(clock.now().getTime());
    // The nudge that was lost with the crash is sent by a later pass (the device's wait is still indexed).
    clock.advance(16 * minute);
    await scheduleDueJobs(services, ['reconcile'], { backfillPerTick: 0 });
    await local.drain();
    expect(nudges.map((message) => message.body)).toEqual([{ tenantId: id, deviceId, version: 3 }]);
  });

  it('reports and reschedules a job that fails on every delivery, then dead-letters it', async () => {
    const id = tenantId(9);
    await activeTenant(id);
    await deviceWaitingForPush(id);
    // Its devices cannot be read, on every delivery.
    const broken = TableClient.fromConnectionString(azuriteConnectionString(), 'Nosuchdevicetable', { allowInsecureConnection: true });
    services = createServices(simConfig('https://localhost:9'), {
      tables: { ...tables, table: (name) => (name === 'devices' ? broken : tables.table(name)) },
      clock,
      log: quietLog,
      queues: (name) => queues(name),
    });
    const local = consume();
    queues = (name) => ({
      send: (messages) => (name === tenantJobsQueueName ? local.send(messages) : Promise.resolve()),
    });
    await makeTenantJobsDue(services, id);
    await scheduleDueJobs(services, ['reconcile'], { backfillPerTick: 0 });
    await local.drain({ timeoutMs: 20_000 });
    expect(local.counts().deadLettered).toBe(1);
    const [health] = await readJobHealth(tables, id);
    expect(health).toMatchObject({ job: 'reconcile', lastResult: 'dead-lettered', deadLetters: 1, failures: 10 });
    expect(health?.deadLetterReason).toMatch(/^MaxDeliveryCountExceeded: ./);
    const reports = await collect(listAll(tables.table('errorReports'), { schema: errorReportSchema, filter: odata`PartitionKey eq ${id}` }));
    expect(reports).toMatchObject([{ kind: 'dead-letter', count: 1 }]);
    // Still scheduled: due again within a period, and the error report made the tenant's mail due.
    expect((await readDue(tables, id, 'reconcile'))?.dueMs).toBeLessThanOrEqual(clock.now().getTime() + 15 * minute);
    expect((await readDue(tables, id, 'mail'))?.dueMs).toBeLessThanOrEqual(clock.now().getTime());
  });

  it('runs one job of a kind at a time per tenant: a second message waits or is covered', async () => {
    const id = tenantId(10);
    await activeTenant(id);
    const dueMs = clock.now().getTime();
    const release: (() => void)[] = [];
    let running = 0;
    let most = 0;
    queues = (name) => ({
      send: async (messages) => {
        if (name === tenantJobsQueueName) {
          sent.push(...messages);
          return;
        }
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => release.push(resolve));
        running -= 1;
      },
    });
    await deviceWaitingForPush(id);
    const first = runTenantJob(services, { job: 'reconcile', tenantId: id, dueMs }, { messageId: 'a', deliveryCount: 1 });
    while (release.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    // A message due before the run started is covered by it; one due after it waits for it to end.
    expect(await runTenantJob(services, { job: 'reconcile', tenantId: id, dueMs: dueMs - 1 }, { messageId: 'b', deliveryCount: 1 })).toMatchObject({ status: 'covered' });
    expect(await runTenantJob(services, { job: 'reconcile', tenantId: id, dueMs: dueMs + 1 }, { messageId: 'c', deliveryCount: 1 })).toMatchObject({ status: 'waiting' });
    expect(jobsSent()).toMatchObject([{ job: 'reconcile', tenantId: id, dueMs: dueMs + 1, waits: 1 }]);
    release.shift()?.();
    expect(await first).toMatchObject({ status: 'completed' });
    expect(most).toBe(1);
    expect(await runTenantJob(services, { job: 'reconcile', tenantId: id, dueMs }, { messageId: 'a', deliveryCount: 2 })).toMatchObject({ status: 'already-done' });
  });
});

describe('sweep and reconcile run when something falls due', () => {
  const hour = 60 * minute;
  const day = 24 * hour;

  function device(id: string, fields: { lastCheckInAt: string; syncPending?: boolean }) {
    const deviceId = randomUUID();
    return deviceSchema.parse({
      tenantId: id,
      deviceId,
      intuneDeviceId: deviceId,
      azureAdDeviceId: null,
      platform: 'android',
      userId: randomUUID(),
      status: 'active',
      statusChangedAt: fields.lastCheckInAt,
      discoveredAt: fields.lastCheckInAt,
      lastCheckInAt: fields.lastCheckInAt,
      version: 1,
      syncPending: fields.syncPending ?? false,
    });
  }

  /** Claims the tenant's due row of `job` as a tick would, then runs the job. */
  async function tickAndRun(id: string, job: JobKind): Promise<void> {
    sent.length = 0;
    await scheduleDueJobs(services, [job], { backfillPerTick: 0 });
    const [message] = jobsSent(job).filter((body) => body.tenantId === id);
    expect(message, `${job} was due`).toBeDefined();
    if (message) expect(await runTenantJob(services, message, { messageId: `${job}-${message.dueMs}`, deliveryCount: 1 })).toMatchObject({ status: 'completed' });
  }

  it('makes reconcile due when a device starts waiting for a push, and leaves a tenant with nothing waiting alone', async () => {
    const id = tenantId(11);
    await activeTenant(id);
    await makeTenantJobsDue(services, id);
    await tickAndRun(id, 'reconcile');
    const start = clock.now().getTime();
    // Nothing waits: the next run is the backstop period away.
    expect((await readDue(tables, id, 'reconcile'))?.dueMs).toBe(start + reconcilePeriodMinutes * minute);

    // A device starts waiting for a push: reconcile is due when its nudge may need re-sending.
    clock.advance(minute);
    const waiting = await putDevice(tables, device(id, { lastCheckInAt: clock.now().toISOString(), syncPending: true }), clock.now());
    expect((await readDue(tables, id, 'reconcile'))?.dueMs).toBe(clock.now().getTime() + 15 * minute);

    // Its push never happened (the nudge was lost): that run re-sends it, and looks again a bound later.
    const nudges: QueueMessage[] = [];
    queues = (name) => ({
      send: (messages) => {
        if (name === tenantJobsQueueName) sent.push(...messages);
        else nudges.push(...messages);
        return Promise.resolve();
      },
    });
    clock.advance(15 * minute);
    await tickAndRun(id, 'reconcile');
    expect(nudges.map((message) => message.body)).toEqual([{ tenantId: id, deviceId: waiting.deviceId, version: 1 }]);
    expect((await readDue(tables, id, 'reconcile'))?.dueMs).toBe(clock.now().getTime() + 15 * minute);

    // The push lands: the next run finds nothing waiting and goes back to the backstop.
    await mutateDevice(tables, id, waiting.deviceId, (row) => ({ ...row, syncPending: false }), undefined, clock.now());
    clock.advance(15 * minute);
    await tickAndRun(id, 'reconcile');
    expect(nudges).toHaveLength(1);
    // The next run is the one that reads every partition, a period after the first did.
    expect((await readDue(tables, id, 'reconcile'))?.dueMs).toBe(start + reconcilePeriodMinutes * minute);
  });

  it('sweeps a tenant again when its next device falls silent, not on every period', async () => {
    const id = tenantId(12);
    await activeTenant(id);
    const start = clock.now().getTime();
    // One device checks in now; another went quiet 6 days and 20 hours ago (silent after 7 days, the default).
    await putDevice(tables, device(id, { lastCheckInAt: clock.now().toISOString() }), clock.now());
    const quietSince = start - 6 * day - 20 * hour;
    const quiet = await putDevice(tables, device(id, { lastCheckInAt: new Date(quietSince).toISOString() }), clock.now());
    await makeTenantJobsDue(services, id);
    await tickAndRun(id, 'sweep');
    // Nobody is silent yet; the sweep is due when the quiet device will be (the cutoff allows 15 minutes of check-in slack).
    const silentAt = quietSince + 7 * day + 15 * minute;
    expect((await readDue(tables, id, 'sweep'))?.dueMs).toBe(silentAt);

    clock.set(new Date(silentAt));
    await tickAndRun(id, 'sweep');
    const rows = await collect(listAll(tables.table('devices'), { schema: anyEntity, filter: odata`RowKey eq ${quiet.deviceId}` }));
    expect(rows.map((row) => row.status)).toEqual(['disconnected']);
    // The other device checked in this morning: nothing more falls silent before the next full read, a period after the first.
    expect((await readDue(tables, id, 'sweep'))?.dueMs).toBe(start + sweepPeriodMinutes * minute);
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function physicalPrefix(store: TableStore): string {
  const physical = store.physicalName('tenants');
  return physical.slice(0, physical.length - 'Tenants'.length);
}


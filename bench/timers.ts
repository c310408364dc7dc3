/**
 * `npm run bench:timers`: what each timer tick and the tenant jobs it enqueues cost, at growing numbers of tenants,
 * through the local host (the catalog Azure runs, its `tenant-jobs` queue stand-in with several calls at once standing
 * for instances), Azurite and the simulated tenant.
 *
 * Workload: T small tenants (TENANTS, default 100,1000,5000; DEVICES_PER_TENANT devices each, default 4: one active
 * device silent for 10 days, one waiting for a push, the rest fresh), and one tenant of BIG_DEVICES devices (default
 * 100,000; 1 % silent, 1 % waiting). Every tenant's jobs are due (within the last minute); mail is due for one tenant in
 * ten. The small tenants are in steady state: their last full sweep and reconcile read (every partition) was an hour
 * ago, and the index hints name the partitions of their silent and waiting devices; the big tenant has no such state,
 * so its runs are full reads. Each scenario has tables of its own (Azurite scans a whole table per query).
 *
 * Per tick and per job pass it counts: storage transactions, entities examined by queries (as Table Storage counts
 * them: every entity in a query's key range; a query whose filter holds more than keys is re-counted over its key
 * range afterwards), point reads, queue messages, Graph calls (the simulator's count) and wall time; and for each job the delay between
 * its due time and its start. "Before" runs the all-tenants passes the timers ran before the due-time index
 * (`runHeartbeatCheck`, `reconcile`, `runMail`, `runDueEnrollmentSyncs`) on the same tables.
 *
 * It also activates one device in each of HEARTBEAT_TENANTS tenants (default 1,000) and sends each one agent
 * heartbeat an agent interval later, alternating between two host instances, counting the storage transactions.
 *
 * Ends with one line of JSON: entitiesExaminedPerDueItem (worst periodic job), dueCostRatio (tick transactions and wall
 * time per due item, largest T ÷ smallest), messagesPerDevicePushed (a push backlog run by bench/backlog.ts; BACKLOG=off skips it),
 * heartbeatTransactions (per heartbeat), and the figures behind them.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { catalog } from '../functions/catalog.js';
import type { CatalogEntry, QueueFunctionHandler } from '../functions/handlers.js';
import type { LocalHost } from '../dev/host/server.js';
import { generateScenario } from '../dev/sim/generate.js';
import type { Scenario } from '../dev/sim/scenario.js';
import type { Simulator } from '../dev/sim/server.js';
import { ensureLocalCa } from '../dev/sim/tls.js';
import { ManualClock } from '../shared/base/clock.js';
import { reconcile as reconcileAllTenants } from '../shared/compliance/reconcile.js';
import { activateDevice } from '../shared/devices/activation.js';
import { deviceSchema, deviceToEntity } from '../shared/devices/device.js';
import { deviceIndexActions, withIndexFields } from '../shared/devices/deviceIndex.js';
import { bucketOf } from '../shared/devices/indexHints.js';
import { runDueEnrollmentSyncs } from '../shared/enrollment/schedule.js';
import { runHeartbeatCheck } from '../shared/heartbeat/heartbeatCheck.js';
import { duePartitionOf, dueRowKey, idleDueMs, jobKinds, pointerRowKey, type JobKind } from '../shared/jobs/dueIndex.js';
import { tenantJobSchema, tenantJobsQueueName } from '../shared/jobs/messages.js';
import { backfillPartition, backfillRowKey } from '../shared/jobs/backfill.js';
import { jobPeriodMinutes } from '../shared/jobs/plan.js';
import { defaultConnectorSettings } from '../shared/domain/index.js';
import { runMail } from '../shared/mail/run.js';
import type { QueueMessage, QueueSenders } from '../shared/queues/queue.js';
import type { Services } from '../shared/app/services.js';
import type { Logger } from '../shared/base/logger.js';
import { physicalTableName, submitInBatches, tableNames, type TableName, type TableStore } from '../shared/storage/index.js';
import { startStack, type Stack } from '../test/support/stack.js';
import { ensureBenchTrust } from './trust.js';
import { runBacklogBench } from './backlog.js';

const env = process.env;
const sizes = (env.TENANTS ?? '100,1000,5000').split(',').map(Number).filter((n) => n > 0);
const devicesPerTenant = Math.max(2, Number(env.DEVICES_PER_TENANT ?? 4));
const bigDevices = Number(env.BIG_DEVICES ?? 100_000);
const heartbeatTenants = Number(env.HEARTBEAT_TENANTS ?? 1_000);
/** Above this many tenants only the ticks are measured: a job's cost does not depend on the number of tenants. */
const jobsMaxTenants = Number(env.JOBS_MAX_TENANTS ?? 1_000);
const clientId = '33333333-3333-4333-8333-333333333333';
const clientSecret = 'bench-client-secret';
const quiet: Logger = { info: () => undefined, warn: () => undefined, error: (line) => console.error(line) };
const minute = 60_000;
const dayMs = 24 * 60 * minute;

// ---- a TableStore that counts what Table Storage would ---------------------------------------------------------

interface Counters {
  transactions: number;
  /** Entities in the key ranges of queries. */
  examined: number;
  /** Point reads that found their entity (one entity each). */
  pointReads: number;
  /** Queries with a filter on more than keys: their key ranges, counted after the measured step. */
  keyRanges: { physical: string; filter: string | undefined }[];
}

const simpleKeyPredicate = /^\(?\s*(PartitionKey|RowKey)\s+(eq|ne|gt|ge|lt|le)\s+'(?:[^']|'')*'\s*\)?$/;

/** Splits a filter at its top-level `and`s (outside quotes and parentheses). */
function conjuncts(filter: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let index = 0; index < filter.length; index += 1) {
    const char = filter.charAt(index);
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '(') depth += 1;
    else if (!quoted && char === ')') depth -= 1;
    else if (!quoted && depth === 0 && filter.startsWith(' and ', index)) {
      parts.push(filter.slice(start, index).trim());
      start = index + 5;
      index += 4;
    }
  }
  parts.push(filter.slice(start).trim());
  return parts.filter((part) => part !== '');
}

/** The key range a query examines: its PartitionKey conditions, and its RowKey ones when one partition is named. */
function keyRangeOf(filter: string): { keysOnly: boolean; range: string | undefined } {
  const parts = conjuncts(filter);
  const keys = parts.filter((part) => simpleKeyPredicate.test(part));
  const partition = keys.filter((part) => part.includes('PartitionKey'));
  const pinned = partition.some((part) => /PartitionKey\s+eq\s/.test(part));
  const range = [...partition, ...(pinned ? keys.filter((part) => part.includes('RowKey')) : [])];
  return { keysOnly: parts.length > 0 && keys.length === parts.length, range: range.length > 0 ? range.join(' and ') : undefined };
}

const pageBody = z.object({ value: z.array(z.unknown()) });

function countingStore(connectionString: string, prefix: string): TableStore & { counters: Counters } {
  const counters: Counters = { transactions: 0, examined: 0, pointReads: 0, keyRanges: [] };
  const stats = {
    get transactions() {
      return counters.transactions;
    },
  };
  const policy = {
    name: 'benchCounter',
    sendRequest: async (request: { method: string; url: string }, next: (request: never) => Promise<{ status: number; bodyAsText?: string | null }>) => {
      counters.transactions += 1;
      const response = await next(request as never);
      if (request.method === 'GET') {
        const url = new URL(request.url);
        const path = decodeURIComponent(url.pathname);
        if (/\(PartitionKey=/.test(path)) {
          if (response.status === 200) counters.pointReads += 1;
        } else {
          const filter = url.searchParams.get('$filter') ?? '';
          const { keysOnly, range } = keyRangeOf(filter);
          if (keysOnly) {
            let body: unknown;
            try {
              body = JSON.parse(response.bodyAsText ?? '{}');
            } catch {
              body = undefined;
            }
            const parsed = pageBody.safeParse(body);
            counters.examined += parsed.success ? parsed.data.value.length : 0;
          } else if (!url.searchParams.has('NextPartitionKey') && !url.searchParams.has('NextRowKey')) {
            const physical = /\/([A-Za-z0-9]+)\(\)$/.exec(path)?.[1] ?? '';
            counters.keyRanges.push({ physical, filter: range });
          }
        }
      }
      return response;
    },
  };
  const clients = new Map<TableName, TableClient>();
  const table = (name: TableName): TableClient => {
    let client = clients.get(name);
    if (!client) {
      client = TableClient.fromConnectionString(connectionString, physicalTableName(name, prefix), {
        allowInsecureConnection: true,
        additionalPolicies: [{ policy: policy as never, position: 'perRetry' }],
      });
      clients.set(name, client);
    }
    return client;
  };
  let ensured: Promise<void> | undefined;
  return {
    table,
    physicalName: (name) => physicalTableName(name, prefix),
    ensureTables: () => (ensured ??= Promise.all(tableNames.map((name) => table(name).createTable())).then(() => undefined)),
    stats,
    counters,
  };
}

/** Counts the entities in the key ranges of the filtered queries of a step (one uncounted query per range). */
async function settleKeyRanges(connectionString: string, counters: Counters): Promise<void> {
  const ranges = counters.keyRanges.splice(0);
  for (const { physical, filter } of ranges) {
    const client = TableClient.fromConnectionString(connectionString, physical, { allowInsecureConnection: true });
    for await (const page of client.listEntities({ queryOptions: { ...(filter ? { filter } : {}), select: ['PartitionKey'] } }).byPage({ maxPageSize: 1000 })) {
      counters.examined += page.length;
    }
  }
}

// ---- seeding -------------------------------------------------------------------------------------------------------

interface Scenario1 {
  readonly label: string;
  readonly tenants: readonly string[];
  readonly devices: number;
  readonly mailDue: number;
}

function tenantIdFor(label: string, index: number): string {
  const hex = (index + 1).toString(16).padStart(12, '0');
  const tag = Buffer.from(label).toString('hex').padEnd(4, '0').slice(0, 4);
  // The first hex digit varies with the index, so tenants spread over the index's shards as real GUIDs do.
  return `${(index % 16).toString(16)}${randomUUID().slice(1, 8)}-${tag}-4000-8000-${hex}`;
}

async function seed(tables: TableStore, scenario: Scenario1, nowMs: number, options: { big: boolean }): Promise<void> {
  const tenantHints = new Map<string, { fullAtMs: number; next: Record<string, number> }>();
  const at = new Date(nowMs).toISOString();
  const silentAt = new Date(nowMs - 10 * dayMs).toISOString();
  const tenantRows = scenario.tenants.map((tenantId) =>
    tables.table('tenants').createEntity({
      partitionKey: tenantId,
      rowKey: 'tenant',
      displayName: `Tenant ${tenantId.slice(0, 6)}`,
      fullAccessGroupId: randomUUID(),
      primaryContactEmail: 'it@tenant.test',
      status: 'active',
      createdAt: at,
      consentedAt: at,
    }),
  );
  await Promise.all(tenantRows);
  // The backfill has run: every tenant has its rows.
  await tables.table('jobSchedule').upsertEntity({ partitionKey: backfillPartition, rowKey: backfillRowKey, done: true, tenants: scenario.tenants.length });

  const schedule: TransactionAction[] = [];
  scenario.tenants.forEach((tenantId, index) => {
    for (const job of jobKinds) {
      const parked = (job === 'mail' && index % 10 !== 0) || (options.big && job === 'discovery');
      const dueMs = parked ? idleDueMs : nowMs - Math.floor(((index * 7919) % 60_000));
      const periodMinutes = jobPeriodMinutes(job, defaultConnectorSettings);
      const fields = { tenantId, job, dueMs, ...(periodMinutes !== undefined ? { periodMinutes } : {}) };
      schedule.push(['upsert', { partitionKey: duePartitionOf(job, tenantId), rowKey: dueRowKey(dueMs, tenantId), ...fields, dueAt: new Date(Math.min(dueMs, 8.64e15)).toISOString() }, 'Replace']);
      schedule.push(['upsert', { partitionKey: duePartitionOf(job, tenantId), rowKey: pointerRowKey(tenantId), ...fields, dueRowKey: dueRowKey(dueMs, tenantId) }, 'Replace']);
    }
  });
  await writeSorted(tables, 'jobSchedule', schedule);

  const devices: TransactionAction[] = [];
  const hints: TransactionAction[] = [];
  for (const tenantId of scenario.tenants) {
    const count = options.big ? scenario.devices : devicesPerTenant;
    if (!options.big) {
      // Steady state for the small tenants: their last full sweep and reconcile read was an hour ago, and the hints
      // name the partitions of their silent and waiting devices (the big tenant has none: its runs read every partition).
      const fullAtMs = nowMs - 60 * minute;
      hints.push(['upsert', { partitionKey: tenantId, rowKey: 'reconcile', fullAtMs }, 'Replace']);
      tenantHints.set(tenantId, { fullAtMs, next: {} });
    }
    for (let n = 0; n < count; n += 1) {
      const deviceId = randomUUID();
      const silent = options.big ? n % 100 === 0 : n === 0;
      const pending = options.big ? n % 100 === 1 : n === 1;
      const device = deviceSchema.parse({
        tenantId,
        deviceId,
        intuneDeviceId: deviceId,
        azureAdDeviceId: randomUUID(),
        deviceName: `Phone ${n}`,
        platform: n % 2 === 0 ? 'ios' : 'android',
        osVersion: '17',
        userId: randomUUID(),
        status: 'active',
        statusChangedAt: at,
        discoveredAt: at,
        activatedAt: at,
        lastCheckInAt: silent ? silentAt : at,
        hasReport: true,
        riskLevel: 'none',
        version: pending ? 4 : 3,
        intuneState: 'secured',
        intuneVersion: 3,
        intuneAt: at,
        intuneResult: 'sent',
        syncPending: pending,
      });
      // With its index rows (the check-in and pending-push rows of shared/devices/deviceIndex.ts), as the device seam writes them.
      const indexed = withIndexFields(undefined, device, new Date(nowMs - 20 * minute));
      devices.push(['upsert', deviceToEntity(indexed), 'Replace'], ...deviceIndexActions(undefined, indexed));
      const state = tenantHints.get(tenantId);
      if (state && pending) hints.push(['upsert', { partitionKey: tenantId, rowKey: `p|${bucketOf(deviceId)}`, atMs: nowMs - 20 * minute }, 'Replace']);
      if (state && silent) state.next[bucketOf(deviceId)] = nowMs - 10 * dayMs;
    }
    const state = tenantHints.get(tenantId);
    if (state) hints.push(['upsert', { partitionKey: tenantId, rowKey: 'sweep', fullAtMs: state.fullAtMs, days: defaultConnectorSettings.disconnectedAfterDays, next: JSON.stringify(state.next) }, 'Replace']);
  }
  await writeSorted(tables, 'devices', devices);
  await writeSorted(tables, 'indexHints', hints);
}

async function writeSorted(tables: TableStore, name: TableName, actions: TransactionAction[]): Promise<void> {
  const sorted = [...actions].sort((a, b) => (a[1].partitionKey < b[1].partitionKey ? -1 : a[1].partitionKey > b[1].partitionKey ? 1 : 0));
  const step = 20_000;
  for (let start = 0; start < sorted.length; start += step) await submitInBatches(tables.table(name), sorted.slice(start, start + step));
}

// ---- measuring -----------------------------------------------------------------------------------------------------

interface Figures {
  transactions: number;
  /** Entities examined by queries (every entity in each query's key range). */
  examined: number;
  pointReads: number;
  messages: number;
  graphCalls: number;
  wallMs: number;
}

interface Meter {
  readonly tables: TableStore & { counters: Counters };
  readonly sent: Map<string, number>;
  readonly sim: Simulator;
  readonly connectionString: string;
}

async function measure(meter: Meter, step: () => Promise<unknown>): Promise<Figures> {
  const before = { t: meter.tables.counters.transactions, e: meter.tables.counters.examined, p: meter.tables.counters.pointReads, m: sum(meter.sent), g: meter.sim.state.stats().total };
  meter.tables.counters.keyRanges.length = 0;
  const started = performance.now();
  await step();
  const wallMs = performance.now() - started;
  const transactions = meter.tables.counters.transactions - before.t;
  await settleKeyRanges(meter.connectionString, meter.tables.counters);
  return {
    transactions,
    examined: meter.tables.counters.examined - before.e,
    pointReads: meter.tables.counters.pointReads - before.p,
    messages: sum(meter.sent) - before.m,
    graphCalls: meter.sim.state.stats().total - before.g,
    wallMs,
  };
}

const sum = (counts: Map<string, number>): number => [...counts.values()].reduce((total, value) => total + value, 0);

/**
 * Queue senders that count and hand tenant jobs to the host (nudges are counted and dropped: no push here). While a
 * tick is measured, tenant jobs are held and handed over when it ends, so the tick's figures are its own.
 */
function countingQueues(sent: Map<string, number>, host: () => QueueSenders): QueueSenders & { hold(): void; discard(): void; release(): Promise<void> } {
  let held: QueueMessage[] | undefined;
  const senders: QueueSenders = (name) => ({
    send: async (messages) => {
      sent.set(name, (sent.get(name) ?? 0) + messages.length);
      if (name !== tenantJobsQueueName) return;
      if (held) held.push(...messages);
      else await host()(name).send(messages);
    },
  });
  return Object.assign(senders, {
    hold: () => {
      held = [];
    },
    discard: () => {
      held = undefined;
    },
    release: async () => {
      const messages = held ?? [];
      held = undefined;
      for (let start = 0; start < messages.length; start += 500) await host()(tenantJobsQueueName).send(messages.slice(start, start + 500));
    },
  });
}

const timers: { name: string; jobs: JobKind[] }[] = [
  { name: 'heartbeatCheck', jobs: ['sweep', 'connector-heartbeat'] },
  { name: 'reconcile', jobs: ['reconcile'] },
  { name: 'mail', jobs: ['mail'] },
  { name: 'enrollmentSync', jobs: ['discovery'] },
];

interface TimerResult {
  timer: string;
  due: number;
  tick: Figures;
  jobs: Figures;
  /** Largest delay from due time to job start, and the job's period. */
  maxStartLagMs: number;
  periodMs: number;
  before?: Figures;
}

const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2));
const per = (value: number, count: number): number => (count > 0 ? value / count : 0);

/** Azurite and the simulated tenant, shared by every scenario; each scenario starts a host of its own on tables of its own. */
type BenchStack = Stack<{ host: false }>;

async function runScenario(stack: BenchStack, scenario: Scenario1, big: boolean): Promise<TimerResult[]> {
  const { config, connectionString, sim } = stack;
  const prefix = `B${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const tables = countingStore(connectionString, prefix);
  await tables.ensureTables();
  const nowMs = Date.now();
  const seedStarted = performance.now();
  await seed(tables, scenario, nowMs, { big });
  const runJobs = big || scenario.tenants.length <= jobsMaxTenants;
  let tickFiredAt = Date.now();
  console.log(`\n${scenario.label}: seeded ${scenario.tenants.length} tenants, ${scenario.devices.toLocaleString('en-US')} devices in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const sent = new Map<string, number>();
  const starts: { job: JobKind; lagMs: number }[] = [];
  const hostRef: { current?: LocalHost } = {};
  const hostQueues = (): QueueSenders => (name) => {
    const queue = hostRef.current?.queues.get(name);
    if (!queue) throw new Error(`no queue ${name}`);
    return queue;
  };
  const queues = countingQueues(sent, hostQueues);
  // The catalog as Azure runs it, with the tenant-jobs function noting when each job starts.
  const measured: CatalogEntry[] = catalog.map((entry) =>
    entry.kind === 'serviceBusQueue' && entry.queueName === tenantJobsQueueName
      ? {
          ...entry,
          handler: (s: Services): QueueFunctionHandler => {
            const inner = entry.handler(s);
            return async (messages, context) => {
              for (const message of messages) {
                const parsed = tenantJobSchema.safeParse(message);
                // How long after it was due (or after its tick fired, for rows seeded as already due) the job started.
                if (parsed.success) starts.push({ job: parsed.data.job, lagMs: Date.now() - Math.max(parsed.data.dueMs, tickFiredAt) });
              }
              await inner(messages, context);
            };
          },
        }
      : entry,
  );
  const { host, services } = await stack.addHost({
    catalog: measured,
    functionKey: 'bench',
    queue: { retryDelayMs: () => 50 },
    overrides: { tables, log: quiet, queues },
  });
  hostRef.current = host;
  const meter: Meter = { tables, sent, sim, connectionString };
  const jobsQueue = host.queues.get(tenantJobsQueueName);
  const results: TimerResult[] = [];
  try {
    for (const timer of timers) {
      starts.length = 0;
      queues.hold();
      tickFiredAt = Date.now();
      const tick = await measure(meter, () => host.fireTimer(timer.name));
      const due = tick.messages;
      if (!runJobs) queues.discard();
      const jobs = runJobs
        ? await measure(meter, async () => {
            await queues.release();
            await jobsQueue?.drain({ timeoutMs: 30 * minute });
          })
        : { transactions: 0, examined: 0, pointReads: 0, messages: 0, graphCalls: 0, wallMs: 0 };
      // Mail has no period: it is sent by the next mail tick (every minute).
      const periods = timer.jobs.map((job) => (jobPeriodMinutes(job, defaultConnectorSettings) ?? 1) * minute);
      results.push({
        timer: timer.name,
        due,
        tick,
        jobs,
        maxStartLagMs: Math.max(0, ...starts.map((start) => start.lagMs)),
        periodMs: Math.min(...periods),
      });
    }
    // Before: the all-tenants passes of the old timers, on the same tables.
    const old: Record<string, () => Promise<unknown>> = {
      heartbeatCheck: () => runHeartbeatCheck(services, {}),
      reconcile: () => reconcileAllTenants(services),
      mail: () => runMail({ tables, clock: services.clock, log: quiet, mail: services.mail, publicBaseUrl: config.PUBLIC_BASE_URL }),
      enrollmentSync: () => runDueEnrollmentSyncs(services),
    };
    for (const result of results) {
      if ((big && result.timer === 'enrollmentSync') || !runJobs) continue;
      const step = old[result.timer];
      if (step) result.before = await measure(meter, step);
    }
  } finally {
    await host.close();
  }
  for (const result of results) {
    const b = result.before;
    if (!runJobs) {
      console.log(`  ${result.timer.padEnd(15)} due ${fmt(result.due).padStart(6)} | tick: ${fmt(result.tick.transactions)} tx, ${fmt(result.tick.examined)} examined, ${fmt(result.tick.messages)} msgs, ${fmt(result.tick.wallMs / 1000)} s | jobs not run (above JOBS_MAX_TENANTS)`);
      continue;
    }
    console.log(
      `  ${result.timer.padEnd(15)} due ${fmt(result.due).padStart(6)} | tick: ${fmt(result.tick.transactions)} tx, ${fmt(result.tick.examined)} examined, ` +
        `${fmt(result.tick.messages)} msgs, ${fmt(result.tick.wallMs / 1000)} s | jobs: ${fmt(result.jobs.transactions)} tx, ${fmt(result.jobs.examined)} examined, ${fmt(result.jobs.pointReads)} point reads, ` +
        `${fmt(result.jobs.messages)} msgs, ${fmt(result.jobs.graphCalls)} Graph, ${fmt(result.jobs.wallMs / 1000)} s, start lag ≤ ${fmt(result.maxStartLagMs / 1000)} s ` +
        `(period ${result.periodMs / minute} min)` +
        (b ? ` | before: ${fmt(b.transactions)} tx, ${fmt(b.examined)} examined, ${fmt(b.messages)} msgs, ${fmt(b.graphCalls)} Graph, ${fmt(b.wallMs / 1000)} s` : ''),
    );
  }
  return results;
}

// ---- the agent heartbeat ---------------------------------------------------------------------------------------------

async function heartbeatBench(stack: BenchStack): Promise<{ perHeartbeat: number; heartbeats: number }> {
  const prefix = `H${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const tables = countingStore(stack.connectionString, prefix);
  await tables.ensureTables();
  const clock = new ManualClock(new Date());
  const tenants = Array.from({ length: heartbeatTenants }, (_unused, index) => tenantIdFor('hb', index));
  const at = clock.now().toISOString();
  await Promise.all(
    tenants.map((tenantId) =>
      tables.table('tenants').createEntity({ partitionKey: tenantId, rowKey: 'tenant', displayName: 'T', fullAccessGroupId: randomUUID(), primaryContactEmail: 'a@b.test', status: 'active', createdAt: at, consentedAt: at }),
    ),
  );
  const noQueues: QueueSenders = () => ({ send: () => Promise.resolve() });
  const overrides = { tables, clock, log: quiet, queues: noQueues };
  const hosts: LocalHost[] = [];
  for (let index = 0; index < 2; index += 1) hosts.push((await stack.addHost({ functionKey: 'bench', overrides })).host);
  try {
    const services = stack.buildServices(overrides);
    const tokens: string[] = [];
    const devices: TransactionAction[] = [];
    const owners: { tenantId: string; deviceId: string; userId: string }[] = [];
    for (const tenantId of tenants) {
      const deviceId = randomUUID();
      const userId = randomUUID();
      owners.push({ tenantId, deviceId, userId });
      devices.push(['upsert', deviceToEntity(deviceSchema.parse({ tenantId, deviceId, intuneDeviceId: deviceId, azureAdDeviceId: null, platform: 'ios', userId, status: 'pending', statusChangedAt: at, discoveredAt: at })), 'Replace']);
    }
    await writeSorted(tables, 'devices', devices);
    for (const { tenantId, deviceId, userId } of owners) {
      const result = await activateDevice(services, { tenantId, userId }, { intuneDeviceId: deviceId, platform: 'ios', osVersion: '17.5', appVersion: '1.0.0' });
      tokens.push(result.deviceToken);
    }
    // One agent interval later (settings default: 60 minutes), each device checks in once, through either instance.
    clock.advance(defaultConnectorSettings.heartbeatFrequencyMinutes * minute);
    const before = tables.counters.transactions;
    let index = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (index < tokens.length) {
          const token = tokens[index] ?? '';
          const host = hosts[index % 2];
          index += 1;
          const response = await fetch(`${host?.url ?? ''}/api/v1/device/heartbeat`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ appVersion: '1.0.0' }),
          });
          await response.arrayBuffer();
          if (response.status >= 400) throw new Error(`heartbeat answered ${response.status}`);
        }
      }),
    );
    const perHeartbeat = (tables.counters.transactions - before) / tokens.length;
    console.log(`\nAgent heartbeat, ${tokens.length} tenants, two host instances, one agent interval after activation: ${perHeartbeat.toFixed(2)} storage transactions per heartbeat`);
    return { perHeartbeat, heartbeats: tokens.length };
  } finally {
    await Promise.all(hosts.map((host) => host.close()));
  }
}

// ---- main ----------------------------------------------------------------------------------------------------------

/** Queue messages per device pushed under a backlog longer than duplicate detection (bench/backlog.ts; BACKLOG=off skips it). */
async function backlogFigure(tlsDir: string): Promise<number | null> {
  if (env.BACKLOG === 'off') return null;
  const figures = await runBacklogBench({ tlsDir });
  console.log(`Push backlog over the duplicate-detection window: ${figures.messagesPerDevicePushed.toFixed(2)} queue messages per device pushed`);
  return figures.messagesPerDevicePushed;
}

async function main(): Promise<void> {
  const tlsDir = resolve(env.BENCH_TLS_DIR ?? '.local/tls');
  if (!(await ensureBenchTrust(tlsDir))) return;
  const tls = await ensureLocalCa(tlsDir);
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);

  const scenarios: { scenario: Scenario1; big: boolean }[] = sizes.map((size) => {
    const tenants = Array.from({ length: size }, (_unused, index) => tenantIdFor(`s${size}`, index));
    return { scenario: { label: `T = ${size.toLocaleString('en-US')} small tenants`, tenants, devices: size * devicesPerTenant, mailDue: Math.ceil(size / 10) }, big: false };
  });
  if (bigDevices > 0) {
    scenarios.push({ scenario: { label: `T = 1 tenant of ${bigDevices.toLocaleString('en-US')} devices`, tenants: [tenantIdFor('big', 0)], devices: bigDevices, mailDue: 1 }, big: true });
  }
  // The simulated tenant knows every bench tenant (one user and one phone each), so discovery and the connector
  // heartbeat reach it as they would reach Graph.
  const generated = scenarios.flatMap(({ scenario }) => scenario.tenants).map((tenantId) => generateScenario({ tenantId, users: 1, devicesPerUser: 1, clientId, clientSecret }));
  const first = generated[0];
  if (!first) throw new Error('no tenants');
  const simScenario: Scenario = { ...first, consentedTenants: generated.flatMap((g) => g.consentedTenants), tenants: generated.flatMap((g) => g.tenants) };
  const stack = await startStack({
    tls: { cert, key },
    scenario: simScenario,
    storage: 'memory',
    settings: { SENDGRID_API_KEY: 'SG.bench', MAIL_FROM: 'bench@connector.test', CONNECTOR_CLIENT_SECRET: clientSecret },
    host: false,
  });

  console.log('Timers bench: Azurite in memory, the simulated tenant, the local host with 16 tenant-jobs calls at once');
  const all: { label: string; tenants: number; big: boolean; results: TimerResult[] }[] = [];
  try {
    for (const { scenario, big } of scenarios) {
      all.push({ label: scenario.label, tenants: scenario.tenants.length, big, results: await runScenario(stack, scenario, big) });
    }
    const heartbeat = heartbeatTenants > 0 ? await heartbeatBench(stack) : { perHeartbeat: 0, heartbeats: 0 };

    // Entities examined by queries per due item, tick and job together, per timer; the worst periodic job. The due
    // items are the due jobs and the devices they acted on (each nudge a job sent); point reads (one entity each)
    // are counted apart.
    const perDue: Record<string, Record<string, number>> = {};
    const pointReadsPerDue: Record<string, Record<string, number>> = {};
    let worst = 0;
    for (const run of all) {
      for (const result of run.results) {
        const items = result.due + result.jobs.messages;
        const value = per(result.tick.examined + result.jobs.examined, items);
        (perDue[run.label] ??= {})[result.timer] = Number(value.toFixed(2));
        (pointReadsPerDue[run.label] ??= {})[result.timer] = Number(per(result.tick.pointReads + result.jobs.pointReads, items).toFixed(2));
        if (result.due > 0) worst = Math.max(worst, value);
      }
    }
    const small = all.filter((run) => !run.big);
    const smallest = small[0];
    const largest = small.at(-1);
    const tickCost = (run: (typeof all)[number] | undefined, field: 'transactions' | 'wallMs'): number => {
      const due = run?.results.reduce((total, result) => total + result.due, 0) ?? 0;
      const cost = run?.results.reduce((total, result) => total + result.tick[field], 0) ?? 0;
      return per(cost, due);
    };
    const ratioTx = per(tickCost(largest, 'transactions'), tickCost(smallest, 'transactions'));
    const ratioWall = per(tickCost(largest, 'wallMs'), tickCost(smallest, 'wallMs'));
    const lagWithinPeriod = all.every((run) => run.results.every((result) => result.maxStartLagMs <= result.periodMs));
    console.log(`\nEntities examined by queries per due item (due jobs and the devices they acted on; tick + jobs): ${JSON.stringify(perDue)}`);
    console.log(`Point reads per due item: ${JSON.stringify(pointReadsPerDue)}`);
    console.log(`Tick cost per due item, T=${largest?.tenants ?? 0} ÷ T=${smallest?.tenants ?? 0}: transactions ${ratioTx.toFixed(2)}×, wall time ${ratioWall.toFixed(2)}×`);
    console.log(`Every job started within one period of its due time: ${lagWithinPeriod ? 'yes' : 'no'}`);
    const messagesPerDevicePushed = await backlogFigure(tlsDir);
    console.log(
      JSON.stringify({
        bench: 'timers',
        entitiesExaminedPerDueItem: Number(worst.toFixed(2)),
        dueCostRatio: Number(Math.max(ratioTx, ratioWall).toFixed(2)),
        dueCostRatioTransactions: Number(ratioTx.toFixed(2)),
        dueCostRatioWallTime: Number(ratioWall.toFixed(2)),
        messagesPerDevicePushed,
        heartbeatTransactions: Number(heartbeat.perHeartbeat.toFixed(2)),
        startedWithinPeriod: lagWithinPeriod,
        entitiesExaminedPerDueItemByTimer: perDue,
        pointReadsPerDueItemByTimer: pointReadsPerDue,
        scenarios: all.map((run) => ({
          label: run.label,
          timers: run.results.map((result) => ({
            timer: result.timer,
            due: result.due,
            tick: rounded(result.tick),
            jobs: rounded(result.jobs),
            maxStartLagMs: Math.round(result.maxStartLagMs),
            ...(result.before ? { before: rounded(result.before) } : {}),
          })),
        })),
      }),
    );
  } finally {
    await stack.stop();
  }
}

function rounded(figures: Figures): Figures {
  return { ...figures, wallMs: Math.round(figures.wallMs) };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
});

/**
 * `npm run bench:fanout`: a classification change that re-grades many devices, pushed to the simulated Intune
 * through the local host (in-process, the same catalog Azure runs), its `compliance-updates` queue and Azurite.
 *
 * Workload: DEVICES devices in one tenant (default 100,000), of which AFFECTED (default 10,000) have an open ADWARE
 * threat (low) and AFFECTED more an open UNSECURED_WIFI threat; Intune already holds every device's state. An
 * admin raises ADWARE to high through the console API, which answers with a re-grade job; the bench follows the job
 * through `GET .../regrades/{id}` (as the web console does) and waits until the simulator holds `highSeverity` for
 * every re-graded device.
 *
 * Prints: how fast the PUT answered (target under 1 s); how long the re-grade job ran; time until the simulator
 * holds every write against the least the Intune limit allows (writes ÷ LIMIT windows; target within 1.1 ×);
 * Intune writes vs devices changed (redundant writes); Graph requests vs writes/20; 429s received; write-budget use
 * against the limit, per window, while work remains; when the first nudge, the first and the last write came after
 * the PUT, and per window from the PUT the devices nudged by its start against those written in it (which windows
 * waited for the re-grade, which for the push). The last line is one JSON object with the figures.
 *
 * Intune allows 200 writes per 20 s, so 10,000 writes take about 17 minutes. By default the bench tightens the
 * throttle window to 2 s in both the simulator and the service's write budget (same limit of 200; the budget's
 * margin and wait scale with it), which keeps every ratio and runs in a few minutes; `--full` (or WINDOW_SECONDS=20)
 * runs the faithful 20 s window. With the 2 s window the figures also measure how fast this one process works
 * through the queue (one batch at a time, Azurite busy with the re-grade), which `--full` leaves room for.
 * Settings (env): DEVICES, AFFECTED, LIMIT (200), WINDOW_SECONDS (2; 20 with --full).
 *
 * Seeding writes full transactions of 100 rows (a tenant's rows are spread over 256 partitions); 100,000 devices
 * and their threat rows take well under a minute. DEVICES and AFFECTED scale the run down.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { regradeSchema } from '../shared/console/classifications.js';
import { generateScenario } from '../dev/sim/generate.js';
import { ensureLocalCa } from '../dev/sim/tls.js';
import { systemClock } from '../shared/base/clock.js';
import { complianceQueueName } from '../shared/devices/complianceNudges.js';
import { createComplianceRuntime } from '../shared/compliance/runtime.js';
import { devicePartitionKey, deviceSchema, deviceToEntity } from '../shared/devices/device.js';
import { threatIndexRowKey, threatRowKey } from '../shared/devices/threatRows.js';
import type { Classification } from '../shared/domain/index.js';
import type { QueueSenders } from '../shared/queues/queue.js';
import type { Logger } from '../shared/base/logger.js';
import { submitInBatches, type TableStore } from '../shared/storage/index.js';
import { startStack } from '../test/support/stack.js';
import { ensureBenchTrust } from './trust.js';

const env = process.env;
const full = process.argv.includes('--full');
const deviceCount = Number(env.DEVICES ?? 100_000);
const affectedCount = Math.min(deviceCount, Number(env.AFFECTED ?? 10_000));
const limit = Number(env.LIMIT ?? 200);
const windowSeconds = Number(env.WINDOW_SECONDS ?? (full ? 20 : 2));
const clientId = '33333333-3333-4333-8333-333333333333';
const clientSecret = 'bench-client-secret';

/** The PUT's answer, as far as the bench needs it. */
const putAnswerSchema = z.object({ regrade: z.object({ id: z.string() }) });

const quiet: Logger = { info: () => undefined, warn: (line) => console.warn(line), error: (line) => console.error(line) };

/**
 * Writes the rows in transactions of 100, printing progress. A tenant's rows are spread over 256 partitions and a
 * transaction holds one partition, so the rows are sorted by partition first: every transaction is then full.
 */
async function writeAll(tables: TableStore, name: 'devices' | 'threats', actions: TransactionAction[]): Promise<void> {
  const sorted = [...actions].sort((a, b) => (a[1].partitionKey < b[1].partitionKey ? -1 : a[1].partitionKey > b[1].partitionKey ? 1 : 0));
  const step = 10_000;
  for (let start = 0; start < sorted.length; start += step) {
    await submitInBatches(tables.table(name), sorted.slice(start, start + step));
    if (sorted.length > step) process.stdout.write(`  ${name}: ${Math.min(sorted.length, start + step)}/${sorted.length}\r`);
  }
}

function threatActions(tenantId: string, deviceId: string, classification: Classification, threatId: string, at: string): TransactionAction[] {
  const row = { partitionKey: devicePartitionKey(tenantId, deviceId), deviceId, threatId, classification };
  return [
    ['upsert', { ...row, rowKey: threatRowKey(deviceId, threatId), detectedAt: at, firstSeenAt: at, lastSeenAt: at }, 'Replace'],
    ['upsert', { ...row, rowKey: threatIndexRowKey(classification, deviceId, threatId) }, 'Replace'],
  ];
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main(): Promise<void> {
  const tlsDir = resolve(env.BENCH_TLS_DIR ?? '.local/tls');
  if (!(await ensureBenchTrust(tlsDir))) return;
  const tls = await ensureLocalCa(tlsDir);
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
  const windowMs = windowSeconds * 1000;

  const tenantId = randomUUID();
  const adminGroupId = randomUUID();
  const scenario = generateScenario({ tenantId, users: deviceCount, devicesPerUser: 1, clientId, clientSecret });
  const tenant = scenario.tenants[0];
  const admin = tenant?.users[0];
  if (!tenant || !admin) throw new Error('the generated scenario has no tenant');
  tenant.groups.push({ id: adminGroupId, displayName: 'MTD Admins', description: null, securityEnabled: true, mailEnabled: false, members: [admin.id] });
  const affected = new Set<string>();
  const nudgedAt = new Map<string, number>();
  // The margin and the wait scale with the window like everything else, so the fast run keeps the real run's ratios
  // (for 20 s both are the defaults, 500 ms).
  const intuneBudget = { limit, windowMs, marginMs: windowMs / 40, waitMs: windowMs / 40 };
  const stack = await startStack({
    tls: { cert, key },
    scenario,
    storage: 'memory',
    tablePrefix: `F${randomUUID().slice(0, 6)}`,
    tenants: [{ tenantId, fullAccessGroupId: adminGroupId, displayName: 'Bench', primaryContactEmail: 'bench@connector.test' }],
    settings: { SENDGRID_API_KEY: 'SG.bench', MAIL_FROM: 'bench@connector.test', CONNECTOR_CLIENT_SECRET: clientSecret },
    overrides: ({ tables, queues }) => {
      // Note when each device's first nudge went out: from then on its write is work waiting for the budget.
      const noting: QueueSenders = (name) => ({
        send: async (messages) => {
          const now = Date.now();
          for (const message of messages) {
            const deviceId = message.messageId.split(':')[0] ?? '';
            if (affected.has(deviceId) && !nudgedAt.has(deviceId)) nudgedAt.set(deviceId, now);
          }
          await queues(name).send(messages);
        },
      });
      return { log: quiet, queues: noting, compliance: createComplianceRuntime(tables, systemClock, { intuneBudget }) };
    },
    host: { functionKey: 'bench' },
  });
  const { sim, tables, host, services } = stack;
  sim.state.setThrottle({ limit, windowSeconds });
  const at = new Date().toISOString();

  console.log(`Fan-out bench: ${deviceCount} devices, ${affectedCount} re-graded (ADWARE low → high), Azurite in memory`);
  console.log(
    full || windowSeconds === 20
      ? `Intune write limit: ${limit} per ${windowSeconds} s (the real window; this takes a while).`
      : `Intune write limit: ${limit} per ${windowSeconds} s — the throttle window is tightened from 20 s to ${windowSeconds} s in both the simulator and the service's write budget for a fast run (--full for 20 s).`,
  );

  // Every device active with a report; Intune already told its current state.
  const seedStarted = performance.now();
  const deviceActions: TransactionAction[] = [];
  const threatRows: TransactionAction[] = [];
  tenant.managedDevices.forEach((managed, index) => {
    const deviceId = managed.id.toLowerCase();
    const adware = index < affectedCount;
    const wifi = !adware && index < 2 * affectedCount;
    const riskLevel = adware || wifi ? 'low' : 'none';
    managed.partnerReportedThreatState = riskLevel === 'low' ? 'lowSeverity' : 'secured';
    const device = deviceSchema.parse({
      tenantId,
      deviceId,
      intuneDeviceId: deviceId,
      azureAdDeviceId: managed.azureADDeviceId,
      deviceName: managed.deviceName,
      platform: managed.operatingSystem === 'iOS' ? 'ios' : 'android',
      osVersion: managed.osVersion,
      userId: managed.userId,
      status: 'active',
      statusChangedAt: at,
      discoveredAt: at,
      activatedAt: at,
      lastCheckInAt: at,
      hasReport: true,
      riskLevel,
      version: 3,
      intuneState: riskLevel === 'low' ? 'lowSeverity' : 'secured',
      intuneVersion: 3,
      intuneAt: at,
      intuneResult: 'sent',
      syncPending: false,
    });
    deviceActions.push(['upsert', deviceToEntity(device), 'Replace']);
    if (adware) {
      affected.add(deviceId);
      threatRows.push(...threatActions(tenantId, deviceId, 'ADWARE', `adware-${index}`, at));
    }
    if (wifi) threatRows.push(...threatActions(tenantId, deviceId, 'UNSECURED_WIFI', `wifi-${index}`, at));
  });
  await writeAll(tables, 'devices', deviceActions);
  await writeAll(tables, 'threats', threatRows);
  console.log(`seeded ${deviceActions.length} devices and ${threatRows.length} threat rows in ${seconds(performance.now() - seedStarted)}`);

  const { compliance } = services;
  const token = await sim.state.mintUserToken({ tenantId, userId: admin.id });
  sim.state.resetStats();
  const writesBefore = sim.state.writes.length;

  // The change, through the console API.
  const started = performance.now();
  const startedAt = Date.now();
  const response = await fetch(`${host.url}/api/v1/console/threat-classifications/ADWARE`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ riskLevel: 'high' }),
    signal: AbortSignal.timeout(600_000),
  });
  const answer: unknown = await response.json();
  const putMs = performance.now() - started;
  if (response.status !== 200) throw new Error(`the change answered ${response.status}: ${JSON.stringify(answer)}`);
  const regradeId = putAnswerSchema.parse(answer).regrade.id;
  console.log(`PUT answered in ${(putMs / 1000).toFixed(3)} s (target < 1 s) with re-grade ${regradeId}`);

  // Follow the job as the web console does, in the background, while waiting for Intune.
  let regradeMs: number | undefined;
  let regrade: z.output<typeof regradeSchema> | undefined;
  const following = (async () => {
    for (;;) {
      const polled = await fetch(`${host.url}/api/v1/console/threat-classifications/regrades/${regradeId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body: unknown = await polled.json();
      if (polled.status !== 200) throw new Error(`GET regrade answered ${polled.status}: ${JSON.stringify(body)}`);
      regrade = regradeSchema.parse(body);
      if (regrade.status === 'completed') {
        regradeMs = performance.now() - started;
        return;
      }
      await new Promise((done) => setTimeout(done, 500));
    }
  })();
  following.catch(() => undefined); // awaited below, where a failure is reported

  // Wait until the simulator holds highSeverity for every re-graded device.
  const holds = new Set<string>();
  let scanned = writesBefore;
  let lastProgress = Date.now();
  const deadline = Date.now() + Math.max(600_000, (affectedCount / limit) * windowMs * 3);
  for (;;) {
    const writes = sim.state.writes;
    for (; scanned < writes.length; scanned += 1) {
      const write = writes[scanned];
      if (write?.kind === 'managedDevice' && write.body.partnerReportedThreatState === 'highSeverity' && affected.has(write.targetId)) {
        holds.add(write.targetId);
        lastProgress = Date.now();
      }
    }
    if (holds.size >= affected.size) break;
    if (Date.now() > deadline || Date.now() - lastProgress > Math.max(120_000, windowMs * 6)) {
      console.log(`gave up waiting: ${holds.size} of ${affected.size} devices written`);
      break;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  const doneMs = performance.now() - started;
  await following;
  console.log(`re-grade job: ${regrade?.devicesChanged ?? 0} of ${regrade?.devicesTotal ?? 0} devices changed risk level, completed ${seconds(regradeMs ?? 0)} after the PUT`);
  // Let anything still queued settle, so late redundant writes would be counted too.
  await new Promise((done) => setTimeout(done, Math.max(2_000, windowMs)));
  const queue = host.queues.get(complianceQueueName);
  const counts = queue?.counts();
  await stack.stop();

  const writes = sim.state.writes.slice(writesBefore).filter((write) => write.kind === 'managedDevice');
  const distinct = new Set(writes.map((write) => write.targetId)).size;
  const stats = sim.state.stats();
  const batches = stats.byRoute['POST /{v}/$batch'];
  const batchRequests = batches ? Object.values(batches).reduce((sum, n) => sum + n, 0) : 0;
  const throttled = Object.values(stats.byRoute).reduce((sum, byStatus) => sum + (byStatus['429'] ?? 0), 0);

  // Budget use per window, from the first write to the last (full windows only). A window counts as "work remains"
  // when, at its start, at least a window's worth of re-graded devices had been nudged and not yet written.
  const times = writes.map((write) => Date.parse(write.at)).sort((a, b) => a - b);
  const nudgeTimes = [...nudgedAt.values()].sort((a, b) => a - b);
  const countUpTo = (sorted: number[], at: number): number => sorted.filter((time) => time < at).length;
  const first = times[0] ?? startedAt;
  const last = times.at(-1) ?? startedAt;
  const perWindow: number[] = [];
  const busyWindows: number[] = [];
  for (let from = first; from + windowMs <= last; from += windowMs) {
    const count = times.filter((time) => time >= from && time < from + windowMs).length;
    perWindow.push(count);
    if (countUpTo(nudgeTimes, from) - countUpTo(times, from) >= limit) busyWindows.push(count);
  }
  const busyMean = busyWindows.length > 0 ? busyWindows.reduce((sum, n) => sum + n, 0) / busyWindows.length : 0;
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while ((times[j] ?? Infinity) <= (times[i] ?? 0) - windowMs) j += 1;
    peak = Math.max(peak, i - j + 1);
  }
  const mean = perWindow.length > 0 ? perWindow.reduce((sum, n) => sum + n, 0) / perWindow.length : 0;
  // Where the time went: until the first nudge (the slices' delay and their first chunk), until the first write,
  // and from the first write to the last (the limit's windows); and, per window from the PUT, how many re-graded
  // devices had been nudged by its start, against how many were written in it.
  const firstNudgeMs = (nudgeTimes[0] ?? startedAt) - startedAt;
  const firstWriteMs = first - startedAt;
  const lastWriteMs = last - startedAt;
  const timeline: string[] = [];
  for (let from = startedAt; from <= last; from += windowMs) {
    const written = times.filter((time) => time >= from && time < from + windowMs).length;
    timeline.push(`${countUpTo(nudgeTimes, from)}/${written}`);
  }

  // The least time the Intune limit allows for these writes: one window per LIMIT writes.
  const idealMs = (Math.max(writes.length, affected.size) / limit) * windowMs;
  const ratio = doneMs / idealMs;
  console.log('');
  console.log(`PUT answered in: ${(putMs / 1000).toFixed(3)} s (target < 1 s)`);
  console.log(
    `time until the simulator held every write: ${seconds(doneMs)} (${holds.size}/${affected.size} devices) vs ${seconds(idealMs)} ` +
      `(${Math.max(writes.length, affected.size)} writes ÷ ${limit} per ${windowSeconds} s window) → ${ratio.toFixed(3)} × (target ≤ 1.1 ×)`,
  );
  console.log(`  the re-grade job completed ${seconds(regradeMs ?? 0)} after the PUT (its slices start once the agent path's 5 s policy cache has expired everywhere)`);
  console.log(`Intune writes: ${writes.length} for ${affected.size} devices changed (${distinct} distinct) → redundant writes: ${writes.length - distinct}`);
  console.log(
    `Graph requests: ${batchRequests} $batch vs writes/20 = ${(writes.length / 20).toFixed(0)} → ${((batchRequests / Math.max(1, writes.length / 20) - 1) * 100).toFixed(1)}% over (target ≤ 10%)`,
  );
  console.log(`429 responses received: ${throttled} (simulator throttled ${stats.throttled}, faults injected ${stats.faultsInjected})`);
  console.log(
    `write-budget use while work remains: ${busyMean.toFixed(0)} writes per ${windowSeconds} s window over ${busyWindows.length} windows with ` +
      `a backlog of ≥ ${limit} → ${((busyMean / limit) * 100).toFixed(1)}% of ${limit} (target ≥ 90%; min ${Math.min(...busyWindows, limit)})`,
  );
  console.log(
    `  all windows from first to last write: ${mean.toFixed(0)} on average over ${perWindow.length} (${((mean / limit) * 100).toFixed(1)}%; ` +
      `max ${Math.max(...perWindow, 0)}); peak in any sliding ${windowSeconds} s window ${peak}/${limit}`,
  );
  console.log(`  writes per window: ${perWindow.join(' ')}`);
  console.log(
    `first nudge ${seconds(firstNudgeMs)}, first write ${seconds(firstWriteMs)}, last write ${seconds(lastWriteMs)} after the PUT ` +
      `(first to last: ${seconds(last - first)})`,
  );
  console.log(`  per ${windowSeconds} s window from the PUT, devices nudged by its start / written in it: ${timeline.join(' ')}`);
  console.log(`queue afterwards: ${JSON.stringify(counts)}; $batch requests by the service: ${compliance.batchStats.batches} carrying ${compliance.batchStats.requests}`);
  console.log(
    JSON.stringify({
      bench: 'fanout',
      devices: deviceCount,
      affected: affected.size,
      limit,
      windowSeconds,
      putMs: Math.round(putMs),
      regradeJobMs: Math.round(regradeMs ?? 0),
      devicesChanged: regrade?.devicesChanged ?? 0,
      devicesTotal: regrade?.devicesTotal ?? 0,
      devicesWritten: holds.size,
      timeToAllWritesMs: Math.round(doneMs),
      idealMs: Math.round(idealMs),
      timeRatio: Number(ratio.toFixed(3)),
      intuneWrites: writes.length,
      redundantWrites: writes.length - distinct,
      batchRequests,
      throttled,
      budgetUseWhileBusy: Number((busyMean / limit).toFixed(3)),
      firstNudgeMs: Math.round(firstNudgeMs),
      firstWriteMs: Math.round(firstWriteMs),
      lastWriteMs: Math.round(lastWriteMs),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * `npm run bench:summary` (DEVICES, default 100,000; CALLS, default 30): the console's fleet summary of one tenant,
 * against an in-memory Azurite. Writes DEVICES devices through the device-write seam (so with their index, counter
 * and outbox rows), folds the counters into the tenant's rollup as the hourly job does, makes CHANGES (default 300)
 * device changes after it (deltas the read must add), then times CALLS summary reads: latency p50/p99 and storage
 * requests per call. For comparison it times the read the rollup replaced (one range query per device and threat
 * partition: 512; BEFORE_CALLS times, default 1, 0 to skip). Checks the answer against the devices written.
 */
import { randomUUID } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { startAzurite } from '../dev/azurite.js';
import { mapLimit } from '../shared/base/mapLimit.js';
import { readFleetSummary } from '../shared/console/fleet.js';
import { credentialedDeviceBuckets, deviceSchema, devicePartitionKey, type Device } from '../shared/devices/device.js';
import { backfillCounters, buildCounterRollup } from '../shared/devices/deviceCounters.js';
import { deviceWriteActions, mutateDevice } from '../shared/devices/deviceRepository.js';
import { createTableStore, odata } from '../shared/storage/index.js';

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function main(): Promise<void> {
  const devices = count('DEVICES', 100_000);
  const calls = count('CALLS', 30);
  const changes = count('CHANGES', 300);
  const azurite = await startAzurite({ inMemory: true });
  try {
    const tables = createTableStore({ connectionString: azurite.connectionString }, { prefix: 'Bsum' });
    await tables.ensureTables();
    const tenantId = randomUUID();
    const clock = { now: () => new Date() };
    const at = new Date();
    const statuses = ['active', 'active', 'active', 'pending', 'disconnected'] as const;
    const risks = ['none', 'none', 'low', 'medium', 'high'] as const;
    const byPartition = new Map<string, TransactionAction[][]>();
    const written: Device[] = [];
    for (let n = 0; n < devices; n += 1) {
      const deviceId = randomUUID();
      const status = statuses[n % statuses.length] ?? 'active';
      const device = deviceSchema.parse({
        tenantId,
        deviceId,
        intuneDeviceId: deviceId,
        deviceName: `Phone ${n}`,
        platform: n % 2 === 0 ? 'ios' : 'android',
        userId: randomUUID(),
        userPrincipalName: `user${n}@contoso.test`,
        status,
        riskLevel: risks[n % risks.length] ?? 'none',
        statusChangedAt: at.toISOString(),
        discoveredAt: at.toISOString(),
        ...(status === 'active' ? { lastCheckInAt: at.toISOString() } : {}),
        ...(status !== 'pending' && n % 3 !== 0 ? { keyThumbprint: `jkt-${n}`, attestationStatus: 'verified' } : {}),
        enrollmentGroups: [n % 2 === 0 ? 'Sales' : 'Field'],
      });
      const { device: stored, actions } = deviceWriteActions(undefined, device, at);
      written.push(stored);
      const key = devicePartitionKey(tenantId, deviceId);
      const groups = byPartition.get(key) ?? [];
      const last = groups.at(-1);
      if (last && last.length + actions.length <= 100) last.push(...actions);
      else groups.push([...actions]);
      byPartition.set(key, groups);
    }
    const batches = [...byPartition.values()].flat();
    byPartition.clear();
    let started = performance.now();
    await mapLimit(batches, 8, async (batch) => {
      await tables.table('devices').submitTransaction(batch);
    });
    console.log(`Fleet summary bench: ${devices} devices written (${batches.length} transactions) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    started = performance.now();
    // What the hourly job does: the once-per-tenant backfill check, then the rollup.
    await backfillCounters(tables, tenantId);
    // A first discovery leaves one delta per device: builds run until they are folded (each bounded in time).
    let folded = 0;
    let builds = 0;
    for (;;) {
      const round = await buildCounterRollup(tables, tenantId);
      builds += 1;
      folded += round.folded;
      if (round.folded === 0) break;
    }
    console.log(`  rollup built (as the hourly job does, ${builds} builds): ${folded} deltas folded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Changes since the rollup: deltas every read must add.
    const changed = written.filter((device) => device.status === 'active').slice(0, changes);
    await mapLimit(changed, 8, async (device) => {
      await mutateDevice(tables, tenantId, device.deviceId, (current) => ({ ...current, status: 'disconnected' }));
    });

    const latencies: number[] = [];
    const requests: number[] = [];
    let answer: Awaited<ReturnType<typeof readFleetSummary>> | undefined;
    for (let call = 0; call < calls; call += 1) {
      const before = tables.stats.transactions;
      const start = performance.now();
      answer = await readFleetSummary({ tables, clock }, tenantId);
      latencies.push(performance.now() - start);
      requests.push(tables.stats.transactions - before);
    }
    latencies.sort((a, b) => a - b);
    const expectedDisconnected = written.filter((device) => device.status === 'disconnected').length + changed.length;
    if (answer?.devices.total !== devices || answer.devices.byStatus.disconnected !== expectedDisconnected) {
      throw new Error(`wrong answer: ${JSON.stringify(answer?.devices)}`);
    }
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`  summary (rollup + ${changed.length} changes since): p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms over ${calls} calls; ${Math.max(...requests)} storage requests per call`);
    console.log(`  answer: ${JSON.stringify(answer.devices.byStatus)}, trust ${JSON.stringify(answer.devices.trust)}`);

    // The read the rollup replaced: a range query per partition of each counter table.
    const oldLatencies: number[] = [];
    for (let call = 0; call < Math.min(calls, Number(process.env.BEFORE_CALLS ?? 1)); call += 1) {
      const start = performance.now();
      await mapLimit(
        (['devices', 'threats'] as const).flatMap((table) => credentialedDeviceBuckets.map((bucket) => ({ table, partitionKey: `${tenantId}|${bucket}` }))),
        64,
        async ({ table, partitionKey }) => {
          const low = table === 'devices' ? '~n' : 'n';
          const high = table === 'devices' ? '~o' : 'o';
          for await (const _row of tables.table(table).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${low} and RowKey lt ${high}` } })) {
            // only the time counts
          }
        },
      );
      oldLatencies.push(performance.now() - start);
    }
    oldLatencies.sort((a, b) => a - b);
    const before = oldLatencies.length > 0 ? percentile(oldLatencies, 50) : -1;
    if (oldLatencies.length > 0) console.log(`  before the rollup (512 partition range queries): p50 ${before.toFixed(0)} ms over ${oldLatencies.length} calls`);
    else console.log('  before the rollup: not measured (BEFORE_CALLS=0)');
    console.log(
      JSON.stringify({ bench: 'summary', devices, calls, changesSinceRollup: changed.length, p50Ms: Math.round(p50), p99Ms: Math.round(p99), requestsPerCall: Math.max(...requests), before512QueriesMs: Math.round(before) }),
    );
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

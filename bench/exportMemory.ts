/**
 * `npm run bench:export` (DEVICES, default 20,000; run with `node --expose-gc --import tsx` for the live-heap figure): the device CSV export of one tenant, streamed, against an
 * in-memory Azurite. Prints the time to the first chunk, the whole export's time and size, and the process's peak
 * heap and RSS growth while it streams (sampled every 10 ms), to show that the export answers at once and never
 * holds the file: the peak stays near one storage page and one chunk of rows whatever DEVICES is.
 *
 * The device rows are written straight as entities, 100 per transaction (this bench is about reading them).
 */
import { randomUUID } from 'node:crypto';
import type { TransactionAction } from '@azure/data-tables';
import { startAzurite } from '../dev/azurite.js';
import { exportDevicesCsv } from '../shared/console/exports.js';
import { deviceSchema, deviceToEntity, devicePartitionKey } from '../shared/devices/device.js';
import { mapLimit } from '../shared/base/mapLimit.js';
import { createTableStore } from '../shared/storage/index.js';

const devices = Number(process.env.DEVICES ?? 20_000);

async function main(): Promise<void> {
  const azurite = await startAzurite({ inMemory: true });
  try {
    const tables = createTableStore({ connectionString: azurite.connectionString }, { prefix: 'Bexp' });
    await tables.ensureTables();
    const tenantId = randomUUID();
    const byPartition = new Map<string, TransactionAction[]>();
    for (let n = 0; n < devices; n += 1) {
      const deviceId = randomUUID();
      const device = deviceSchema.parse({
        tenantId,
        deviceId,
        intuneDeviceId: deviceId,
        deviceName: `Phone ${n}`,
        platform: n % 2 === 0 ? 'ios' : 'android',
        osVersion: '17.5',
        userId: randomUUID(),
        userPrincipalName: `user${n}@contoso.test`,
        status: n % 3 === 0 ? 'pending' : 'active',
        statusChangedAt: '2026-03-01T09:00:00.000Z',
        discoveredAt: '2026-03-01T09:00:00.000Z',
      });
      const key = devicePartitionKey(tenantId, deviceId);
      const list = byPartition.get(key) ?? [];
      list.push(['create', deviceToEntity(device)]);
      byPartition.set(key, list);
    }
    const batches: TransactionAction[][] = [];
    for (const actions of byPartition.values()) for (let i = 0; i < actions.length; i += 100) batches.push(actions.slice(i, i + 100));
    await mapLimit(batches, 8, async (batch) => {
      await tables.table('devices').submitTransaction(batch);
    });
    byPartition.clear();
    batches.length = 0;

    global.gc?.();
    const baseHeap = process.memoryUsage().heapUsed;
    const baseRss = process.memoryUsage().rss;
    let peakHeap = baseHeap;
    let peakRss = baseRss;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peakHeap = Math.max(peakHeap, usage.heapUsed);
      peakRss = Math.max(peakRss, usage.rss);
    }, 10);
    const started = performance.now();
    let firstChunkMs: number | undefined;
    let bytes = 0;
    let lines = 0;
    let chunks = 0;
    // What the export holds (live heap after a collection), sampled every 10 chunks when run with --expose-gc.
    let peakLive = 0;
    for await (const chunk of exportDevicesCsv(tables, tenantId, {}, Date.now())) {
      firstChunkMs ??= performance.now() - started;
      bytes += chunk.byteLength;
      for (const byte of chunk) if (byte === 10) lines += 1;
      chunks += 1;
      if (global.gc && chunks % 10 === 0) {
        global.gc();
        peakLive = Math.max(peakLive, process.memoryUsage().heapUsed - baseHeap);
      }
    }
    const totalMs = performance.now() - started;
    clearInterval(sampler);
    const mb = (value: number): string => `${(value / 1024 / 1024).toFixed(1)} MB`;
    console.log(`Device CSV export bench: ${devices} devices, Azurite in memory`);
    console.log(`  first chunk after ${firstChunkMs?.toFixed(0) ?? '-'} ms; whole export ${totalMs.toFixed(0)} ms, ${lines} lines, ${mb(bytes)}`);
    console.log(`  peak heap growth while streaming ${mb(peakHeap - baseHeap)} (heap before ${mb(baseHeap)}, garbage included); peak RSS growth ${mb(peakRss - baseRss)}`);
    if (global.gc) console.log(`  peak live heap growth (after a collection, every 10 chunks) ${mb(peakLive)}`);
    if (lines !== devices + 1) throw new Error(`expected ${devices + 1} lines, got ${lines}`);
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

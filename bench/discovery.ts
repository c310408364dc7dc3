/**
 * Discovery at scale: `npm run bench:discovery [-- 1000 10000 100000]`.
 *
 * For each size, a generated tenant (users with 1.5 iOS/Android devices each, one enrollment group holding every
 * user, half of them through a nested group) is served by the simulator over HTTPS from a child process (so the
 * memory and CPU figures are the connector's own), with tables on an in-memory Azurite. Two runs: the first discovers every device, the second finds nothing changed. Prints Graph
 * requests, the pages that must be read, table transactions, wall time, peak memory and the ratio of Graph requests
 * to one call per user. Figures only: nothing passes or fails on time.
 *
 * Options: sizes as arguments (`10000`, or `1000,10000`); `--dry=N` reads and plans only; `--azurite-port=N` uses an
 * Azurite already listening (its tables are created with a prefix of their own per size); `--cpu-prof-runs=DIR`
 * writes a CPU profile of the connector's process per run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { generateScenario } from '../dev/sim/generate.js';
import { ensureLocalCa } from '../dev/sim/tls.js';
import { parseConfig } from '../shared/base/config.js';
import { syncTenant, type SyncOutcome } from '../shared/enrollment/sync.js';
import { createGraphAccess } from '../shared/graph/index.js';
import type { QueueSenders } from '../shared/queues/queue.js';
import { systemClock } from '../shared/base/clock.js';
import { createTableStore, encodeKey, odata, type TableStore } from '../shared/storage/index.js';
import { azuriteCpuMs } from './processCpu.js';
import { activateTenant, createTenant } from '../shared/tenants/tenantRepository.js';
import { azuriteConnectionString, startAzurite } from '../dev/azurite.js';
import { ensureBenchTrust } from './trust.js';

/** Sizes run in full (default 1000, 10000 and 100000 users); `--dry=N` reads and plans only. */
function parseArgs(args: readonly string[]): { size: number; dry: boolean }[] {
  const runs: { size: number; dry: boolean }[] = [];
  for (const arg of args) {
    if (arg.startsWith('--azurite-port=') || arg.startsWith('--cpu-prof-runs=')) continue;
    const dry = arg.startsWith('--dry=');
    for (const part of (dry ? arg.slice('--dry='.length) : arg).split(',')) {
      const size = Number(part);
      if (Number.isInteger(size) && size > 0) runs.push({ size, dry });
    }
  }
  return runs.length > 0
    ? runs
    : [
        { size: 1_000, dry: false },
        { size: 10_000, dry: false },
        { size: 100_000, dry: false },
      ];
}
const runs = parseArgs(process.argv.slice(2));
/** `--cpu-prof-runs=DIR`: a CPU profile of this process for each run (`<users>-<run>.cpuprofile`), setup excluded. */
const profileDir = process.argv.find((arg) => arg.startsWith('--cpu-prof-runs='))?.slice('--cpu-prof-runs='.length);
/**
 * `--azurite-port=N`: use an Azurite already listening on N (e.g. one started under `node --cpu-prof`, to see where
 * the emulator's time goes) instead of starting one in memory.
 */
const externalAzuritePort = Number(process.argv.find((arg) => arg.startsWith('--azurite-port='))?.slice('--azurite-port='.length)) || undefined;
const devicesPerUser = 1.5;
const groupName = 'MTD-All';
const clientId = '33333333-3333-4333-8333-333333333333';
const clientSecret = 'bench-client-secret';

interface Peak {
  rss: number;
  heap: number;
}

function watchMemory(): { stop(): Peak } {
  const peak: Peak = { rss: 0, heap: 0 };
  const sample = (): void => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heap = Math.max(peak.heap, usage.heapUsed);
  };
  sample();
  // Every 100 ms: process.memoryUsage() costs enough that sampling it faster shows in the run's own CPU time.
  const timer = setInterval(sample, 100);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** CPU seconds Azurite (its own process) has used: the figures tell the connector's work from the emulator's. */
function azuriteCpuSeconds(port: number): number | undefined {
  const ms = azuriteCpuMs(port);
  return ms === undefined ? undefined : ms / 1000;
}

/** Profiles this process until `stop` writes the profile to `file`. */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async (file: string) => {
      const { profile } = await session.post('Profiler.stop');
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const pad = (text: string | number, width: number): string => String(text).padStart(width);

/**
 * `--serve-sim <users> <tenantId> <certFile> <keyFile>`: this script as the simulator's child process. Prints its
 * URL as one line and serves until its stdin closes.
 */
async function serveSimulator(args: readonly string[]): Promise<void> {
  const [users = '0', tenantId = '', certFile = '', keyFile = ''] = args;
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  const scenario = generateScenario({ tenantId, users: Number(users), devicesPerUser, clientId, clientSecret });
  // Loaded in the simulator's process only, so the measured process keeps to the code it measures.
  const { startStack } = await import('../test/support/stack.js');
  const stack = await startStack({ tls: { cert, key }, scenario, storage: false });
  process.stdout.write(`${stack.sim.url}\n`);
  process.stdin.resume();
  await once(process.stdin, 'close');
  await stack.stop();
}

async function startSimulatorProcess(users: number, tenantId: string, certFile: string, keyFile: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', '--serve-sim', String(users), tenantId, certFile, keyFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((done, fail) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n')[0];
      if (output.includes('\n') && line) done(line.trim());
    });
    child.once('exit', (code) => fail(new Error(`the simulator exited (${code}) before it served`)));
  });
  return { url, child };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.stdin?.end();
  await exited;
}

async function main(): Promise<void> {
  const tlsDir = resolve(process.env.BENCH_TLS_DIR ?? '.local/tls');
  if (!(await ensureBenchTrust(tlsDir))) return;
  const tls = await ensureLocalCa(tlsDir);
  const azurite =
    externalAzuritePort === undefined
      ? await startAzurite({ inMemory: true })
      : { port: externalAzuritePort, connectionString: azuriteConnectionString(externalAzuritePort), stop: () => Promise.resolve() };
  const queues: QueueSenders = () => ({ send: () => Promise.resolve() });
  const log = { info: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

  console.log(`Discovery bench: ${devicesPerUser} devices per user, one enrollment group (half nested), Azurite in memory\n`);
  console.log(
    [
      pad('users', 7),
      pad('run', 10),
      pad('devices', 8),
      pad('written', 8),
      pad('graph req', 10),
      pad('pages', 6),
      pad('req/pages', 10),
      pad('req/user', 9),
      pad('table tx', 9),
      pad('write tx', 9),
      pad('wall', 8),
      pad('cpu', 7),
      pad('azurite cpu', 12),
      pad('peak RSS', 9),
      pad('peak heap', 10),
      pad('read/plan/write', 18),
    ].join(' '),
  );

  const results: Record<string, unknown>[] = [];
  try {
    for (const { size: users, dry } of runs) {
      const tenantId = randomUUID();
      const sim = await startSimulatorProcess(users, tenantId, tls.certFile, tls.keyFile);
      const config = parseConfig({
        ENTRA_AUTHORITY_HOST: sim.url,
        GRAPH_BASE_URL: sim.url,
        SENDGRID_API_KEY: 'SG.bench',
        MAIL_FROM: 'bench@connector.test',
        CONNECTOR_CLIENT_ID: clientId,
        CONNECTOR_CLIENT_SECRET: clientSecret,
        AzureWebJobsStorage: azurite.connectionString,
      });
      const tables = createTableStore({ connectionString: azurite.connectionString }, { prefix: `B${users}` });
      await tables.ensureTables();
      const at = new Date().toISOString();
      await createTenant(tables, tenantId, {
        displayName: 'Bench',
        fullAccessGroupId: randomUUID(),
        primaryContactEmail: 'bench@connector.test',
        status: 'provisioned',
        createdAt: at,
      });
      await activateTenant(tables, tenantId, { at });
      await tables.table('enrollmentGroups').upsertEntity({
        partitionKey: tenantId,
        rowKey: encodeKey(groupName),
        displayName: groupName,
        status: 'unchecked',
        addedAt: at,
        addedBy: 'bench',
      });
      const graph = createGraphAccess(config);
      const deps = { tables, graph, queues, clock: systemClock, log };
      const devices = Math.round(users * devicesPerUser);
      // The group's lookup by name (one page), its users (999 per page) and the devices (1,000 per page).
      const pagesToRead = 1 + Math.ceil(users / 999) + Math.ceil(devices / 1000);

      let counted: Awaited<ReturnType<typeof countDeviceEntities>> | undefined;
      for (const label of dry ? ['read+plan'] : ['first', 'no-change']) {
        if (global.gc) global.gc();
        const graphBefore = graph.stats.requests;
        const tablesBefore = tables.stats.transactions;
        const memory = watchMemory();
        const started = performance.now();
        const cpuBefore = process.cpuUsage();
        const azuriteBefore = azuriteCpuSeconds(azurite.port);
        const loadBefore = loadavg()[0] ?? 0;
        const profiler = profileDir === undefined ? undefined : await startProfile();
        // A long run says how far it has got once a minute (stderr), so one stopped at a time limit still tells.
        const progress = setInterval(() => {
          const cpuSoFar = process.cpuUsage(cpuBefore);
          const azuriteSoFar = azuriteCpuSeconds(azurite.port);
          console.error(
            `[${users} ${label}] ${((performance.now() - started) / 1000).toFixed(0)} s: ${tables.stats.transactions - tablesBefore} table transactions, ` +
              `cpu ${((cpuSoFar.user + cpuSoFar.system) / 1e6).toFixed(1)} s, azurite cpu ` +
              `${azuriteBefore !== undefined && azuriteSoFar !== undefined ? `${(azuriteSoFar - azuriteBefore).toFixed(1)} s` : 'n/a'}, ` +
              `load ${(loadavg()[0] ?? 0).toFixed(1)}`,
          );
        }, 60_000);
        const outcome: SyncOutcome = await syncTenant(deps, tenantId, { dryRun: dry }).finally(() => clearInterval(progress));
        if (profiler && profileDir !== undefined) await profiler.stop(resolve(profileDir, `${users}-${label}.cpuprofile`));
        const wall = (performance.now() - started) / 1000;
        const cpuUsed = process.cpuUsage(cpuBefore);
        const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
        const azuriteAfter = azuriteCpuSeconds(azurite.port);
        const azuriteCpu =
          azuriteBefore !== undefined && azuriteAfter !== undefined ? `${(azuriteAfter - azuriteBefore).toFixed(1)} s` : 'n/a';
        const peak = memory.stop();
        if (outcome.status !== 'completed') throw new Error(`sync ${outcome.status}: ${JSON.stringify(outcome)}`);
        const requests = graph.stats.requests - graphBefore;
        const figures = outcome.figures;
        const planned = figures.discovered + figures.rediscovered + figures.deactivated + figures.updated;
        const tableTx = tables.stats.transactions - tablesBefore;
        // A run that wrote nothing left the rows as the previous count found them.
        const entities =
          counted !== undefined && figures.devicesWritten === 0 && figures.writeTransactions === 0
            ? counted
            : await countDeviceEntities(tables, tenantId, figures.managedDevices);
        counted = entities;
        results.push({
          users,
          run: label,
          devices: figures.managedDevices,
          written: figures.devicesWritten,
          graphRequests: requests,
          pagesToRead: pagesToRead,
          tableTransactions: tableTx,
          writeTransactions: figures.writeTransactions,
          wallS: Number(wall.toFixed(1)),
          cpuS: Number(cpu.toFixed(1)),
          azuriteCpuS: azuriteBefore !== undefined && azuriteAfter !== undefined ? Number((azuriteAfter - azuriteBefore).toFixed(1)) : null,
          // The machine's 1-minute load average when the run started and ended (the machine is shared).
          loadAverage: [Number(loadBefore.toFixed(1)), Number((loadavg()[0] ?? 0).toFixed(1))],
          readS: figures.timings.readMs / 1000,
          writeS: figures.timings.writeMs / 1000,
          // The tenant's rows in `devices` after the run: device rows and the rows beside them, by kind.
          rowsPerDevice: Number((entities.total / Math.max(1, entities.devices)).toFixed(2)),
          rowsByKind: entities.byKind,
          rowsCountedInPartitions: entities.partitions,
        });
        console.log(
          [
            pad(users, 7),
            pad(label, 10),
            pad(figures.managedDevices, 8),
            pad(dry ? `(${planned})` : figures.devicesWritten, 8),
            pad(requests, 10),
            pad(pagesToRead, 6),
            pad((requests / pagesToRead).toFixed(2), 10),
            pad((requests / users).toFixed(4), 9),
            pad(tableTx, 9),
            pad(dry ? `(${Math.ceil(planned / 100)})` : figures.writeTransactions, 9),
            pad(`${wall.toFixed(1)} s`, 8),
            pad(`${cpu.toFixed(1)} s`, 7),
            pad(azuriteCpu, 12),
            pad(mib(peak.rss), 9),
            pad(mib(peak.heap), 10),
            pad(`${(figures.timings.readMs / 1000).toFixed(1)}/${(figures.timings.planMs / 1000).toFixed(1)}/${(figures.timings.writeMs / 1000).toFixed(1)} s`, 18),
          ].join(' '),
        );
      }
      await stopProcess(sim.child);
    }
  } finally {
    await azurite.stop();
  }
  const at = (users: number, run: string) => results.find((result) => result.users === users && result.run === run);
  const largest = Math.max(...runs.map((run) => run.size));
  console.log(
    '\ngraph req: requests sent to Graph (group lookup, member and device pages, retries); pages: pages that must be\n' +
      'read (1 group lookup + users/999 + devices/1000); req/user: Graph requests per user (one call per user would be >= 1);\n' +
      'table tx: every storage request (reads, lease, health, writes); write tx: device and group write transactions;\n' +
      'cpu, peak RSS, peak heap: this process, the connector (the simulator and Azurite run in their own processes);\n' +
      'azurite cpu: CPU time of the Azurite process; read/plan/write: the run\'s phases.\n' +
      'read+plan (--dry=N): the run reads and joins everything and writes nothing; (n) is what it would write.\n' +
      'rowsPerDevice (JSON): the tenant\'s rows per device row after the run, over every partition up to 20,000 devices,\n' +
      'else over 4 of the 256 (rowsCountedInPartitions).\n' +
      '\n' +
      'Device rows are spread over 256 partitions per tenant (by the first two characters of the device id), so a\n' +
      'first run commits its batches side by side; Azurite finds each written row by scanning its partition, which\n' +
      'stays small this way.',
  );
  console.log(
    JSON.stringify({
      bench: 'discovery',
      devicesPerUser,
      firstRunS: at(largest, 'first')?.wallS ?? null,
      noChangeRunS: at(largest, 'no-change')?.wallS ?? null,
      users: largest,
      runs: results,
    }),
  );
}

/**
 * The tenant's rows in `devices` by kind (device rows, then the rows beside them by RowKey prefix); keys only. Every
 * row up to `fullCountUpTo` devices; above, the rows of 4 of the tenant's 256 partitions (device ids are spread
 * evenly over them), because Azurite scans and sorts the whole table for each page of a query: counting 750,000
 * rows page by page would take longer than the runs it describes.
 */
async function countDeviceEntities(
  tables: TableStore,
  tenantId: string,
  devices: number,
): Promise<{ total: number; devices: number; byKind: Record<string, number>; partitions: number }> {
  const fullCountUpTo = 20_000;
  const sample = devices > fullCountUpTo;
  const byKind: Record<string, number> = {};
  let total = 0;
  const [from, to] = sample ? [`${tenantId}|00`, `${tenantId}|04`] : [`${tenantId}|`, `${tenantId}}`];
  const rows = tables.table('devices').listEntities({
    queryOptions: { filter: odata`PartitionKey ge ${from} and PartitionKey lt ${to}`, select: ['RowKey'] },
  });
  for await (const row of rows) {
    const rowKey = row.rowKey ?? '';
    const kind = rowKey.startsWith('~') ? rowKey.slice(0, 2) : 'device';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    total += 1;
  }
  return { total, devices: byKind.device ?? 0, byKind, partitions: sample ? 4 : 256 };
}

(process.argv[2] === '--serve-sim' ? serveSimulator(process.argv.slice(3)) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

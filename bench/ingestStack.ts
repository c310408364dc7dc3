/**
 * `npm run bench:ingest -- --stack`: threat reports through the whole local stack as `npm run dev` runs it: Azurite
 * keeping its data on disk, the simulated tenant over HTTPS, and the function host serving the catalog with its
 * queue stand-ins (kept on disk), the event relay and the timers on their schedules; all in this process, on a data
 * folder of its own (BENCH_DATA_DIR, default a new folder under the system's temp folder, removed afterwards), so a
 * developer's `.local/` is never touched.
 *
 * Workload: DEVICES devices of one tenant, each with a standing low-risk threat (UNSECURED_WIFI); every 10th report
 * of a device opens or resolves a high-risk one (ROOTED_OR_JAILBROKEN), so its grade changes: a device write, a push
 * to Intune, events relayed. Storage requests are counted at the storage client (shared/storage/requestCounts.ts)
 * by what caused them: the report (the HTTP function), the relay (the event relay the report's write starts), the
 * push (the compliance queue), the timers (their ticks and the tenant jobs they queue), other.
 *
 * Phases: a warm-up report per device (creates its rows; not measured); UNCHANGED reports that change nothing
 * (`storageOpsPerUnchangedReport`: every request of the stack while they run and until it is quiet again, per
 * report); then REPORTS reports of the mix in ROUNDS rounds alternating with as many raw single-entity upserts to the
 * same Azurite (`ratio`: reports/s ÷ upserts/s; the stack is let go quiet before each upsert round).
 * Settings (env): REPORTS (default 10000), UNCHANGED (2000), DEVICES (400), CONCURRENCY (32), ROUNDS (4), UPSERTS
 * (= REPORTS), BENCH_DATA_DIR.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { azuriteConnectionString, freePort, startAzurite } from '../dev/azurite.js';
import { generateScenario } from '../dev/sim/generate.js';
import { parseScenario } from '../dev/sim/scenario.js';
import { ensureLocalCa } from '../dev/sim/tls.js';
import { catalog } from '../functions/catalog.js';
import { systemClock } from '../shared/base/clock.js';
import type { Logger } from '../shared/base/logger.js';
import { issueCredential } from '../shared/devices/credential.js';
import { mutateDevice, readDevice } from '../shared/devices/deviceRepository.js';
import { encodeKey } from '../shared/storage/keys.js';
import { createDeviceRuntime } from '../shared/devices/runtime.js';
import { countStorageRequests, storageRequestKinds, storageRequestsBetween, type StorageRequestCounts } from '../shared/storage/requestCounts.js';
import { attributed, attributeRelay, describe, sumCounts } from './storageCauses.js';
import { startStack } from '../test/support/stack.js';
import { ensureBenchTrust } from './trust.js';
import { runPool } from './pool.js';

const env = process.env;
const reports = Number(env.REPORTS ?? 10_000);
const unchangedReports = Number(env.UNCHANGED ?? 2_000);
const devices = Number(env.DEVICES ?? 400);
const concurrency = Number(env.CONCURRENCY ?? 32);
const rounds = Math.max(1, Number(env.ROUNDS ?? 4));
const upserts = Number(env.UPSERTS ?? reports);
const clientId = '33333333-3333-4333-8333-333333333333';
const clientSecret = 'bench-client-secret';
const enrollmentGroup = 'MTD-All';
const causes = ['report', 'relay', 'push', 'timers', 'other'] as const;

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: (line) => console.error(line) };

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function postJson(url: string, token: string, body: unknown): Promise<{ status: number; text: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((done, fail) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': payload.length, authorization: `Bearer ${token}` },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(payload);
  });
}

function perReport(counts: StorageRequestCounts, count: number): Record<string, number> {
  return Object.fromEntries(
    causes.map((cause) => {
      const kinds = counts.byCause[cause];
      const total = kinds ? storageRequestKinds.reduce((sum, kind) => sum + kinds[kind], 0) : 0;
      return [cause, Number((total / count).toFixed(3))];
    }),
  );
}

export async function runIngestStack(): Promise<void> {
  const baseDir = resolve(env.BENCH_DATA_DIR ?? join(tmpdir(), `mtd-connector-ingest-stack-${process.getuid?.() ?? 'user'}`));
  const tlsDir = join(baseDir, 'tls');
  if (!(await ensureBenchTrust(tlsDir))) return;
  const tls = await ensureLocalCa(tlsDir);
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
  await mkdir(baseDir, { recursive: true });
  const dataDir = await mkdtemp(join(baseDir, 'run-'));

  const azurite = await startAzurite({ location: join(dataDir, 'azurite'), port: await freePort() });
  const connectionString = azuriteConnectionString(azurite.port);
  const counter = countStorageRequests();
  let stopStack: (() => Promise<void>) | undefined;
  try {
    const tenantId = randomUUID();
    const adminGroupId = randomUUID();
    // Parsed, so every field has its default.
    const scenario = parseScenario(generateScenario({ tenantId, users: devices, devicesPerUser: 1, clientId, clientSecret }));
    const tenant = scenario.tenants[0];
    const admin = tenant?.users[0];
    if (!tenant || !admin) throw new Error('the generated scenario has no tenant');
    tenant.groups.push({ id: adminGroupId, displayName: 'MTD Admins', description: null, securityEnabled: true, mailEnabled: false, members: [admin.id] });
    // Device ids spread over the tenant's partitions, as Intune's GUIDs do.
    for (const managed of tenant.managedDevices) managed.id = randomUUID();

    const unlimited = { burst: 1e9, perSecond: 1e9 };
    const stack = await startStack({
      tls: { cert, key },
      simulator: { clientSecret },
      scenario,
      storage: { connectionString },
      tablePrefix: 'Bench',
      tenants: [{ tenantId, fullAccessGroupId: adminGroupId, displayName: 'Bench', primaryContactEmail: 'bench@connector.test' }],
      settings: { SENDGRID_API_KEY: 'SG.bench', MAIL_FROM: 'bench@connector.test', CONNECTOR_CLIENT_SECRET: clientSecret },
      // The agent API's rate limits would refuse a load generator's devices; everything else is as `npm run dev` runs.
      overrides: ({ tables }) => ({ log: quiet, devices: createDeviceRuntime(tables, systemClock, { limits: { reports: unlimited, heartbeats: unlimited } }) }),
      host: { functionKey: 'bench', catalog: attributed(catalog), timers: true, queueStateDir: join(dataDir, 'queues') },
    });
    stopStack = () => stack.stop();
    const { host, services, tables } = stack;
    attributeRelay(services.events);

    // Quiet: no relay running and no message waiting, deferred ones included (pushes past the Intune budget wait for
    // its next window, so a phase's pushes do not spill into the next phase's counts).
    const quietDown = async (): Promise<void> => {
      const deadline = Date.now() + 180_000;
      for (;;) {
        await services.events.idle();
        const busy = [...host.queues.values()].some((queue) => {
          const counts = queue.counts();
          return counts.active + counts.locked + counts.scheduled > 0;
        });
        if (!busy || Date.now() > deadline) return;
        await new Promise((done) => setTimeout(done, 100));
      }
    };

    // Devices as discovery finds them (the tenant's enrollment group holds every user) and activation leaves them.
    const at = new Date();
    const now = at.toISOString();
    await tables.table('enrollmentGroups').upsertEntity({
      partitionKey: tenantId, rowKey: encodeKey(enrollmentGroup), displayName: enrollmentGroup, status: 'unchecked', addedAt: now, addedBy: 'bench',
    });
    await host.fireTimer('enrollmentSync');
    await quietDown();
    const fleet: { deviceId: string; token: string; sequence: number; rooted: boolean }[] = [];
    for (const managed of tenant.managedDevices) {
      const deviceId = managed.id.toLowerCase();
      const credential = issueCredential(tenantId, deviceId);
      const write = await mutateDevice(tables, tenantId, deviceId, (current) => ({
        ...current, status: 'active', statusChangedAt: now, activatedAt: now, lastCheckInAt: now, credentialHash: credential.hash, credentialIssuedAt: now,
      }), undefined, at);
      if (!write) throw new Error(`discovery did not find device ${deviceId}`);
      fleet.push({ deviceId, token: credential.token, sequence: 0, rooted: false });
    }
    await quietDown();

    const send = async (device: (typeof fleet)[number] | undefined, change: boolean): Promise<void> => {
      if (!device) throw new Error('no device');
      device.sequence += 1;
      if (change) device.rooted = Math.floor(device.sequence / 10) % 2 === 1;
      const observedAt = new Date().toISOString();
      const { status, text } = await postJson(`${host.url}/api/v1/device/threat-report`, device.token, {
        reportId: randomUUID(), sequence: device.sequence, observedAt,
        threats: [
          { id: 'wifi', classification: 'UNSECURED_WIFI', name: 'Cafe WiFi', detectedAt: now },
          ...(device.rooted ? [{ id: 'rooted', classification: 'ROOTED_OR_JAILBROKEN', detectedAt: now }] : []),
        ],
      });
      if (status !== 202) {
        const row = await readDevice(tables, tenantId, device.deviceId);
        throw new Error(`report answered ${status}: ${text.slice(0, 300)} (device row: ${row?.status ?? 'none'})`);
      }
    };
    // Worker w owns devices w, w + concurrency, ...: a device's reports go out one at a time, in order.
    const deviceOf = (index: number, worker: number) => {
      const owned = Math.max(1, Math.floor((devices - worker - 1) / concurrency) + 1);
      return fleet[(worker + concurrency * (Math.floor(index / concurrency) % owned)) % devices];
    };

    // Warm-up: every device's first report (its rows, its first push), not the steady state.
    await runPool(devices, concurrency, async (index) => send(fleet[index], false));
    await quietDown();

    // Reports that change nothing: every request of the stack while they run and until it is quiet again.
    const unchangedBefore = counter.counts();
    const unchangedSeconds = await runPool(unchangedReports, concurrency, (index, worker) => send(deviceOf(index, worker), false));
    await quietDown();
    const unchanged = storageRequestsBetween(unchangedBefore, counter.counts());

    // The mix, alternating with raw upserts.
    const raw = TableClient.fromConnectionString(connectionString, 'BenchRaw', { allowInsecureConnection: true });
    await raw.createTable();
    const upsert = async (index: number): Promise<void> => {
      await raw.upsertEntity({ partitionKey: tenantId, rowKey: `r${index % devices}`, value: index, at: new Date().toISOString() }, 'Replace');
    };
    let mix: StorageRequestCounts = { byCause: {}, byTable: {}, total: 0 };
    let reportSeconds = 0;
    let upsertSeconds = 0;
    for (let round = 0; round < rounds; round += 1) {
      const share = (total: number) => Math.floor(total / rounds) + (round < total % rounds ? 1 : 0);
      const before = counter.counts();
      reportSeconds += await runPool(share(reports), concurrency, (index, worker) => send(deviceOf(index, worker), true));
      await quietDown();
      const delta = storageRequestsBetween(before, counter.counts());
      mix = sumCounts(mix, delta);
      upsertSeconds += await runPool(share(upserts), concurrency, upsert);
    }
    await stopStack();
    stopStack = undefined;

    const reportRate = reports / reportSeconds;
    const upsertRate = upserts / upsertSeconds;
    const unchangedPerReport = unchanged.total / unchangedReports;
    console.log(`whole stack (host, queue stand-ins, event relay, timers on their schedules; Azurite on disk in ${dataDir})`);
    console.log(`reports that change nothing: ${unchangedReports} in ${unchangedSeconds.toFixed(2)} s = ${(unchangedReports / unchangedSeconds).toFixed(0)}/s`);
    console.log(`  storage requests per report: ${unchangedPerReport.toFixed(3)} (target ≤ 2), by cause:`);
    for (const line of describe(unchanged, unchangedReports)) console.log(line);
    console.log(`the mix (a standing low-risk threat; one report in ten changes the grade): ${reports} in ${reportSeconds.toFixed(2)} s = ${reportRate.toFixed(0)}/s (concurrency ${concurrency}, ${devices} devices)`);
    console.log(`  storage requests per report: ${(mix.total / reports).toFixed(3)}, by cause:`);
    for (const line of describe(mix, reports)) console.log(line);
    console.log(`raw upserts (alternating with the mix in ${rounds} rounds): ${upserts} in ${upsertSeconds.toFixed(2)} s = ${upsertRate.toFixed(0)}/s`);
    console.log(`ratio reports/s ÷ upserts/s: ${(reportRate / upsertRate).toFixed(2)} (target ≥ 0.4)`);
    console.log(
      JSON.stringify({
        bench: 'ingest-stack',
        reports,
        devices,
        concurrency,
        reportsPerSecond: Number(reportRate.toFixed(1)),
        upsertsPerSecond: Number(upsertRate.toFixed(1)),
        ratio: Number((reportRate / upsertRate).toFixed(3)),
        storageOpsPerUnchangedReport: Number(unchangedPerReport.toFixed(3)),
        storageOpsPerUnchangedReportByCause: perReport(unchanged, unchangedReports),
        storageOpsPerReport: Number((mix.total / reports).toFixed(3)),
        storageOpsPerReportByCause: perReport(mix, reports),
      }),
    );
  } finally {
    await stopStack?.().catch(() => undefined);
    counter.stop();
    agent.destroy();
    await azurite.stop();
    if (env.BENCH_DATA_DIR === undefined) await rm(dataDir, { recursive: true, force: true });
  }
}

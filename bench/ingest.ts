/**
 * `npm run bench:ingest`: threat reports per second through the local host (in-process, the same catalog Azure
 * runs) against Azurite, with p50/p99 latency, and in the same run the rate of raw `@azure/data-tables` upserts
 * to the same Azurite at the same concurrency. Prints the ratio (reports/s ÷ upserts/s) and the storage round
 * trips per report.
 *
 * Workload: DEVICES devices of one tenant, CONCURRENCY clients, each sending its devices' reports in sequence
 * order; a report carries two standing threats, and every 10th report of a device also opens or resolves one.
 * Settings (env): REPORTS (default 10000), DEVICES (400), CONCURRENCY (32), UPSERTS (default = REPORTS), ROUNDS (4:
 * reports and raw upserts alternate, so load changes weigh on both sides alike),
 * AZURITE_CONNECTION_STRING (else an in-memory Azurite is started).
 *
 * Devices are key-bound and every report carries a DPoP proof of the device key (the realistic path; `"dpop": true`
 * in the JSON line); `--bearer` sends bearer credentials instead. The proof check's own cost (µs per request, p50 and
 * p99) is measured apart, on proofs of the same kind.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { TableClient } from '@azure/data-tables';
import { systemClock } from '../shared/base/clock.js';
import { issueCredential } from '../shared/devices/credential.js';
import { deviceSchema, deviceToEntity } from '../shared/devices/device.js';
import { authenticateDevice } from '../shared/devices/deviceAuth.js';
import { createDeviceRuntime } from '../shared/devices/runtime.js';
import { receiveThreatReport } from '../shared/devices/threatReport.js';
import { accessTokenHash, verifyDpopProof } from '../shared/tokens/dpop.js';
import { dpopProof, generateDeviceKey, type DeviceKey } from '../dev/agent/referenceAgent.js';
import type { Logger } from '../shared/base/logger.js';
import { startStack } from '../test/support/stack.js';
import { runPool } from './pool.js';
import { azuriteCpuMs } from './processCpu.js';

const env = process.env;
const reports = Number(env.REPORTS ?? 10_000);
const devices = Number(env.DEVICES ?? 400);
const concurrency = Number(env.CONCURRENCY ?? 32);
const upserts = Number(env.UPSERTS ?? reports);
const rounds = Math.max(1, Number(env.ROUNDS ?? 4));
const dpop = !process.argv.includes('--bearer');

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: (line) => console.error(line) };

/** A lean keep-alive HTTP client, so the load generator takes as little of the machine as it can. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function postJson(url: string, auth: Record<string, string>, body: unknown): Promise<number> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': payload.length, ...auth },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}


function perItem(before: number | undefined, after: number | undefined, count: number): string {
  return before === undefined || after === undefined ? 'n/a' : `${((after - before) / count).toFixed(2)} ms`;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const tenantId = randomUUID();
  const unlimited = { burst: 1e9, perSecond: 1e9 };
  const stack = await startStack({
    scenario: false,
    storage: env.AZURITE_CONNECTION_STRING ? { connectionString: env.AZURITE_CONNECTION_STRING } : 'memory',
    tablePrefix: `B${randomUUID().replace(/-/g, '').slice(0, 8)}`,
    tenants: [{ tenantId, fullAccessGroupId: randomUUID(), displayName: 'Bench', primaryContactEmail: 'bench@example.test' }],
    settings: { SENDGRID_API_KEY: 'SG.bench', MAIL_FROM: 'bench@example.test', CONNECTOR_CLIENT_SECRET: 'bench' },
    // Compliance pushes are not what this measures: their nudges go nowhere.
    overrides: ({ tables }) => ({
      log: quiet,
      queues: () => ({ send: () => Promise.resolve() }),
      devices: createDeviceRuntime(tables, systemClock, { limits: { reports: unlimited, heartbeats: unlimited } }),
    }),
    host: { functionKey: 'bench' },
  });
  const { tables, host, services, azurite, connectionString, tablePrefix: prefix } = stack;
  const emulatorCpuMs = (): number | undefined => (azurite ? azuriteCpuMs(azurite.port) : undefined);
  const now = new Date().toISOString();

  // Devices activated directly in storage (activation is not what this measures).
  const fleet: { deviceId: string; token: string; sequence: number; key?: DeviceKey }[] = [];
  for (let i = 0; i < devices; i += 1) {
    const deviceId = randomUUID();
    const credential = issueCredential(tenantId, deviceId);
    const key = dpop ? await generateDeviceKey() : undefined;
    const device = deviceSchema.parse({
      tenantId, deviceId, intuneDeviceId: deviceId, platform: i % 2 ? 'ios' : 'android', userId: randomUUID(),
      status: 'active', statusChangedAt: now, discoveredAt: now, activatedAt: now, lastCheckInAt: now,
      credentialHash: credential.hash, credentialIssuedAt: now, ...(key ? { keyThumbprint: key.jkt } : {}),
    });
    await tables.table('devices').upsertEntity(deviceToEntity(device), 'Replace');
    fleet.push({ deviceId, token: credential.token, sequence: 0, ...(key ? { key } : {}) });
  }
  const reportHtu = `${stack.config.PUBLIC_BASE_URL}/api/v1/device/threat-report`;
  /**
   * Proofs signed ahead of a round, per device: on a phone the agent signs its proof, so the signing is not the
   * service's cost and stays out of the timed rounds (each proof still has its own `jti` and a fresh `iat`).
   */
  const signedAhead = new Map<string, string[]>();
  const signAhead = async (perDevice: number): Promise<void> => {
    for (const device of fleet) {
      if (!device.key) continue;
      const key = device.key;
      const proofs = await Promise.all(
        Array.from({ length: perDevice }, () => dpopProof(key, { htm: 'POST', htu: reportHtu, ath: accessTokenHash(device.token) })),
      );
      signedAhead.set(device.deviceId, proofs);
    }
  };
  /** The request's credential, with a proof of the device key when key-bound (signed ahead, else now). */
  const authFor = async (device: (typeof fleet)[number], htu: string): Promise<Record<string, string>> => {
    if (!device.key) return { authorization: `Bearer ${device.token}` };
    const ready = htu === reportHtu ? signedAhead.get(device.deviceId)?.pop() : undefined;
    return { authorization: `DPoP ${device.token}`, dpop: ready ?? (await dpopProof(device.key, { htm: 'POST', htu, ath: accessTokenHash(device.token) })) };
  };

  const sendTo = async (device: (typeof fleet)[number] | undefined): Promise<number> => {
    if (!device) throw new Error('no device');
    device.sequence += 1;
    const threats = [
      { id: 'rooted', classification: 'ROOTED_OR_JAILBROKEN', detectedAt: now },
      { id: 'wifi', classification: 'UNSECURED_WIFI', name: 'Cafe WiFi', detectedAt: now },
      ...(Math.floor(device.sequence / 10) % 2 === 1 ? [{ id: 'adware', classification: 'ADWARE', packageName: 'com.example.ads', detectedAt: now }] : []),
    ];
    const auth = await authFor(device, reportHtu);
    const started = performance.now();
    const status = await postJson(`${host.url}/api/v1/device/threat-report`, auth, {
      reportId: randomUUID(), sequence: device.sequence, observedAt: new Date().toISOString(), threats,
    });
    if (status !== 202) throw new Error(`report answered ${status}`);
    return performance.now() - started;
  };
  // Worker w owns devices w, w + concurrency, ...: a device's reports go out one at a time, in order.
  const deviceOf = (index: number, worker: number) => {
    const owned = Math.max(1, Math.floor((devices - worker - 1) / concurrency) + 1);
    return fleet[(worker + concurrency * (Math.floor(index / concurrency) % owned)) % devices];
  };
  const send = (index: number, worker: number): Promise<number> => sendTo(deviceOf(index, worker));

  // Warm-up: one report to every device creates its rows (not the steady state).
  await runPool(devices, concurrency, async (index) => void (await sendTo(fleet[index])));
  // Reports and raw upserts alternate in ROUNDS rounds, so a change in the machine's load during the run weighs
  // on both sides of the ratio alike.
  const raw = TableClient.fromConnectionString(connectionString, `${prefix}Raw`, { allowInsecureConnection: true });
  await raw.createTable();
  const upsert = async (index: number): Promise<void> => {
    await raw.upsertEntity({ partitionKey: tenantId, rowKey: `r${index % devices}`, value: index, at: new Date().toISOString() }, 'Replace');
  };
  const latencies: number[] = [];
  const report = { seconds: 0, cpuMs: 0, storageCpuMs: 0 as number | undefined, transactions: 0 };
  const baseline = { seconds: 0, cpuMs: 0, storageCpuMs: 0 as number | undefined };
  const addStorage = (before: number | undefined, after: number | undefined, total: number | undefined) =>
    before === undefined || after === undefined || total === undefined ? undefined : total + after - before;
  for (let round = 0; round < rounds; round += 1) {
    const share = (total: number) => Math.floor(total / rounds) + (round < total % rounds ? 1 : 0);
    if (dpop) await signAhead(Math.ceil(share(reports) / devices) + 4);
    let cpu = process.cpuUsage();
    let storageCpu = emulatorCpuMs();
    const transactionsBefore = tables.stats.transactions;
    report.seconds += await runPool(share(reports), concurrency, async (index, worker) => void latencies.push(await send(index, worker)));
    report.cpuMs += cpuMs(process.cpuUsage(cpu));
    report.storageCpuMs = addStorage(storageCpu, emulatorCpuMs(), report.storageCpuMs);
    report.transactions += tables.stats.transactions - transactionsBefore;

    cpu = process.cpuUsage();
    storageCpu = emulatorCpuMs();
    baseline.seconds += await runPool(share(upserts), concurrency, upsert);
    baseline.cpuMs += cpuMs(process.cpuUsage(cpu));
    baseline.storageCpuMs = addStorage(storageCpu, emulatorCpuMs(), baseline.storageCpuMs);
  }
  const reportSeconds = report.seconds;
  const reportCpuMs = report.cpuMs / reports;
  const reportStorageCpu = perItem(0, report.storageCpuMs, reports);
  const transactionsPerReport = report.transactions / reports;
  const upsertSeconds = baseline.seconds;
  const upsertCpuMs = baseline.cpuMs / upserts;
  const upsertStorageCpu = perItem(0, baseline.storageCpuMs, upserts);
  await host.close();

  // The same work without the HTTP hop: what the storage path alone sustains.
  const direct = async (index: number, worker: number): Promise<void> => {
    const device = deviceOf(index, worker);
    if (!device) throw new Error('no device');
    device.sequence += 1;
    const headers = new Headers(await authFor(device, 'http://localhost/api/v1/device/threat-report'));
    const principal = await authenticateDevice(services, 'report')({
      method: 'POST', url: 'http://localhost/api/v1/device/threat-report', headers, query: new URLSearchParams(), params: {}, text: () => Promise.resolve(''),
    });
    const result = await receiveThreatReport(services, principal, {
      reportId: randomUUID(), sequence: device.sequence, observedAt: new Date().toISOString(),
      threats: [
        { id: 'rooted', classification: 'ROOTED_OR_JAILBROKEN', detectedAt: now },
        { id: 'wifi', classification: 'UNSECURED_WIFI', name: 'Cafe WiFi', detectedAt: now },
        ...(Math.floor(device.sequence / 10) % 2 === 1 ? [{ id: 'adware', classification: 'ADWARE' as const, packageName: 'com.example.ads', detectedAt: now }] : []),
      ],
    });
    if (!result.applied) throw new Error('in-process report not applied');
  };
  const directCpu = process.cpuUsage();
  const directSeconds = await runPool(reports, concurrency, direct);
  const directCpuMs = cpuMs(process.cpuUsage(directCpu)) / reports;
  await stack.stop();
  agent.destroy();

  // The proof check alone (signature, claims, thumbprint), per request, on proofs like the ones above.
  const proofMicros: number[] = [];
  const sample = fleet[0];
  if (dpop && sample?.key) {
    const proofs = await Promise.all(
      Array.from({ length: 2000 }, () => dpopProof(sample.key as DeviceKey, { htm: 'POST', htu: reportHtu, ath: accessTokenHash(sample.token) })),
    );
    for (const proof of proofs) {
      const started = performance.now();
      await verifyDpopProof(proof, { method: 'POST', urls: [reportHtu], accessToken: sample.token, nowMs: Date.now() });
      proofMicros.push((performance.now() - started) * 1000);
    }
    proofMicros.sort((a, b) => a - b);
  }

  latencies.sort((a, b) => a - b);
  const reportRate = reports / reportSeconds;
  const upsertRate = upserts / upsertSeconds;
  console.log(`threat reports: ${reports} in ${reportSeconds.toFixed(2)} s = ${reportRate.toFixed(0)}/s (concurrency ${concurrency}, ${devices} devices)`);
  console.log(`  latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
  console.log(`  storage round trips per report: ${transactionsPerReport.toFixed(2)}; CPU of this process per report ${reportCpuMs.toFixed(2)} ms, of Azurite ${reportStorageCpu}`);
  console.log(`same reports in-process (no HTTP): ${(reports / directSeconds).toFixed(0)}/s; CPU per report ${directCpuMs.toFixed(2)} ms`);
  console.log(`raw upserts (alternating with the reports in ${rounds} rounds): ${upserts} in ${upsertSeconds.toFixed(2)} s = ${upsertRate.toFixed(0)}/s (concurrency ${concurrency}); CPU per upsert ${upsertCpuMs.toFixed(2)} ms, of Azurite ${upsertStorageCpu}`);
  console.log(`ratio reports/s ÷ upserts/s: ${(reportRate / upsertRate).toFixed(2)} (target ≥ 0.5)`);
  const proofP50 = percentile(proofMicros, 50);
  const proofP99 = percentile(proofMicros, 99);
  if (dpop) console.log(`DPoP proof check per request: p50 ${proofP50.toFixed(0)} µs, p99 ${proofP99.toFixed(0)} µs (${proofMicros.length} proofs)`);
  else console.log('bearer credentials (--bearer): no DPoP proofs');
  console.log(
    JSON.stringify({
      bench: 'ingest',
      dpop,
      reports,
      devices,
      concurrency,
      reportsPerSecond: Math.round(reportRate),
      upsertsPerSecond: Math.round(upsertRate),
      ratio: Number((reportRate / upsertRate).toFixed(2)),
      latencyMs: { p50: Number(percentile(latencies, 50).toFixed(1)), p99: Number(percentile(latencies, 99).toFixed(1)) },
      transactionsPerReport: Number(transactionsPerReport.toFixed(2)),
      ...(dpop ? { dpopProofMicros: { p50: Math.round(proofP50), p99: Math.round(proofP99) } } : {}),
    }),
  );
}

// `--stack`: the same kind of mix through the whole local stack (bench/ingestStack.ts).
if (process.argv.includes('--stack')) await (await import('./ingestStack.js')).runIngestStack();
else await main();

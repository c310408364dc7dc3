/**
 * `npm run bench:events`: threat reports through the local host (in-process, the same catalog Azure runs) against
 * Azurite and the simulated tenant, with two webhook endpoints (one healthy, one that fails the first attempt of half
 * its deliveries, so those are retried on the real schedule) and a feed reader (`GET /api/v1/events?wait=`).
 *
 * The endpoints run in a process of their own (bench/webhookReceivers.ts), as a customer's do, so this process's CPU is
 * the connector's (and the load generator's). Two tenants share the host: tenant W has the two endpoints, tenant N has
 * none. Their reports alternate in ROUNDS rounds, so the agent API's report rate with and without webhooks is measured
 * in the same process under the same load (the ratio shows whether delivery slows ingest). Every report names a new
 * threat and so resolves the previous one: `threat.detected` and `threat.resolved` are expected per report, and their
 * keys (tenant, device, threat, type) tell what was lost or duplicated.
 *
 * Before those rounds, on a system with no backlog, a steady load (PACED_RATE reports per second to W for
 * PACED_SECONDS, default 5/s for 30 s) measures the delay from each report to its delivery and to the feed reader:
 * `webhookP99Ms` is that figure; the full-rate rounds' delays (the backlog they build) are printed beside it as
 * `saturated...`.
 *
 * Prints: events recorded per report, report → webhook delay (p50/p99, healthy and failing endpoint), report → feed
 * delay, deliveries per event (redundant deliveries counted), what the delivery path costs per event delivered
 * (`storageOpsPerDelivery`: requests to the `webhooks` and `webhookDeliveries` tables counted at their storage
 * clients, a transaction being one; `queueMessagesPerDelivery`: messages sent to `webhook-deliveries`; both divided
 * by the 2xx deliveries at both endpoints), report rates and their ratio, the cores this process and Azurite kept busy
 * during the full-rate rounds (`busyCores`: Azurite is single-threaded, so near 1 it is the bottleneck); then one JSON
 * line.
 * Settings (env): REPORTS per tenant (default 1000), DEVICES per tenant (100), CONCURRENCY (16), ROUNDS (4),
 * AZURITE_CONNECTION_STRING (else an in-memory Azurite is started).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseScenario } from '../dev/sim/scenario.js';
import { ensureLocalCa } from '../dev/sim/tls.js';
import type { ReceivedDelivery } from '../dev/webhookReceiver.js';
import { systemClock } from '../shared/base/clock.js';
import { issueCredential } from '../shared/devices/credential.js';
import { deviceSchema, deviceToEntity } from '../shared/devices/device.js';
import { createDeviceRuntime } from '../shared/devices/runtime.js';
import type { Logger } from '../shared/base/logger.js';
import type { TableStore } from '../shared/storage/index.js';
import { catalog } from '../functions/catalog.js';
import { countStorageRequests, storageRequestsBetween } from '../shared/storage/requestCounts.js';
import { startStack } from '../test/support/stack.js';
import { azuriteCpuMs, ownCpuMs } from './processCpu.js';
import { attributed, attributeRelay, describe } from './storageCauses.js';
import { startReceiverProcess } from './webhookReceivers.js';
import { runPool } from './pool.js';

const env = process.env;
const reportsPerTenant = Number(env.REPORTS ?? 1_000);
const devices = Number(env.DEVICES ?? 100);
const concurrency = Number(env.CONCURRENCY ?? 16);
const rounds = Math.max(1, Number(env.ROUNDS ?? 4));
const clientId = '33333333-3333-4333-8333-333333333333';
const clientSecret = 'bench-client-secret';

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: (line) => console.error(line) };

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function httpJson(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? (JSON.parse(text) as unknown) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
}

const fmt = (value: number | null): string => (value === null ? 'n/a' : `${value.toFixed(0)} ms`);

interface EventLike {
  id: string;
  type: string;
  tenantId: string;
  data: { device?: { deviceId?: string }; threat?: { id?: string } };
}

function asEvent(value: unknown): EventLike | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.id !== 'string' || typeof record.type !== 'string' || typeof record.tenantId !== 'string') return undefined;
  const data = typeof record.data === 'object' && record.data !== null ? (record.data as EventLike['data']) : {};
  return { id: record.id, type: record.type, tenantId: record.tenantId, data };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The key of a threat event: what the bench can expect without knowing event ids. */
function threatKey(event: EventLike): string | undefined {
  const deviceId = event.data.device?.deviceId;
  const threatId = event.data.threat?.id;
  if (!deviceId || !threatId || (event.type !== 'threat.detected' && event.type !== 'threat.resolved')) return undefined;
  return `${event.tenantId}|${deviceId}|${threatId}|${event.type}`;
}

/**
 * The simulator and the webhook receivers serve TLS with a local CA, which Node trusts only through
 * NODE_EXTRA_CA_CERTS read at start-up: make the CA, and unless this process already trusts it, run again so.
 */
const tls = await ensureLocalCa(join(tmpdir(), `mtd-connector-bench-tls-${process.getuid?.() ?? 'user'}`));
if (resolve(env.NODE_EXTRA_CA_CERTS ?? '') !== resolve(tls.caCertFile)) {
  const result = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...env, NODE_EXTRA_CA_CERTS: tls.caCertFile },
  });
  process.exit(result.status ?? 1);
}

/** What the delivery path costs: requests to its tables (`webhooks`, `webhookDeliveries`) and its queue's messages. */
const deliveryCost = { storageOps: 0, queueMessages: 0 };
const countedClients = new Set<unknown>();
function countDeliveryStorage(tables: TableStore): void {
  for (const name of ['webhooks', 'webhookDeliveries'] as const) {
    const client = tables.table(name);
    if (countedClients.has(client)) continue;
    countedClients.add(client);
    // Per retry, as the store's own counter: every request that reaches the service (a transaction is one).
    client.pipeline.addPolicy(
      {
        name: 'benchDeliveryCounter',
        sendRequest: (request, next) => {
          deliveryCost.storageOps += 1;
          return next(request);
        },
      },
      { phase: 'Retry' },
    );
  }
}

async function main(): Promise<void> {
  const cert = await readFile(tls.certFile);
  const key = await readFile(tls.keyFile);

  const tenants = { with: randomUUID(), without: randomUUID() };
  const admins = { with: randomUUID(), without: randomUUID() };
  const adminIds = new Map<string, string>();
  const adminOf = (tenantId: string) => {
    const id = adminIds.get(tenantId) ?? randomUUID();
    adminIds.set(tenantId, id);
    return { id, upn: `admin@${tenantId.slice(0, 8)}.test` };
  };
  const scenarioTenant = (tenantId: string, groupId: string, name: string) => {
    const admin = adminOf(tenantId);
    return { id: tenantId, displayName: name, users: [{ id: admin.id, userPrincipalName: admin.upn, displayName: 'Admin' }], groups: [{ id: groupId, displayName: 'MTD Admins', members: [admin.id] }] };
  };
  const unlimited = { burst: 1e9, perSecond: 1e9 };
  const stack = await startStack({
    tls: { cert, key },
    simulator: { clientSecret },
    scenario: parseScenario({
      app: { clientId },
      consentedTenants: [tenants.with, tenants.without],
      tenants: [scenarioTenant(tenants.with, admins.with, 'With webhooks'), scenarioTenant(tenants.without, admins.without, 'Without webhooks')],
    }),
    storage: env.AZURITE_CONNECTION_STRING ? { connectionString: env.AZURITE_CONNECTION_STRING } : 'memory',
    tablePrefix: `E${randomUUID().replace(/-/g, '').slice(0, 8)}`,
    tenants: (['with', 'without'] as const).map((side) => ({
      tenantId: tenants[side],
      fullAccessGroupId: admins[side],
      displayName: side,
      primaryContactEmail: 'bench@example.test',
    })),
    settings: { MAIL_FROM: 'bench@example.test', CONNECTOR_CLIENT_SECRET: clientSecret, WEBHOOK_ALLOWED_PRIVATE_HOSTS: 'localhost,127.0.0.1' },
    // Compliance pushes are not what this measures: their nudges go nowhere. Webhook work uses the host's queue,
    // counted; so are the delivery path's storage requests, at the storage client of its two tables.
    overrides: ({ tables, queues }) => {
      countDeliveryStorage(tables);
      return {
        log: quiet,
        queues: (name) => {
          if (name === 'compliance-updates') return { send: () => Promise.resolve() };
          const sender = queues(name);
          if (name !== 'webhook-deliveries') return sender;
          return {
            send: (messages) => {
              deliveryCost.queueMessages += messages.length;
              return sender.send(messages);
            },
          };
        },
        devices: createDeviceRuntime(tables, systemClock, { limits: { reports: unlimited, heartbeats: unlimited } }),
      };
    },
    host: { functionKey: 'bench', catalog: attributed(catalog) },
  });
  const { sim, tables, host, services, azurite } = stack;
  attributeRelay(services.events);
  const counter = countStorageRequests();
  const now = new Date().toISOString();

  interface BenchDevice {
    tenantId: string;
    deviceId: string;
    token: string;
    sequence: number;
  }
  const fleets: Record<'with' | 'without', BenchDevice[]> = { with: [], without: [] };
  for (const side of ['with', 'without'] as const) {
    for (let i = 0; i < devices; i += 1) {
      const tenantId = tenants[side];
      const deviceId = randomUUID();
      const credential = issueCredential(tenantId, deviceId);
      const device = deviceSchema.parse({
        tenantId, deviceId, intuneDeviceId: deviceId, platform: i % 2 ? 'ios' : 'android', userId: randomUUID(), deviceName: `bench-${i}`,
        userPrincipalName: `user${i}@bench.test`, status: 'active', statusChangedAt: now, discoveredAt: now, activatedAt: now,
        lastCheckInAt: now, credentialHash: credential.hash, credentialIssuedAt: now,
      });
      await tables.table('devices').upsertEntity(deviceToEntity(device), 'Replace');
      fleets[side].push({ tenantId, deviceId, token: credential.token, sequence: 0 });
    }
  }

  // The endpoints, in a process of their own: the failing one answers 500 to the first attempt of half the events.
  const receivers = await startReceiverProcess(tls);
  const healthy = receivers.endpoints.healthy;
  const flaky = receivers.endpoints.flaky;

  const tokens = {
    with: await sim.state.mintUserToken({ tenantId: tenants.with, userId: adminOf(tenants.with).id }),
    without: await sim.state.mintUserToken({ tenantId: tenants.without, userId: adminOf(tenants.without).id }),
  };
  const types = ['threat.detected', 'threat.resolved', 'device.risk_changed', 'device.status_changed'];
  for (const receiver of [healthy, flaky]) {
    const created = await httpJson('POST', `${host.url}/api/v1/console/webhooks`, tokens.with, { url: `${receiver.url}/hook`, types });
    if (created.status !== 201) throw new Error(`creating a webhook answered ${created.status}: ${JSON.stringify(created.json)}`);
  }

  // Feed readers, one per tenant, from the start of the tenant's feed.
  const feedSeen = new Map<string, number>();
  const feedIds = new Map<string, number>();
  const feedKeysSeen = new Map<string, number>();
  let feedAvailable = true;
  let stopping = false;
  const readFeed = async (token: string): Promise<void> => {
    let cursor: string | null = null;
    while (!stopping) {
      const query: string = `limit=1000&wait=2${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`;
      const answer = await httpJson('GET', `${host.url}/api/v1/events?${query}`, token).catch(() => ({ status: 0, json: undefined }));
      if (answer.status === 404) {
        feedAvailable = false;
        return;
      }
      if (answer.status !== 200 || typeof answer.json !== 'object' || answer.json === null) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const page = answer.json as { items?: unknown[]; nextCursor?: unknown };
      const at = Date.now();
      for (const item of page.items ?? []) {
        const event = asEvent(item);
        if (!event) continue;
        feedIds.set(event.id, (feedIds.get(event.id) ?? 0) + 1);
        const key = threatKey(event);
        if (key) {
          feedKeysSeen.set(key, (feedKeysSeen.get(key) ?? 0) + 1);
          if (!feedSeen.has(key)) feedSeen.set(key, at);
        }
      }
      if (typeof page.nextCursor === 'string') cursor = page.nextCursor;
    }
  };
  const readers = [readFeed(tokens.with), readFeed(tokens.without)];

  // Reports: each names a new threat (t{n}), which resolves the previous one.
  const sentAt = new Map<string, number>();
  const expected = new Set<string>();
  const report = async (device: BenchDevice, keys?: string[]): Promise<void> => {
    device.sequence += 1;
    const threatId = `t${device.sequence}`;
    const started = Date.now();
    sentAt.set(`${device.tenantId}|${device.deviceId}|${threatId}|threat.detected`, started);
    const answer = await httpJson('POST', `${host.url}/api/v1/device/threat-report`, device.token, {
      reportId: randomUUID(), sequence: device.sequence, observedAt: new Date().toISOString(),
      threats: [{ id: threatId, classification: 'ADWARE', packageName: 'com.example.ads', detectedAt: new Date().toISOString() }],
    });
    if (answer.status !== 202) throw new Error(`a report answered ${answer.status}`);
    expected.add(`${device.tenantId}|${device.deviceId}|${threatId}|threat.detected`);
    keys?.push(`${device.tenantId}|${device.deviceId}|${threatId}|threat.detected`);
    if (device.sequence > 1) {
      const previous = `${device.tenantId}|${device.deviceId}|t${device.sequence - 1}|threat.resolved`;
      expected.add(previous);
      keys?.push(previous);
      sentAt.set(previous, started);
    }
  };
  const deviceOf = (fleet: BenchDevice[], index: number, worker: number): BenchDevice => {
    const owned = Math.max(1, Math.floor((devices - worker - 1) / concurrency) + 1);
    const device = fleet[(worker + concurrency * (Math.floor(index / concurrency) % owned)) % devices];
    if (!device) throw new Error('no device');
    return device;
  };

  // Waiting for deliveries and the feed to catch up (the failing endpoint's retries come 5 s after a failure).
  type Seen = Map<string, { first: number; count: number; ids: Set<string> }>;
  /** Deliveries by threat key, indexed as they arrive (each delivery is parsed once). */
  const indexer = (received: readonly ReceivedDelivery[], delivered: boolean): (() => Seen) => {
    const map: Seen = new Map();
    let done = 0;
    return () => {
      for (; done < received.length; done += 1) {
        const delivery = received[done];
        if (!delivery || (delivered && (delivery.status < 200 || delivery.status >= 300))) continue;
        const event = asEvent(parseBody(delivery.body));
        const key = event ? threatKey(event) : undefined;
        if (!event || !key) continue;
        const entry = map.get(key) ?? { first: delivery.receivedAt, count: 0, ids: new Set<string>() };
        entry.count += 1;
        entry.first = Math.min(entry.first, delivery.receivedAt);
        entry.ids.add(event.id);
        map.set(key, entry);
      }
      return map;
    };
  };
  const healthyIndex = indexer(healthy.received, true);
  const flakyIndex = indexer(flaky.received, true);
  const flakyAllIndex = indexer(flaky.received, false);
  const healthyAllIndex = indexer(healthy.received, false);
  // Events still on their way when this runs out are counted as lost (DRAIN_SECONDS per phase, default 300).
  const drain = async (keys: readonly string[], keysWith: readonly string[]): Promise<void> => {
    const deadline = Date.now() + Number(env.DRAIN_SECONDS ?? 300) * 1000;
    while (Date.now() < deadline) {
      const healthyKeys = healthyIndex();
      const flakyKeys = flakyIndex();
      const feedDone = !feedAvailable || keys.every((key) => feedSeen.has(key));
      if (feedDone && keysWith.every((key) => healthyKeys.has(key) && flakyKeys.has(key))) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  // Warm-up: one report per device of both tenants (not measured as a rate, but its events count).
  for (const side of ['with', 'without'] as const) {
    await runPool(devices, concurrency, async (index) => {
      const device = fleets[side][index];
      if (device) await report(device);
    });
  }
  const inW = (key: string): boolean => key.startsWith(`${tenants.with}|`);
  await drain([...expected], [...expected].filter(inW));

  // A steady load on a system with no backlog: PACED_RATE reports per second to tenant W for PACED_SECONDS, each
  // measured from its report to its delivery (the target's figure). The rounds below run at the agent API's full
  // rate, where the delay is that of the backlog they build; both are printed.
  const pacedRate = Math.max(0.1, Number(env.PACED_RATE ?? 5));
  const pacedCount = Math.max(0, Math.round(pacedRate * Number(env.PACED_SECONDS ?? 30)));
  const pacedKeys: string[] = [];
  const pacedStart = Date.now();
  const pacedReports: Promise<void>[] = [];
  for (let index = 0; index < pacedCount; index += 1) {
    const wait = pacedStart + (index * 1000) / pacedRate - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const device = fleets.with[index % devices];
    if (device) pacedReports.push(report(device, pacedKeys));
  }
  await Promise.all(pacedReports);
  await drain(pacedKeys, pacedKeys);

  const seconds = { with: 0, without: 0 };
  const roundsBefore = counter.counts();
  // Where the machine's time goes while the full-rate rounds run and drain: this process (the connector and the
  // load generator) and Azurite, each in cores kept busy.
  const cpuBefore = { wallMs: performance.now(), ownMs: ownCpuMs(), azuriteMs: azurite ? azuriteCpuMs(azurite.port) : undefined };
  for (let round = 0; round < rounds; round += 1) {
    const share = Math.floor(reportsPerTenant / rounds) + (round < reportsPerTenant % rounds ? 1 : 0);
    for (const side of round % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
      seconds[side] += await runPool(share, concurrency, (index, worker) => report(deviceOf(fleets[side], index, worker)));
    }
  }
  const reportsSent = { with: reportsPerTenant + devices, without: reportsPerTenant + devices };

  const pacedSet = new Set(pacedKeys);
  const expectedWith = [...expected].filter((key) => inW(key) && !pacedSet.has(key));
  await drain([...expected], expectedWith);
  // Every storage request of the full-rate rounds until their events were delivered, by cause (the feed reader's
  // reads count as `other`).
  const roundsCost = storageRequestsBetween(roundsBefore, counter.counts());
  const roundsWallMs = performance.now() - cpuBefore.wallMs;
  const azuriteAfterMs = azurite ? azuriteCpuMs(azurite.port) : undefined;
  const busyCores = {
    connector: (ownCpuMs() - cpuBefore.ownMs) / roundsWallMs,
    azurite: cpuBefore.azuriteMs === undefined || azuriteAfterMs === undefined ? undefined : (azuriteAfterMs - cpuBefore.azuriteMs) / roundsWallMs,
  };
  stopping = true;
  await Promise.all(readers);

  // ---- figures ----------------------------------------------------------------------------------------------
  const healthyKeys = healthyIndex();
  const flakyDelivered = flakyIndex();
  const flakyAll = flakyAllIndex();
  const delaysOf = (keys: readonly string[], at: (key: string) => number | undefined): number[] =>
    keys.flatMap((key) => {
      const seen = at(key);
      const sent = sentAt.get(key);
      return seen !== undefined && sent !== undefined ? [seen - sent] : [];
    }).sort((a, b) => a - b);
  const saturatedWebhookDelays = delaysOf(expectedWith, (key) => healthyKeys.get(key)?.first);
  const webhookDelays = delaysOf(pacedKeys, (key) => healthyKeys.get(key)?.first);
  const flakyDelays = delaysOf(pacedKeys, (key) => flakyDelivered.get(key)?.first);
  const saturatedFeedDelays = delaysOf([...expected].filter((key) => !pacedSet.has(key)), (key) => feedSeen.get(key));
  const feedDelays = delaysOf(pacedKeys, (key) => feedSeen.get(key));

  // The webhook path's own share: from the moment the feed reader saw an event to its delivery at the healthy endpoint.
  const feedToWebhook = (keys: readonly string[]): number[] =>
    keys.flatMap((key) => {
      const fed = feedSeen.get(key);
      const delivered = healthyKeys.get(key)?.first;
      return fed !== undefined && delivered !== undefined ? [delivered - fed] : [];
    }).sort((a, b) => a - b);
  const relayToWebhook = feedToWebhook(pacedKeys);
  const saturatedRelayToWebhook = feedToWebhook(expectedWith);
  const allWith = [...expectedWith, ...pacedKeys];
  const totalReports = reportsSent.with + reportsSent.without + pacedCount;
  const feedEvents = [...feedIds.values()].reduce((sum, count) => sum + count, 0);
  const eventsLost = feedAvailable ? [...expected].filter((key) => !feedSeen.has(key)).length : null;
  const eventsDuplicated = feedAvailable
    ? [...feedIds.values()].filter((count) => count > 1).length + [...feedKeysSeen.values()].filter((count) => count > 1).length
    : null;
  const webhookEventsLost = allWith.filter((key) => !healthyKeys.has(key)).length;
  const healthyDeliveries = [...healthyKeys.values()].reduce((sum, entry) => sum + entry.count, 0);
  const redundantDeliveries = [...healthyKeys.values()].reduce((sum, entry) => sum + entry.count - 1, 0) + [...flakyDelivered.values()].reduce((sum, entry) => sum + entry.count - 1, 0);
  const flakyAttempts = [...flakyAll.values()].reduce((sum, entry) => sum + entry.count, 0);
  const rate = { with: reportsPerTenant / seconds.with, without: reportsPerTenant / seconds.without };
  const ratio = rate.with / rate.without;
  const webhookEventsPerReport = [...healthyAllIndex().keys()].length / (reportsSent.with + pacedCount);
  await services.webhooks.idle();
  // Every event delivered (a 2xx), at both endpoints, whatever its type.
  const delivered = [healthy, flaky].reduce((sum, receiver) => sum + receiver.received.filter((item) => item.status >= 200 && item.status < 300).length, 0);
  const storageOpsPerDelivery = delivered > 0 ? deliveryCost.storageOps / delivered : null;
  const queueMessagesPerDelivery = delivered > 0 ? deliveryCost.queueMessages / delivered : null;

  stopping = true;
  await host.close();
  await services.webhooks.idle();
  await receivers.close();
  await stack.stop();
  counter.stop();
  agent.destroy();

  console.log(`reports: ${totalReports} (${reportsSent.with} to tenant W with 2 webhooks and ${reportsSent.without} to tenant N without, at full rate; and first ${pacedCount} to W at ${pacedRate}/s), ${devices} devices each, concurrency ${concurrency}, ${rounds} rounds`);
  if (feedAvailable) {
    console.log(`events recorded per report: ${(feedEvents / totalReports).toFixed(2)} (feed, both tenants); threat events expected ${expected.size}, lost ${eventsLost ?? 'n/a'}, duplicated ${eventsDuplicated ?? 'n/a'}`);
    console.log(`report → feed reader at ${pacedRate}/s: p50 ${fmt(percentile(feedDelays, 50))}, p99 ${fmt(percentile(feedDelays, 99))} (${feedDelays.length} events); at full rate: p50 ${fmt(percentile(saturatedFeedDelays, 50))}, p99 ${fmt(percentile(saturatedFeedDelays, 99))}`);
  } else {
    console.log('feed: GET /api/v1/events is not served by this build (404): feed figures are n/a');
  }
  console.log(`threat events per report at the healthy webhook: ${webhookEventsPerReport.toFixed(2)}; not delivered: ${webhookEventsLost} of ${allWith.length}`);
  console.log(`report → healthy webhook at ${pacedRate}/s: p50 ${fmt(percentile(webhookDelays, 50))}, p99 ${fmt(percentile(webhookDelays, 99))} (${webhookDelays.length} events) (target p99 < 2 s)`);
  console.log(`report → healthy webhook at full rate (the backlog's delay): p50 ${fmt(percentile(saturatedWebhookDelays, 50))}, p99 ${fmt(percentile(saturatedWebhookDelays, 99))} (${saturatedWebhookDelays.length} events)`);
  console.log(`feed reader saw it → healthy webhook got it (at ${pacedRate}/s): p50 ${fmt(percentile(relayToWebhook, 50))}, p99 ${fmt(percentile(relayToWebhook, 99))} (negative: the webhook was first); at full rate: p50 ${fmt(percentile(saturatedRelayToWebhook, 50))}, p99 ${fmt(percentile(saturatedRelayToWebhook, 99))}`);
  console.log(`report → failing webhook at ${pacedRate}/s (half retried after 5 s): p50 ${fmt(percentile(flakyDelays, 50))}, p99 ${fmt(percentile(flakyDelays, 99))}; attempts per event ${(flakyAttempts / Math.max(1, flakyAll.size)).toFixed(2)}`);
  console.log(`deliveries per event (healthy): ${(healthyDeliveries / Math.max(1, healthyKeys.size)).toFixed(3)}; redundant 2xx deliveries (both endpoints): ${redundantDeliveries}`);
  console.log(
    `delivery path per event delivered (${delivered} deliveries): ${storageOpsPerDelivery?.toFixed(2) ?? 'n/a'} storage operations, ` +
      `${queueMessagesPerDelivery?.toFixed(2) ?? 'n/a'} queue messages (target ≤ 1.5 storage operations)`,
  );
  console.log(`storage requests per report of the full-rate rounds (${2 * reportsPerTenant} reports, until delivered): ${(roundsCost.total / (2 * reportsPerTenant)).toFixed(2)}, by cause:`);
  for (const line of describe(roundsCost, 2 * reportsPerTenant)) console.log(line);
  console.log(`report rate without webhooks ${rate.without.toFixed(0)}/s, with ${rate.with.toFixed(0)}/s: ratio ${ratio.toFixed(2)} (target ≥ 0.9)`);
  console.log(
    `cores kept busy during the full-rate rounds: this process ${busyCores.connector.toFixed(2)}, Azurite ${busyCores.azurite === undefined ? 'n/a' : busyCores.azurite.toFixed(2)} (single-threaded: near 1 it is what the rounds wait for)`,
  );
  console.log(
    JSON.stringify({
      reports: totalReports,
      eventsPerReport: feedAvailable ? Number((feedEvents / totalReports).toFixed(3)) : null,
      eventsLost,
      eventsDuplicated,
      feedP50Ms: percentile(feedDelays, 50),
      feedP99Ms: percentile(feedDelays, 99),
      webhookP50Ms: percentile(webhookDelays, 50),
      webhookP99Ms: percentile(webhookDelays, 99),
      pacedReportsPerSecond: pacedRate,
      saturatedFeedP99Ms: percentile(saturatedFeedDelays, 99),
      saturatedWebhookP50Ms: percentile(saturatedWebhookDelays, 50),
      saturatedWebhookP99Ms: percentile(saturatedWebhookDelays, 99),
      feedToWebhookP50Ms: percentile(relayToWebhook, 50),
      feedToWebhookP99Ms: percentile(relayToWebhook, 99),
      saturatedFeedToWebhookP99Ms: percentile(saturatedRelayToWebhook, 99),
      failingWebhookP99Ms: percentile(flakyDelays, 99),
      webhookEventsLost,
      deliveriesPerEvent: Number((healthyDeliveries / Math.max(1, healthyKeys.size)).toFixed(3)),
      redundantDeliveries,
      storageOpsPerDelivery: storageOpsPerDelivery === null ? null : Number(storageOpsPerDelivery.toFixed(3)),
      queueMessagesPerDelivery: queueMessagesPerDelivery === null ? null : Number(queueMessagesPerDelivery.toFixed(3)),
      reportsPerSecondWithout: Number(rate.without.toFixed(1)),
      reportsPerSecondWith: Number(rate.with.toFixed(1)),
      ingestRatioWithWebhooks: Number(ratio.toFixed(3)),
      busyCores: { connector: Number(busyCores.connector.toFixed(2)), azurite: busyCores.azurite === undefined ? null : Number(busyCores.azurite.toFixed(2)) },
      storageOpsPerReport: Number((roundsCost.total / (2 * reportsPerTenant)).toFixed(3)),
    }),
  );
}

await main();

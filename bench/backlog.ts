/**
 * `npm run bench:backlog`: queue messages per device pushed while a tenant's push backlog lasts longer than Service
 * Bus's duplicate-detection window, with reconcile running all along.
 *
 * Export for other benches: `runBacklogBench(options)` resolves `{ messagesPerDevicePushed, ... }` (`BacklogFigures`).
 * It needs the simulator's CA trusted by this process (`NODE_EXTRA_CA_CERTS`, see `ensureBenchTrust`), as every
 * bench that talks to the simulator over TLS.
 *
 * Workload: DEVICES devices (default 600) of one tenant enforcing through the Intune partner API (Entra off), each
 * changing risk at once (a re-grade): one nudge each, through the local host's `compliance-updates` queue stand-in
 * and its compliance function, to the simulated Intune. Time is scaled down, keeping the ratios that matter: the
 * Intune write limit is LIMIT (100) per WINDOW_MS (10,000), half of Intune's rate and still five `$batch` groups per
 * window, so the backlog lasts DEVICES ÷ 10 s (~60 s); the duplicate-detection window is DEDUPE_MS (10,000, for
 * 10 minutes), reconcile runs every RECONCILE_EVERY_MS (2,000, for 5 minutes) with its re-nudge bound RENUDGE_MS
 * (15,000, for 15 minutes: 1.5 × the window, as in production). Keep the write rate below what this machine's single
 * consumer pushes (about 10 devices/s on a busy 2-core machine): a consumer that lags its own schedule by more than
 * the bound is a different overload.
 *
 * It runs twice in one process: reconcile as it was before the index rows (every `syncPending` device re-sent on
 * every run, a copy of the old function below) and reconcile as it is (`reconcileTenant`). Counted: every message
 * sent to the compliance queue (first nudges, the push path's deferrals, reconcile's re-sends), over devices whose
 * write reached Intune. Target: ≤ 2.5 messages per device pushed.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { generateScenario } from '../dev/sim/generate.js';
import { ensureLocalCa } from '../dev/sim/tls.js';
import { complianceQueueName, sendNudges, type Nudge } from '../shared/devices/complianceNudges.js';
import { reconcileTenant } from '../shared/compliance/reconcile.js';
import { createComplianceRuntime } from '../shared/compliance/runtime.js';
import { deviceSchema, tenantDevicesFilter } from '../shared/devices/device.js';
import { mutateDevice, putDevice } from '../shared/devices/deviceRepository.js';
import { defaultConnectorSettings } from '../shared/domain/index.js';
import { mapLimit } from '../shared/base/mapLimit.js';
import type { QueueMessage, QueueSenders } from '../shared/queues/queue.js';
import type { Services } from '../shared/app/services.js';
import type { Logger } from '../shared/base/logger.js';
import { listAll } from '../shared/storage/index.js';
import { startStack } from '../test/support/stack.js';
import { ensureBenchTrust } from './trust.js';

const clientId = '33333333-3333-4333-8333-333333333333';
const clientSecret = 'bench-client-secret';
const quiet: Logger = { info: () => undefined, warn: () => undefined, error: (line) => console.error(line) };

export interface BacklogOptions {
  /** Devices in the backlog. Default 600. */
  readonly devices?: number;
  /** Intune writes per window. Default 100. */
  readonly limit?: number;
  /** The Intune write window (ms). Default 10,000. */
  readonly windowMs?: number;
  /** The queue's duplicate-detection window (ms). Default 10,000. */
  readonly dedupeMs?: number;
  /** How often reconcile runs (ms). Default 2,000. */
  readonly reconcileEveryMs?: number;
  /** Reconcile's re-nudge bound (ms); longer than the duplicate-detection window. Default 15,000. */
  readonly renudgeAfterMs?: number;
  /** Which reconcile runs: as it is (`current`), or as it was before the index rows (`before`). Default current. */
  readonly reconcile?: 'current' | 'before';
  /** Directory of the simulator's CA and certificate. Default `.local/tls`. */
  readonly tlsDir?: string;
}

export interface BacklogFigures {
  /** Messages sent to the compliance queue per device whose write reached Intune (target ≤ 2.5). */
  readonly messagesPerDevicePushed: number;
  readonly devices: number;
  readonly devicesPushed: number;
  readonly messagesSent: number;
  /** Of those, sent by reconcile. */
  readonly reconcileMessages: number;
  readonly reconcileRuns: number;
  /** Intune writes (a device written twice counts twice). */
  readonly intuneWrites: number;
  /** How long the backlog lasted (ms), and that over the duplicate-detection window. */
  readonly backlogMs: number;
  readonly backlogOverDedupeWindow: number;
  readonly throttled: number;
}

/** The old reconcile, kept here to measure against: every `syncPending` device of the tenant, re-sent on every run. */
async function reconcileBefore(services: Pick<Services, 'tables' | 'queues'>, tenantId: string): Promise<number> {
  const nudges: Nudge[] = [];
  const rows = listAll(services.tables.table('devices'), {
    schema: z.object({ version: z.number().int().default(1), deadLetteredVersion: z.number().int().optional() }),
    filter: `${tenantDevicesFilter(tenantId)} and syncPending eq true`,
    select: ['version', 'deadLetteredVersion'],
  });
  for await (const row of rows) {
    if (row.deadLetteredVersion === row.version) continue;
    nudges.push({ tenantId, deviceId: row.rowKey, version: row.version });
  }
  await sendNudges(services.queues, nudges);
  return nudges.length;
}

/** Runs one backlog and counts its queue messages. */
export async function runBacklogBench(options: BacklogOptions = {}): Promise<BacklogFigures> {
  const deviceCount = options.devices ?? 600;
  const limit = options.limit ?? 100;
  const windowMs = options.windowMs ?? 10_000;
  const dedupeMs = options.dedupeMs ?? 10_000;
  const reconcileEveryMs = options.reconcileEveryMs ?? 2_000;
  const renudgeAfterMs = options.renudgeAfterMs ?? 15_000;
  const mode = options.reconcile ?? 'current';
  const tls = await ensureLocalCa(resolve(options.tlsDir ?? '.local/tls'));
  const [cert, key] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);

  const tenantId = randomUUID();
  const scenario = generateScenario({ tenantId, users: deviceCount, devicesPerUser: 1, clientId, clientSecret });
  const tenant = scenario.tenants[0];
  if (!tenant) throw new Error('the generated scenario has no tenant');
  let messagesSent = 0;
  let reconcileMessages = 0;
  let inReconcile = false;
  const stack = await startStack({
    tls: { cert, key },
    scenario,
    storage: 'memory',
    tablePrefix: `B${randomUUID().slice(0, 6)}`,
    tenants: [{ tenantId, fullAccessGroupId: randomUUID(), displayName: 'Backlog', primaryContactEmail: 'bench@connector.test' }],
    settings: { SENDGRID_API_KEY: 'SG.bench', MAIL_FROM: 'bench@connector.test', CONNECTOR_CLIENT_SECRET: clientSecret },
    overrides: ({ tables, queues }) => {
      const counting: QueueSenders = (name) => ({
        send: async (messages: readonly QueueMessage[]) => {
          if (name === complianceQueueName) {
            messagesSent += messages.length;
            if (inReconcile) reconcileMessages += messages.length;
          }
          await queues(name).send(messages);
        },
      });
      const compliance = createComplianceRuntime(tables, { now: () => new Date() }, {
        intuneBudget: { limit, windowMs, marginMs: windowMs / 40, waitMs: windowMs / 40 },
      });
      return { log: quiet, queues: counting, compliance };
    },
    host: { functionKey: 'bench', queue: { duplicateDetectionWindowMs: dedupeMs } },
  });
  const { sim, tables, host, services: built } = stack;
  sim.state.setThrottle({ limit, windowSeconds: windowMs / 1000 });
  const at = new Date();
  const settings = { ...defaultConnectorSettings, enforcement: { intunePartner: true, entraDeviceAttribute: null } };
  await tables.table('connectorSettings').upsertEntity(
    { partitionKey: tenantId, rowKey: 'settings', settings: JSON.stringify(settings), updatedAt: at.toISOString(), updatedBy: 'bench' },
    'Replace',
  );

  // Every device active, Intune told `secured`.
  const ids = tenant.managedDevices.map((managed) => managed.id.toLowerCase());
  await mapLimit(tenant.managedDevices, 16, async (managed) => {
    managed.partnerReportedThreatState = 'secured';
    const deviceId = managed.id.toLowerCase();
    await putDevice(
      tables,
      deviceSchema.parse({
        tenantId,
        deviceId,
        intuneDeviceId: deviceId,
        azureAdDeviceId: managed.azureADDeviceId,
        platform: 'ios',
        userId: managed.userId,
        status: 'active',
        statusChangedAt: at.toISOString(),
        discoveredAt: at.toISOString(),
        activatedAt: at.toISOString(),
        lastCheckInAt: at.toISOString(),
        hasReport: true,
        riskLevel: 'none',
        version: 2,
        intuneState: 'secured',
        intuneVersion: 2,
        intuneResult: 'sent',
        syncPending: false,
      }),
      at,
    );
  });

  sim.state.resetStats();
  const writesBefore = sim.state.writes.length;

  // The change: every device to high at once, each nudged once, as a re-grade does.
  const started = Date.now();
  const nudges: Nudge[] = [];
  await mapLimit(ids, 16, async (deviceId) => {
    const write = await mutateDevice(tables, tenantId, deviceId, (current) => ({ ...current, riskLevel: 'high' }), undefined, new Date());
    if (write?.nudge) nudges.push({ tenantId, deviceId, version: write.after.version });
  });
  await sendNudges(built.queues, nudges);

  // Reconcile all along, until every device is written and nothing is pending.
  let reconcileRuns = 0;
  const pushed = new Set<string>();
  let scanned = writesBefore;
  let lastWriteAt = started;
  const deadline = started + Math.max(180_000, (deviceCount / limit) * windowMs * 6);
  let nextReconcile = Date.now() + reconcileEveryMs;
  for (;;) {
    const writes = sim.state.writes;
    for (; scanned < writes.length; scanned += 1) {
      const write = writes[scanned];
      if (write?.kind === 'managedDevice' && write.body.partnerReportedThreatState === 'highSeverity') {
        pushed.add(write.targetId.toLowerCase());
        lastWriteAt = Date.now();
      }
    }
    if (pushed.size >= ids.length || Date.now() > deadline) break;
    if (Date.now() >= nextReconcile) {
      inReconcile = true;
      try {
        if (mode === 'before') await reconcileBefore(built, tenantId);
        else await reconcileTenant(built, tenantId, { renudgeAfterMs });
      } finally {
        inReconcile = false;
      }
      reconcileRuns += 1;
      nextReconcile = Date.now() + reconcileEveryMs;
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  const backlogMs = lastWriteAt - started;
  // What is still in the queue is delivered (and counted) before the figures are taken.
  await host.queues.get(complianceQueueName)?.drain({ timeoutMs: 60_000 }).catch(() => undefined);
  await stack.stop();

  const intuneWrites = sim.state.writes.slice(writesBefore).filter((write) => write.kind === 'managedDevice').length;
  const stats = sim.state.stats();
  return {
    messagesPerDevicePushed: Number((messagesSent / Math.max(1, pushed.size)).toFixed(3)),
    devices: deviceCount,
    devicesPushed: pushed.size,
    messagesSent,
    reconcileMessages,
    reconcileRuns,
    intuneWrites,
    backlogMs,
    backlogOverDedupeWindow: Number((backlogMs / dedupeMs).toFixed(2)),
    throttled: stats.throttled,
  };
}

function describe(label: string, figures: BacklogFigures): void {
  console.log(
    `${label}: ${figures.messagesSent} messages for ${figures.devicesPushed}/${figures.devices} devices pushed → ` +
      `${figures.messagesPerDevicePushed.toFixed(2)} per device (reconcile sent ${figures.reconcileMessages} in ${figures.reconcileRuns} runs); ` +
      `backlog ${(figures.backlogMs / 1000).toFixed(1)} s = ${figures.backlogOverDedupeWindow}× the duplicate-detection window; ` +
      `${figures.intuneWrites} Intune writes, ${figures.throttled} throttled`,
  );
}

async function main(): Promise<void> {
  if (!(await ensureBenchTrust())) return;
  const env = process.env;
  const options: BacklogOptions = {
    devices: Number(env.DEVICES ?? 600),
    limit: Number(env.LIMIT ?? 100),
    windowMs: Number(env.WINDOW_MS ?? 10_000),
    dedupeMs: Number(env.DEDUPE_MS ?? 10_000),
    reconcileEveryMs: Number(env.RECONCILE_EVERY_MS ?? 2_000),
    renudgeAfterMs: Number(env.RENUDGE_MS ?? 15_000),
  };
  console.log(
    `Backlog bench: ${options.devices} devices, Intune limit ${options.limit} per ${options.windowMs} ms, duplicate detection ${options.dedupeMs} ms, ` +
      `reconcile every ${options.reconcileEveryMs} ms (re-nudge bound ${options.renudgeAfterMs} ms)`,
  );
  const before = await runBacklogBench({ ...options, reconcile: 'before' });
  describe('before (reconcile re-sends every pending device)', before);
  const after = await runBacklogBench({ ...options, reconcile: 'current' });
  describe('after  (pending index, deferred work left alone)', after);
  const ratio = after.messagesPerDevicePushed / Math.max(0.001, before.messagesPerDevicePushed);
  console.log(`messages per device pushed: ${after.messagesPerDevicePushed.toFixed(2)} (target ≤ 2.5), ${ratio.toFixed(2)}× the baseline ${before.messagesPerDevicePushed.toFixed(2)}`);
  console.log(
    JSON.stringify({
      bench: 'backlog',
      messagesPerDevicePushed: after.messagesPerDevicePushed,
      baselineMessagesPerDevicePushed: before.messagesPerDevicePushed,
      ratio: Number(ratio.toFixed(3)),
      devices: after.devices,
      devicesPushed: after.devicesPushed,
      reconcileMessages: after.reconcileMessages,
      baselineReconcileMessages: before.reconcileMessages,
      backlogOverDedupeWindow: after.backlogOverDedupeWindow,
      throttled: after.throttled,
    }),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

/**
 * Threat reports on two "instances" (separate per-process caches, locks and rate limits) sharing the tables:
 * whatever the order in which 100 shuffled reports land, the device ends with the highest sequence's threats
 * AND its grade, and a device row written by coalesced check-ins never regresses.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/base/clock.js';
import { parseConfig } from '../../../shared/base/config.js';
import { activateDevice } from '../../../shared/devices/activation.js';
import { authenticateDevice } from '../../../shared/devices/deviceAuth.js';
import { createDeviceRuntime } from '../../../shared/devices/runtime.js';
import { receiveThreatReport } from '../../../shared/devices/threatReport.js';
import { listDeviceThreats, readOpenThreatCounts } from '../../../shared/devices/threatRows.js';
import { createServices, type Services } from '../../../shared/app/services.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { provisionTenant, quietLog } from '../enrollment/harness.js';
import { azuriteConnectionString, createTestTableStore, withTableMethod } from '../../support/tables.js';
import { deviceRequest, seedActiveDevice, seedDevice, storedDevice } from './deviceRows.js';

let tables: TableStore;
let tenantId: string;
let instances: Services[];

const unlimited = { burst: 1e9, perSecond: 1e9 };

beforeEach(async () => {
  tables = await createTestTableStore();
  tenantId = randomUUID();
  await provisionTenant(tables, tenantId, randomUUID(), new Date().toISOString());
  const config = parseConfig({
    SENDGRID_API_KEY: 'SG.test',
    MAIL_FROM: 'mtd@connector.test',
    CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
    CONNECTOR_CLIENT_SECRET: 'secret',
    AzureWebJobsStorage: azuriteConnectionString(),
  });
  // One instance writes device rows slowly, widening the window between its threat batch and its device write.
  instances = [slowDeviceWrites(tables, 40), tables].map((instanceTables) =>
    createServices(config, {
      tables: instanceTables,
      log: quietLog,
      queues: () => ({ send: () => Promise.resolve() }),
      devices: createDeviceRuntime(tables, systemClock, { limits: { reports: unlimited, heartbeats: unlimited } }),
    }),
  );
});

function slowDeviceWrites(store: TableStore, delayMs: number): TableStore {
  return withTableMethod(store, 'devices', 'updateEntity', (real) => async (...args) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return real.updateEntity(...args);
  });
}

function activeDevice(): Promise<{ deviceId: string; token: string }> {
  return seedActiveDevice(tables, tenantId);
}

/** The grade alternates with each sequence: a late, lower report overwriting a later one's grade shows. */
const alternating = (sequence: number) => (sequence % 2 ? 'SPY' : 'ADWARE');
/** Runs of ten sequences share a classification, so consecutive reports leave the grade unchanged. */
const runsOfTen = (sequence: number) => (['SPY', 'ADWARE', 'PHISHING'] as const)[Math.floor(sequence / 10) % 3] ?? 'SPY';
const gradeOf = { SPY: 'high', ADWARE: 'low', PHISHING: 'medium' } as const;

async function send(services: Services, token: string, sequence: number, classificationOf: (sequence: number) => keyof typeof gradeOf = runsOfTen) {
  const principal = await authenticateDevice(services, 'report')(deviceRequest(token));
  return receiveThreatReport(services, principal, {
    reportId: randomUUID(),
    sequence,
    observedAt: new Date().toISOString(),
    threats: [{ id: `s${sequence}`, classification: classificationOf(sequence), detectedAt: '2026-03-01T09:00:00.000Z' }],
  });
}

describe('threat reports across instances', () => {
  it('ends with the highest sequence\'s threats and grade, whatever the arrival order', async () => {
    for (let round = 0; round < 3; round += 1) {
      const { deviceId, token } = await activeDevice();
      const highest = 95 + round * 2;
      const sequences = Array.from({ length: highest }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
      await Promise.all(sequences.map((sequence, index) => send(instances[index % 2] as Services, token, sequence, alternating)));
      const open = (await listDeviceThreats(tables, tenantId, deviceId)).filter((t) => t.resolvedAt === undefined);
      expect(open.map((t) => t.threatId)).toEqual([`s${highest}`]);
      expect(await storedDevice(tables, tenantId, deviceId)).toMatchObject({
        riskLevel: gradeOf[alternating(highest)],
        hasReport: true,
      });
      expect((await readOpenThreatCounts(tables, tenantId, [deviceId])).get(deviceId)).toBe(1);
    }
  });

  it('skips the device write for an unchanged grade moments after a check-in, and writes it when the grade changes', async () => {
    const [one] = instances as [Services];
    const { deviceId, token } = await activeDevice();
    await send(one, token, 10);
    const first = await storedDevice(tables, tenantId, deviceId);
    expect(first).toMatchObject({ riskLevel: 'low', lastSequence: 10 });
    await send(one, token, 11);
    expect((await storedDevice(tables, tenantId, deviceId)).etag).toBe(first.etag);
    await send(one, token, 20);
    expect(await storedDevice(tables, tenantId, deviceId)).toMatchObject({ riskLevel: 'medium', lastSequence: 20 });
  });

  it('writes the grade of a report that authenticated before an earlier report changed the device row', async () => {
    const [, one] = instances as [Services, Services];
    const { deviceId, token } = await activeDevice();
    const reportOf = (sequence: number, classification: keyof typeof gradeOf) => ({
      reportId: randomUUID(),
      sequence,
      observedAt: new Date().toISOString(),
      threats: [{ id: `s${sequence}`, classification, detectedAt: '2026-03-01T09:00:00.000Z' }],
    });
    expect(await receiveThreatReport(one, await authenticateDevice(one, 'report')(deviceRequest(token)), reportOf(1, 'ADWARE'))).toMatchObject({ riskLevel: 'low' });

    // Both authenticate while the row says "low"; the second waits for the device's lock behind the first, which
    // raises the grade; its own grade is "low" again, which only looks unchanged against the row it authenticated with.
    const [second, third] = await Promise.all([2, 3].map(() => authenticateDevice(one, 'report')(deviceRequest(token))));
    if (!second || !third) throw new Error('two principals');
    expect(await receiveThreatReport(one, second, reportOf(2, 'SPY'))).toMatchObject({ riskLevel: 'high', applied: true });
    expect(await storedDevice(tables, tenantId, deviceId)).toMatchObject({ riskLevel: 'high' });
    expect(await receiveThreatReport(one, third, reportOf(3, 'ADWARE'))).toMatchObject({ riskLevel: 'low', applied: true });
    expect(await storedDevice(tables, tenantId, deviceId)).toMatchObject({ riskLevel: 'low', lastSequence: 3 });
  });

  it('refuses a rotated credential on an instance that still holds the device\'s state from its last report', async () => {
    const [first, second] = instances;
    if (!first || !second) throw new Error('two instances');
    const deviceId = randomUUID();
    const userId = randomUUID();
    await seedDevice(tables, tenantId, { deviceId, userId });
    const activation = { intuneDeviceId: deviceId, platform: 'ios' as const, osVersion: '17.5', appVersion: '1.0.0' };
    const old = (await activateDevice(first, { tenantId, userId }, activation)).deviceToken;
    expect(await send(first, old, 1)).toMatchObject({ applied: true });
    expect(await send(first, old, 2)).toMatchObject({ applied: true });

    const current = (await activateDevice(second, { tenantId, userId }, activation)).deviceToken;
    await expect(send(first, old, 3)).rejects.toMatchObject({ status: 401 });
    expect(await send(first, current, 1)).toMatchObject({ applied: true, riskLevel: 'high' });
    await expect(send(first, old, 4)).rejects.toMatchObject({ status: 401 });
    expect((await listDeviceThreats(tables, tenantId, deviceId)).filter((t) => t.resolvedAt === undefined).map((t) => t.threatId)).toEqual(['s1', 'service:DEVICE_INTEGRITY_UNVERIFIED']);
  });
});

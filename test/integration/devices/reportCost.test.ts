/**
 * What a threat report costs in storage requests, counted at the storage client (shared/storage/requestCounts.ts):
 * a report that changes nothing writes its sequence row and nothing else; a process that starts again reads what it
 * needs once and still applies each report exactly once; a grade change after this process's push writes each row
 * once (no transaction lost to the push's newer ETag).
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/base/clock.js';
import { parseConfig } from '../../../shared/base/config.js';
import { authenticateDevice } from '../../../shared/devices/deviceAuth.js';
import { mutateDevice } from '../../../shared/devices/deviceRepository.js';
import { createDeviceRuntime } from '../../../shared/devices/runtime.js';
import { receiveThreatReport } from '../../../shared/devices/threatReport.js';
import { listDeviceThreats } from '../../../shared/devices/threatRows.js';
import { readEventFeed } from '../../../shared/events/feed.js';
import { createServices, type Services } from '../../../shared/app/services.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { countStorageRequests, withStorageCause, type StorageRequestCounter } from '../../../shared/storage/requestCounts.js';
import type { ReportedThreat } from '../../../shared/domain/index.js';
import { provisionTenant, quietLog } from '../enrollment/harness.js';
import { azuriteConnectionString, createTestTableStore } from '../../support/tables.js';
import { deviceRequest, seedActiveDevice, storedDevice } from './deviceRows.js';

let tables: TableStore;
let tenantId: string;
let counter: StorageRequestCounter | undefined;

const unlimited = { burst: 1e9, perSecond: 1e9 };
const wifi: ReportedThreat = { id: 'wifi', classification: 'UNSECURED_WIFI', name: 'Cafe WiFi', detectedAt: '2026-03-01T09:00:00.000Z' };
const rooted: ReportedThreat = { id: 'rooted', classification: 'ROOTED_OR_JAILBROKEN', detectedAt: '2026-03-01T09:00:00.000Z' };

beforeEach(async () => {
  tables = await createTestTableStore();
  tenantId = randomUUID();
  await provisionTenant(tables, tenantId, randomUUID(), new Date().toISOString());
});

afterEach(() => {
  counter?.stop();
  counter = undefined;
});

/** A process: its own caches, locks and relay on the shared tables. */
function instance(): Services {
  const config = parseConfig({
    SENDGRID_API_KEY: 'SG.test',
    MAIL_FROM: 'mtd@connector.test',
    CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
    CONNECTOR_CLIENT_SECRET: 'secret',
    AzureWebJobsStorage: azuriteConnectionString(),
  });
  const services = createServices(config, {
    tables,
    log: quietLog,
    queues: () => ({ send: () => Promise.resolve() }),
    devices: createDeviceRuntime(tables, systemClock, { limits: { reports: unlimited, heartbeats: unlimited } }),
  });
  // The relay a report starts runs in the background: its requests are the relay's, not the report's.
  const nudge = services.events.nudge.bind(services.events);
  services.events.nudge = (...args) => withStorageCause('relay', () => nudge(...args));
  return services;
}

function activeDevice(): Promise<{ deviceId: string; token: string }> {
  return seedActiveDevice(tables, tenantId);
}

async function report(services: Services, token: string, sequence: number, threats: readonly ReportedThreat[], reportId: string = randomUUID()) {
  const principal = await authenticateDevice(services, 'report')(deviceRequest(token));
  return receiveThreatReport(services, principal, { reportId, sequence, observedAt: new Date().toISOString(), threats: [...threats] });
}

/** The storage requests of a report (not of the relay it starts), by kind and by table. */
async function requestsOf(services: Services, work: () => Promise<unknown>) {
  counter = countStorageRequests();
  await withStorageCause('report', work);
  await services.events.idle();
  const counts = counter.counts();
  counter.stop();
  counter = undefined;
  return { kinds: counts.byCause.report ?? { read: 0, query: 0, write: 0, delete: 0, batch: 0, table: 0 }, tables: counts.byTable.report ?? {}, total: total(counts.byCause.report) };
}

function total(kinds: Readonly<Record<string, number>> | undefined): number {
  return Object.values(kinds ?? {}).reduce((sum, n) => sum + n, 0);
}

describe('what a threat report costs', () => {
  it('writes only its sequence row when it changes nothing and the instance holds the device\'s state', async () => {
    const services = instance();
    const { deviceId, token } = await activeDevice();
    await report(services, token, 1, [wifi]);
    await services.events.idle();

    const unchanged = await requestsOf(services, () => report(services, token, 2, [wifi]));
    expect(unchanged.total).toBe(1);
    expect(unchanged.kinds.write).toBe(1);
    expect(unchanged.tables).toEqual({ [tables.physicalName('threats')]: 1 });
    expect(await storedDevice(tables, tenantId, deviceId)).toMatchObject({ riskLevel: 'low', hasReport: true });
  });

  it('after a restart, reads the device\'s state once, then costs one write per unchanged report again', async () => {
    const { token } = await activeDevice();
    const before = instance();
    await report(before, token, 1, [wifi]);
    await before.events.idle();

    const restarted = instance();
    const first = await requestsOf(restarted, () => report(restarted, token, 2, [wifi]));
    // The device row, the tenant, the sequence row and the threat rows are read; only the sequence row is written.
    expect(first.kinds.write).toBe(1);
    expect(first.kinds.batch + first.kinds.delete).toBe(0);
    expect(first.kinds.read + first.kinds.query).toBeGreaterThan(0);

    const next = await requestsOf(restarted, () => report(restarted, token, 3, [wifi]));
    expect(next.total).toBe(1);
    expect(next.kinds.write).toBe(1);
  });

  it('applies a report retried after a restart exactly once', async () => {
    const before = instance();
    const { deviceId, token } = await activeDevice();
    await report(before, token, 1, [wifi]);
    const reportId = randomUUID();
    expect(await report(before, token, 2, [wifi, rooted], reportId)).toMatchObject({ applied: true, riskLevel: 'high' });
    await before.events.idle();
    const threatsBefore = await listDeviceThreats(tables, tenantId, deviceId);

    // The agent did not see the answer and sends the same report to a process that has just started.
    const restarted = instance();
    const retried = await requestsOf(restarted, () => report(restarted, token, 2, [wifi, rooted], reportId));
    expect((await report(restarted, token, 2, [wifi, rooted], reportId)).applied).toBe(false);
    expect(retried.kinds.batch).toBe(0);
    expect(await listDeviceThreats(tables, tenantId, deviceId)).toEqual(threatsBefore);
    const feed = await readEventFeed(restarted.events, tenantId, { limit: 1000, wait: 0 });
    const detected = feed.items.filter((event) => event.type === 'threat.detected' && event.data.threat.id === 'rooted');
    expect(detected).toHaveLength(1);
    expect(feed.items.filter((event) => event.type === 'device.risk_changed')).toHaveLength(2);
  });

  it('writes a grade change after this instance\'s push from the row as the push left it, in one transaction', async () => {
    const services = instance();
    const { deviceId, token } = await activeDevice();
    await report(services, token, 1, [wifi]);
    await services.events.idle();
    // The push records what Intune was told: the device row this instance wrote has a newer ETag now.
    await mutateDevice(tables, tenantId, deviceId, (current) => ({ ...current, intuneState: 'lowSeverity', intuneVersion: current.version, intuneAt: new Date().toISOString(), intuneResult: 'sent', syncPending: false }));

    const change = await requestsOf(services, () => report(services, token, 2, [wifi, rooted]));
    const devicesTable = tables.physicalName('devices');
    // One read of the device row; the threat batch and the device write, none refused for a stale ETag.
    expect(change.tables[devicesTable]).toBe(1);
    expect(change.kinds.batch).toBe(2);
    expect(await storedDevice(tables, tenantId, deviceId)).toMatchObject({ riskLevel: 'high', intuneState: 'lowSeverity' });
  });
});

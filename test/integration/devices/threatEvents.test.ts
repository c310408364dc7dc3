/**
 * Threat reports record `threat.detected` and `threat.resolved` in the report's own threat batch, and the feed gets
 * them even when the process stops before relaying (the safety net recovers them); a repeated report records nothing.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../../shared/base/clock.js';
import { parseConfig } from '../../../shared/base/config.js';
import { authenticateDevice } from '../../../shared/devices/deviceAuth.js';
import { createDeviceRuntime } from '../../../shared/devices/runtime.js';
import { receiveThreatReport } from '../../../shared/devices/threatReport.js';
import type { ServiceEvent } from '../../../shared/events/event.js';
import { readEventFeed } from '../../../shared/events/feed.js';
import { createEventRuntime, type EventRuntime } from '../../../shared/events/runtime.js';
import { createServices, type Services } from '../../../shared/app/services.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { provisionTenant, quietLog } from '../enrollment/harness.js';
import { azuriteConnectionString, createTestTableStore } from '../../support/tables.js';
import { deviceRequest, seedActiveDevice } from './deviceRows.js';

let tables: TableStore;
let tenantId: string;

const unlimited = { burst: 1e9, perSecond: 1e9 };
const config = () =>
  parseConfig({
    SENDGRID_API_KEY: 'SG.test',
    MAIL_FROM: 'mtd@connector.test',
    CONNECTOR_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
    CONNECTOR_CLIENT_SECRET: 'secret',
    AzureWebJobsStorage: azuriteConnectionString(),
  });

function instance(events?: EventRuntime): Services {
  return createServices(config(), {
    tables,
    log: quietLog,
    queues: () => ({ send: () => Promise.resolve() }),
    devices: createDeviceRuntime(tables, systemClock, { limits: { reports: unlimited, heartbeats: unlimited } }),
    ...(events ? { events } : {}),
  });
}

beforeEach(async () => {
  tables = await createTestTableStore();
  tenantId = randomUUID();
  await provisionTenant(tables, tenantId, randomUUID(), new Date().toISOString());
});

function activeDevice(): Promise<{ deviceId: string; token: string }> {
  return seedActiveDevice(tables, tenantId, { deviceName: 'Megan Pixel', userPrincipalName: 'megan@contoso.test', platform: 'android' });
}

async function report(services: Services, token: string, sequence: number, threats: { id: string; classification: 'SPY' | 'ADWARE' | 'SIDELOADED_APP' }[], reportId = randomUUID()) {
  const principal = await authenticateDevice(services, 'report')(deviceRequest(token));
  return receiveThreatReport(services, principal, {
    reportId,
    sequence,
    observedAt: new Date().toISOString(),
    threats: threats.map((t) => ({ ...t, name: `${t.classification} app`, packageName: `com.example.${t.id}`, detectedAt: '2026-03-01T09:00:00.000Z' })),
  });
}

async function feed(events: EventRuntime, types: ReadonlySet<ServiceEvent['type']> = new Set(['threat.detected', 'threat.resolved'])): Promise<ServiceEvent[]> {
  return (await readEventFeed(events, tenantId, { limit: 1000, wait: 0, types })).items.slice();
}

describe('threat events', () => {
  it('records a detected threat and its resolution with the device and the threat as the contract shows them', async () => {
    const services = instance();
    const { deviceId, token } = await activeDevice();
    await report(services, token, 1, [{ id: 'spy-1', classification: 'SPY' }, { id: 'ad-1', classification: 'ADWARE' }]);
    await report(services, token, 2, [{ id: 'ad-1', classification: 'ADWARE' }]);
    await services.events.idle();
    const events = await feed(services.events);
    expect(events.map((e) => e.type)).toEqual(['threat.detected', 'threat.detected', 'threat.resolved']);
    const [detected, , resolved] = events;
    expect(detected).toMatchObject({
      tenantId,
      type: 'threat.detected',
      data: {
        device: { deviceId, intuneDeviceId: deviceId, deviceName: 'Megan Pixel', userPrincipalName: 'megan@contoso.test', platform: 'android', status: 'active', riskLevel: 'high' },
        threat: { id: 'spy-1', classification: 'SPY', category: 'application', riskLevel: 'high', name: 'SPY app', packageName: 'com.example.spy-1', detectedAt: '2026-03-01T09:00:00.000Z' },
      },
    });
    expect(resolved).toMatchObject({ type: 'threat.resolved', data: { device: { riskLevel: 'low' }, threat: { id: 'spy-1', riskLevel: 'high' } } });
    expect(resolved?.type === 'threat.resolved' ? resolved.data.threat.resolvedAt : undefined).toBeDefined();
  });

  it('queues alert mail from the same events the feed shows: one alert per detected threat above none, naming its event', async () => {
    const services = instance();
    const { deviceId, token } = await activeDevice();
    await report(services, token, 1, [{ id: 'spy-1', classification: 'SPY' }, { id: 'side-1', classification: 'SIDELOADED_APP' }]);
    await services.events.idle();
    const events = await feed(services.events);
    expect(events.map((e) => (e.type === 'threat.detected' ? e.data.threat.riskLevel : e.type))).toEqual(['high', 'none']);
    const alerts: Record<string, unknown>[] = [];
    for await (const row of tables.table('notifications').listEntities({ queryOptions: { filter: `PartitionKey eq '${tenantId}'` } })) alerts.push(row);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ eventId: events[0]?.id, deviceId, classification: 'SPY', riskLevel: 'high', threatName: 'SPY app', deviceName: 'Megan Pixel' });
  });

  it('records the device discovered and its risk changes, with the state before, through the device-write seam', async () => {
    const services = instance();
    const { deviceId, token } = await activeDevice();
    await report(services, token, 1, [{ id: 'ad-1', classification: 'ADWARE' }]);
    await report(services, token, 2, [{ id: 'ad-1', classification: 'ADWARE' }, { id: 'spy-1', classification: 'SPY' }]);
    await report(services, token, 3, [{ id: 'ad-1', classification: 'ADWARE' }, { id: 'spy-1', classification: 'SPY' }]);
    await services.events.idle();
    const events = await feed(services.events, new Set(['device.discovered', 'device.risk_changed', 'device.status_changed']));
    const change = (e: ServiceEvent): string =>
      e.type === 'device.discovered' || e.type === 'device.risk_changed' || e.type === 'device.status_changed'
        ? `${e.data.previous.riskLevel}>${e.data.device.riskLevel}`
        : '';
    expect(events.map((e) => [e.type, change(e)])).toEqual([
      ['device.discovered', 'none>none'],
      ['device.risk_changed', 'none>low'],
      ['device.risk_changed', 'low>high'],
    ]);
    expect(events.every((e) => 'device' in e.data && e.data.device.deviceId === deviceId)).toBe(true);
  });

  it('records nothing for a repeated or unchanged report', async () => {
    const services = instance();
    const { token } = await activeDevice();
    const reportId = randomUUID();
    await report(services, token, 1, [{ id: 'spy-1', classification: 'SPY' }], reportId);
    await report(services, token, 1, [{ id: 'spy-1', classification: 'SPY' }], reportId);
    await report(services, token, 2, [{ id: 'spy-1', classification: 'SPY' }]);
    await services.events.idle();
    expect((await feed(services.events)).map((e) => e.type)).toEqual(['threat.detected']);
  });

  it('gets the events of a process that stopped right after the threat batch into the feed, once', async () => {
    // This instance writes reports but "dies" before any relay runs: its nudges do nothing.
    const real = createEventRuntime(tables, systemClock, { retentionDays: 30 });
    const dying = instance({ ...real, nudge: () => undefined });
    const { token } = await activeDevice();
    await report(dying, token, 1, [{ id: 'spy-1', classification: 'SPY' }]);
    expect(await feed(real)).toEqual([]);

    // Another instance's minute timer, a few minutes later.
    const later = new ManualClock(new Date(Date.now() + 5 * 60_000));
    const survivor = createEventRuntime(tables, later, { retentionDays: 30 });
    expect((await survivor.sweep()).published).toBe(1);
    expect((await survivor.sweep()).published).toBe(0);
    expect((await feed(survivor)).map((e) => e.type)).toEqual(['threat.detected']);
  });
});

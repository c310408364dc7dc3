/**
 * The heartbeat-check timer's work with a controlled clock: devices that fall silent for `disconnectedAfterDays`
 * become disconnected (and are nudged), a check-in brings them back; the connector heartbeat reaches the
 * simulated Intune, is sent again only when due, and a failure lands in the tenant's health and error report.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activateDevice } from '../../../shared/devices/activation.js';
import { complianceQueueName } from '../../../shared/devices/complianceNudges.js';
import { authenticateDevice } from '../../../shared/devices/deviceAuth.js';
import { recordHeartbeat } from '../../../shared/devices/heartbeat.js';
import { receiveThreatReport } from '../../../shared/devices/threatReport.js';
import { runHeartbeatCheck } from '../../../shared/heartbeat/heartbeatCheck.js';
import { createServices, type Services } from '../../../shared/app/services.js';
import { getTenant } from '../../../shared/tenants/tenantRepository.js';
import { id, quietLog, startHarness, type Harness } from '../enrollment/harness.js';
import { deviceRequest, seedDevice, storedDevice } from '../devices/deviceRows.js';
import { updateTenantConfig } from '../../../shared/tenants/tenantConfig.js';
import { connectorSettingsSchema } from '../../../shared/domain/index.js';

const dayMs = 24 * 60 * 60 * 1000;
const minuteMs = 60_000;
/** A stored check-in may be one write interval (CHECKIN_WRITE_INTERVAL_MINUTES, 15 by default) behind the last call. */
const slackMs = 15 * minuteMs;
let harness: Harness;
let services: Services;

beforeEach(async () => {
  harness = await startHarness({
    tenant: { displayName: 'Contoso', users: [{ id: id('ann'), userPrincipalName: 'ann@contoso.test', displayName: 'Ann' }] },
    enrollmentGroups: [],
  });
  services = createServices(harness.config, {
    tables: harness.tables,
    clock: harness.clock,
    graph: harness.graph,
    log: quietLog,
    // The nudges this file checks; the events the relay hands to webhooks meanwhile go elsewhere, whenever it runs.
    queues: (name) => ({
      send: (messages) => {
        if (name === complianceQueueName) harness.sent.push(...messages);
        return Promise.resolve();
      },
    }),
  });
});

afterEach(async () => {
  await harness.close();
});

describe('disconnect sweep', () => {
  it('disconnects devices silent for disconnectedAfterDays, nudges them, and a heartbeat reconnects them', async () => {
    const { tenantId, clock, tables } = harness;
    const quiet = randomUUID();
    const chatty = randomUUID();
    const pending = randomUUID();
    for (const deviceId of [quiet, chatty, pending]) await seedDevice(tables, tenantId, { deviceId, userId: id('ann') });
    const quietToken = (await activateDevice(services, { tenantId, userId: id('ann') }, body(quiet))).deviceToken;
    const chattyToken = (await activateDevice(services, { tenantId, userId: id('ann') }, body(chatty))).deviceToken;

    clock.advance(6 * dayMs);
    await recordHeartbeat(services, await authenticateDevice(services, 'heartbeat')(deviceRequest(chattyToken, 'heartbeat')), {});
    clock.advance(1 * dayMs + slackMs - 60_000);
    await runHeartbeatCheck(services);
    expect((await storedDevice(tables, tenantId, quiet)).status).toBe('active');

    clock.advance(60_000);
    harness.sent.length = 0;
    const results = await runHeartbeatCheck(services);
    expect(results).toMatchObject([{ tenantId, disconnected: 1 }]);
    const disconnected = await storedDevice(tables, tenantId, quiet);
    expect(disconnected).toMatchObject({ status: 'disconnected', statusChangedAt: clock.now().toISOString(), syncPending: true });
    expect(harness.sent.map((m) => m.body)).toEqual([{ tenantId, deviceId: quiet, version: disconnected.version }]);
    expect((await storedDevice(tables, tenantId, chatty)).status).toBe('active');
    expect((await storedDevice(tables, tenantId, pending)).status).toBe('pending');

    // Nothing more to do on the next run.
    harness.sent.length = 0;
    expect(await runHeartbeatCheck(services)).toMatchObject([{ disconnected: 0 }]);
    expect(harness.sent).toEqual([]);

    clock.advance(60_000);
    const principal = await authenticateDevice(services, 'heartbeat')(deviceRequest(quietToken, 'heartbeat'));
    await recordHeartbeat(services, principal, { appVersion: '2.0.0' });
    const back = await storedDevice(tables, tenantId, quiet);
    expect(back).toMatchObject({ status: 'active', lastCheckInAt: clock.now().toISOString(), appVersion: '2.0.0' });
    expect(back.version).toBe(disconnected.version + 1);
    expect(harness.sent.map((m) => m.body)).toEqual([{ tenantId, deviceId: quiet, version: back.version }]);
  });

  it('reconnects a device on its next report, even a stale one, although this instance still holds its state', async () => {
    const { tenantId, clock, tables } = harness;
    const deviceId = randomUUID();
    await seedDevice(tables, tenantId, { deviceId, userId: id('ann') });
    const token = (await activateDevice(services, { tenantId, userId: id('ann') }, body(deviceId))).deviceToken;
    const report = async (sequence: number) =>
      receiveThreatReport(services, await authenticateDevice(services, 'report')(deviceRequest(token)), {
        reportId: randomUUID(),
        sequence,
        observedAt: clock.now().toISOString(),
        threats: [],
      });
    expect(await report(5)).toMatchObject({ applied: true });

    clock.advance(7 * dayMs + slackMs);
    expect(await runHeartbeatCheck(services)).toMatchObject([{ disconnected: 1 }]);
    expect((await storedDevice(tables, tenantId, deviceId)).status).toBe('disconnected');

    expect(await report(3)).toMatchObject({ applied: false });
    expect(await storedDevice(tables, tenantId, deviceId)).toMatchObject({ status: 'active', lastCheckInAt: clock.now().toISOString() });
  });

  it('uses the tenant\'s disconnectedAfterDays', async () => {
    const { tenantId, clock, tables } = harness;
    await updateTenantConfig(tables, tenantId, () => ({ settings: connectorSettingsSchema.parse({ disconnectedAfterDays: 1 }) }));
    const deviceId = randomUUID();
    await seedDevice(tables, tenantId, { deviceId, userId: id('ann') });
    await activateDevice(services, { tenantId, userId: id('ann') }, body(deviceId));
    clock.advance(dayMs + slackMs);
    expect(await runHeartbeatCheck(services)).toMatchObject([{ disconnected: 1 }]);
  });

  it('writes a check-in that changes nothing at most once per CHECKIN_WRITE_INTERVAL_MINUTES (15 by default)', async () => {
    const { tenantId, clock, tables } = harness;
    const deviceId = randomUUID();
    await seedDevice(tables, tenantId, { deviceId, userId: id('ann') });
    const token = (await activateDevice(services, { tenantId, userId: id('ann') }, body(deviceId))).deviceToken;
    const start = clock.now().getTime();
    const written = new Set<string>();
    for (let minute = 1; minute <= 31; minute += 1) {
      clock.advance(minuteMs);
      await recordHeartbeat(services, await authenticateDevice(services, 'heartbeat')(deviceRequest(token, 'heartbeat')), {});
      written.add((await storedDevice(tables, tenantId, deviceId)).lastCheckInAt ?? '');
    }
    expect([...written]).toEqual([new Date(start).toISOString(), new Date(start + 15 * minuteMs).toISOString(), new Date(start + 30 * minuteMs).toISOString()]);
  });

  it('never disconnects a device that keeps checking in, however long the write interval', async () => {
    const { tenantId, clock, tables } = harness;
    await updateTenantConfig(tables, tenantId, () => ({ settings: connectorSettingsSchema.parse({ disconnectedAfterDays: 1 }) }));
    const daily = createServices({ ...harness.config, CHECKIN_WRITE_INTERVAL_MINUTES: 1440 }, {
      tables,
      clock,
      graph: harness.graph,
      log: quietLog,
      queues: () => ({ send: () => Promise.resolve() }),
    });
    const deviceId = randomUUID();
    await seedDevice(tables, tenantId, { deviceId, userId: id('ann') });
    const token = (await activateDevice(daily, { tenantId, userId: id('ann') }, body(deviceId))).deviceToken;
    // Hourly check-ins, half an hour off the activation: the row keeps the activation's time for a whole day.
    clock.advance(30 * minuteMs);
    for (let hour = 0; hour < 25; hour += 1) {
      await recordHeartbeat(daily, await authenticateDevice(daily, 'heartbeat')(deviceRequest(token, 'heartbeat')), {});
      clock.advance(40 * minuteMs);
      expect(await runHeartbeatCheck(daily)).toMatchObject([{ disconnected: 0 }]);
      clock.advance(20 * minuteMs);
    }
    expect((await storedDevice(tables, tenantId, deviceId)).status).toBe('active');
  }, 120_000);
});

describe('connector heartbeat', () => {
  it('reaches Intune, is sent again only when due, and records the tenant\'s health', async () => {
    const { tenantId, clock, sim } = harness;
    const start = clock.now().toISOString();
    expect(await runHeartbeatCheck(services)).toMatchObject([{ connectorHeartbeat: 'sent' }]);
    const [connector] = sim.state.connectors(tenantId);
    expect(connector).toMatchObject({ partnerState: 'enabled' });
    expect(new Date(connector?.lastHeartbeatDateTime ?? '').toISOString()).toBe(start);
    expect(await getTenant(harness.tables, tenantId)).toMatchObject({ lastConnectorHeartbeatAt: start, lastConnectorHeartbeatResult: 'ok' });
    const writes = () => sim.state.intuneWrites(tenantId).filter((w) => w.kind === 'connector').length;
    expect(writes()).toBe(1);

    clock.advance(30 * 60_000);
    expect(await runHeartbeatCheck(services)).toMatchObject([{ connectorHeartbeat: 'not-due' }]);
    expect(writes()).toBe(1);

    clock.advance(30 * 60_000);
    expect(await runHeartbeatCheck(services)).toMatchObject([{ connectorHeartbeat: 'sent' }]);
    expect(writes()).toBe(2);
    expect(new Date(sim.state.connectors(tenantId)[0]?.lastHeartbeatDateTime ?? '').toISOString()).toBe(clock.now().toISOString());
  });

  it('records a failure in the tenant\'s health and error report, and tries again on the next run', async () => {
    const { tenantId, clock, sim, tables } = harness;
    sim.state.addFault({ method: 'PATCH', path: 'mobileThreatDefenseConnectors', status: 403, count: 1 });
    expect(await runHeartbeatCheck(services)).toMatchObject([{ connectorHeartbeat: 'failed' }]);
    expect(await getTenant(tables, tenantId)).toMatchObject({ lastConnectorHeartbeatResult: 'failed', lastErrorKind: 'connector-heartbeat' });
    const reports: Record<string, unknown>[] = [];
    for await (const row of tables.table('errorReports').listEntities()) reports.push(row);
    expect(reports).toMatchObject([{ partitionKey: tenantId, kind: 'connector-heartbeat', count: 1 }]);

    clock.advance(5 * 60_000);
    expect(await runHeartbeatCheck(services)).toMatchObject([{ connectorHeartbeat: 'sent' }]);
    expect(await getTenant(tables, tenantId)).toMatchObject({ lastConnectorHeartbeatResult: 'ok' });
  });

  it('sends nothing for a tenant not enforcing through the Intune partner API', async () => {
    const { tenantId, sim, tables } = harness;
    await updateTenantConfig(tables, tenantId, () => ({
      settings: connectorSettingsSchema.parse({ enforcement: { intunePartner: false, entraDeviceAttribute: 'extensionAttribute5' } }),
    }));
    expect(await runHeartbeatCheck(services)).toMatchObject([{ connectorHeartbeat: 'not-enforced' }]);
    expect(sim.state.intuneWrites(tenantId)).toEqual([]);
  });
});

function body(deviceId: string) {
  return { intuneDeviceId: deviceId, platform: 'ios' as const, osVersion: '17.5', appVersion: '1.0.0' };
}

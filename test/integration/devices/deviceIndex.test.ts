/**
 * The index rows beside the device rows, against Azurite: whatever sequence of changes the service makes to its
 * devices (activation, heartbeat, report, re-grade, disconnect, reconnect, deactivation, re-discovery, push success,
 * push deferral, dead letter, reconcile), the index rows are exactly those the device rows call for, and the sweep and
 * reconcile find exactly the devices they must through them.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/clock.js';
import { recordDeadLetter } from '../../../shared/compliance/deadLetters.js';
import { planPush, recordOutcome, type PushOutcome, type TargetOutcome } from '../../../shared/compliance/plan.js';
import { defaultRenudgeAfterMs, reconcileTenant } from '../../../shared/compliance/reconcile.js';
import { intuneWriteBudgetName } from '../../../shared/compliance/writeBudget.js';
import { deviceFromEntity, deviceSchema, tenantDevicesFilter, withVersionRule, type Device } from '../../../shared/devices/device.js';
import { awaitsPush, checkInIndexPrefix, indexRows, nudgeDeferredTo, pendingIndexPrefix } from '../../../shared/devices/deviceIndex.js';
import {
  mutateDevice,
  putDevice,
  readDevice,
  readIndexRange,
  replaceDevice,
  writeDeviceWith,
} from '../../../shared/devices/deviceRepository.js';
import { defaultConnectorSettings, transition, type RiskLevel } from '../../../shared/domain/index.js';
import { applyObservation, type IntuneDevice } from '../../../shared/enrollment/reconcile.js';
import { sweepSilentDevices } from '../../../shared/heartbeat/disconnectSweep.js';
import type { QueueMessage } from '../../../shared/queue.js';
import { anyEntity, listAll, odata, type TableStore } from '../../../shared/storage/index.js';
import { quietLog } from '../../support/simClient.js';
import { createTestTableStore } from '../../support/tables.js';

const dayMs = 24 * 60 * 60 * 1000;
const settings = defaultConnectorSettings;
let tables: TableStore;

beforeAll(async () => {
  tables = await createTestTableStore();
});

/** Every row of the tenant's device partitions: device rows and the rows beside them. */
async function partitionRows(tenantId: string): Promise<{ devices: Device[]; index: Map<string, Record<string, unknown>> }> {
  const devices: Device[] = [];
  const index = new Map<string, Record<string, unknown>>();
  const filter = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`}`;
  for await (const row of listAll(tables.table('devices'), { schema: anyEntity, filter })) {
    if (row.rowKey.startsWith('~')) {
      const { partitionKey: _pk, rowKey, etag: _etag, timestamp: _ts, ...fields } = row;
      index.set(`${row.partitionKey}/${rowKey}`, fields);
    } else devices.push(deviceFromEntity(row));
  }
  return { devices, index };
}

/** The index rows are exactly the ones the device rows call for, field for field. */
async function expectIndexRight(tenantId: string): Promise<Device[]> {
  const { devices, index } = await partitionRows(tenantId);
  const expected = new Map<string, Record<string, unknown>>();
  for (const device of devices) {
    for (const row of indexRows(device)) expected.set(`${tenantId}|${device.deviceId.slice(0, 2)}/${row.rowKey}`, { ...row.fields });
  }
  expect(Object.fromEntries(index)).toEqual(Object.fromEntries(expected));
  return devices;
}

function intuneView(device: Device): IntuneDevice {
  return {
    intuneDeviceId: device.deviceId,
    azureAdDeviceId: device.azureAdDeviceId,
    deviceName: device.deviceName,
    platform: device.platform,
    osVersion: device.osVersion,
    userId: device.userId,
    userPrincipalName: device.userPrincipalName,
  };
}

/** The outcome of a push of the device's current plan: every step sent, or Intune left for later. */
function pushOutcome(device: Device, intuneLater: boolean): PushOutcome {
  const plan = planPush(device, settings);
  const intune: TargetOutcome =
    plan.intune.kind === 'send' ? (intuneLater ? { kind: 'later' } : { kind: 'sent', value: plan.intune.value }) : { kind: 'none' };
  const entra: TargetOutcome =
    plan.entra.kind === 'send' ? { kind: 'sent', value: plan.entra.value, attribute: plan.entra.attribute } : { kind: 'none' };
  return { version: plan.version, intune, entra };
}

type Op =
  | { kind: 'activate' | 'heartbeat' | 'deactivate' | 'rediscover' | 'pushSuccess' | 'deadLetter'; device: number }
  | { kind: 'report' | 'regrade'; device: number; risk: RiskLevel }
  | { kind: 'pushDefer'; device: number; laterMs: number }
  | { kind: 'sweep' | 'reconcile' }
  | { kind: 'advance'; ms: number };

const deviceCount = 3;
const deviceArb = fc.integer({ min: 0, max: deviceCount - 1 });
const riskArb = fc.constantFrom<RiskLevel>('none', 'low', 'medium', 'high');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('activate', 'heartbeat', 'deactivate', 'rediscover', 'pushSuccess', 'deadLetter' as const), device: deviceArb }),
  fc.record({ kind: fc.constantFrom('report', 'regrade' as const), device: deviceArb, risk: riskArb }),
  fc.record({ kind: fc.constant('pushDefer' as const), device: deviceArb, laterMs: fc.constantFrom(20_000, 30 * 60_000) }),
  fc.record({ kind: fc.constantFrom('sweep', 'reconcile' as const) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(60_000, 16 * 60_000, 2 * dayMs, 8 * dayMs) }),
);

describe('index rows beside the device rows', () => {
  it('stay exactly right through any sequence of changes, and the sweep and reconcile find exactly the due devices', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 25 }), async (ops) => {
        const tenantId = randomUUID();
        const clock = new ManualClock('2026-03-01T09:00:00.000Z');
        const sent: QueueMessage[] = [];
        const services = {
          tables,
          clock,
          log: quietLog,
          queues: () => ({
            send: (messages: readonly QueueMessage[]) => {
              sent.push(...messages);
              return Promise.resolve();
            },
          }),
        };
        const ids = Array.from({ length: deviceCount }, () => randomUUID());
        for (const deviceId of ids) {
          const observed: IntuneDevice = {
            intuneDeviceId: deviceId,
            azureAdDeviceId: randomUUID(),
            deviceName: 'phone',
            platform: 'ios',
            osVersion: '17.4',
            userId: randomUUID(),
            userPrincipalName: 'ann@contoso.test',
          };
          const now = clock.now();
          await writeDeviceWith(tables, tenantId, deviceId, (current) => applyObservation(tenantId, current, { kind: 'enrolled', device: observed }, now.toISOString())?.device, now);
        }
        await expectIndexRight(tenantId);

        for (const op of ops) {
          const now = clock.now();
          const at = now.toISOString();
          const deviceId = 'device' in op ? (ids[op.device] ?? '') : '';
          const mutate = (change: (current: Device) => Device | undefined) => mutateDevice(tables, tenantId, deviceId, change, undefined, now);
          const rediscovery = async (observation: Parameters<typeof applyObservation>[2]) =>
            writeDeviceWith(tables, tenantId, deviceId, (current) => applyObservation(tenantId, current, observation, at)?.device, now);

          switch (op.kind) {
            case 'activate':
              await mutate((current) => {
                const next = transition(current.status, 'activate');
                if (!next.ok) return undefined;
                return { ...current, status: next.status, statusChangedAt: next.changed ? at : current.statusChangedAt, activatedAt: at, lastCheckInAt: at };
              });
              break;
            case 'heartbeat':
            case 'report':
              await mutate((current) => {
                const next = transition(current.status, 'checkIn');
                if (!next.ok) return undefined;
                const reported = op.kind === 'report' ? { hasReport: true, riskLevel: op.risk, lastReportAt: at } : {};
                return { ...current, ...reported, status: next.status, statusChangedAt: next.changed ? at : current.statusChangedAt, lastCheckInAt: at };
              });
              break;
            case 'regrade': {
              const current = await readDevice(tables, tenantId, deviceId);
              if (current && current.riskLevel !== op.risk) {
                const { device } = withVersionRule(current, { ...current, riskLevel: op.risk });
                await replaceDevice(tables, device, current, now);
              }
              break;
            }
            case 'deactivate':
              await rediscovery({ kind: 'left', reason: 'left-groups' });
              break;
            case 'rediscover': {
              const current = await readDevice(tables, tenantId, deviceId);
              if (current) await rediscovery({ kind: 'enrolled', device: intuneView(current) });
              break;
            }
            case 'pushSuccess':
              await mutate((current) => recordOutcome(current, pushOutcome(current, false), settings, at).device);
              break;
            case 'pushDefer':
              await mutate((current) => {
                const result = recordOutcome(current, pushOutcome(current, true), settings, at);
                return result.device ? nudgeDeferredTo(result.device, new Date(now.getTime() + op.laterMs)) : undefined;
              });
              break;
            case 'deadLetter': {
              const current = await readDevice(tables, tenantId, deviceId);
              if (current?.syncPending) await recordDeadLetter(services, { tenantId, deviceId, version: current.version }, { reason: 'test', deliveryCount: 10 });
              break;
            }
            case 'sweep': {
              const { devices } = await partitionRows(tenantId);
              const cutoff = new Date(now.getTime() - settings.disconnectedAfterDays * dayMs).toISOString();
              const silent = devices.filter((d) => d.status === 'active' && (d.lastCheckInAt ?? '') <= cutoff).map((d) => d.deviceId);
              const summary = await sweepSilentDevices(services, tenantId, settings.disconnectedAfterDays, now);
              expect(summary.devicesFound).toBe(silent.length);
              expect(summary.entitiesExamined).toBe(silent.length);
              expect(summary.disconnected).toBe(silent.length);
              const after = await partitionRows(tenantId);
              for (const id of silent) expect(after.devices.find((d) => d.deviceId === id)?.status).toBe('disconnected');
              break;
            }
            case 'reconcile': {
              const { devices } = await partitionRows(tenantId);
              const bound = new Date(now.getTime() - defaultRenudgeAfterMs).toISOString();
              const due = devices.filter((d) => awaitsPush(d) && (d.nudgedAt ?? '') <= bound).map((d) => d.deviceId).sort();
              sent.length = 0;
              const summary = await reconcileTenant(services, tenantId);
              expect(summary.entitiesExamined).toBe(due.length);
              expect(sent.map((m) => (m.body as { deviceId: string }).deviceId).sort()).toEqual(due);
              break;
            }
            case 'advance':
              clock.advance(op.ms);
              break;
          }
          await expectIndexRight(tenantId);
        }
      }),
      { numRuns: 12 },
    );
  }, 300_000);

  it('is not read by device reads, and a write that changes no index row adds no action', async () => {
    const tenantId = randomUUID();
    const deviceId = randomUUID();
    const at = new Date('2026-03-01T09:00:00.000Z');
    await putDevice(tables, {
      ...(await seedRow(tenantId, deviceId, at)),
      status: 'active',
      lastCheckInAt: at.toISOString(),
    }, at);
    const before = tables.stats.transactions;
    const write = await mutateDevice(tables, tenantId, deviceId, (current) => ({ ...current, appVersion: '2.0' }), undefined, at);
    expect(write?.after.appVersion).toBe('2.0');
    // One read, one single-entity write: no transaction framing, no index action.
    expect(tables.stats.transactions - before).toBe(2);
    const { devices } = await partitionRows(tenantId);
    expect(devices.map((d) => d.deviceId)).toEqual([deviceId]);
    const listed: string[] = [];
    for await (const row of listAll(tables.table('devices'), { schema: anyEntity, filter: tenantDevicesFilter(tenantId) })) listed.push(row.rowKey);
    expect(listed).toEqual([deviceId]);
  });

  it('reads only the due index rows: entities examined equal the devices found', async () => {
    const tenantId = randomUUID();
    const start = new Date('2026-03-01T09:00:00.000Z');
    const ids: string[] = [];
    for (let n = 0; n < 40; n += 1) {
      const deviceId = randomUUID();
      ids.push(deviceId);
      // Every fourth device last checked in 10 days ago; the rest today.
      const checkIn = new Date(start.getTime() - (n % 4 === 0 ? 10 * dayMs : 0)).toISOString();
      await putDevice(tables, { ...(await seedRow(tenantId, deviceId, start)), status: 'active', lastCheckInAt: checkIn }, start);
    }
    const found = await readIndexRange(tables, tenantId, checkInIndexPrefix, start.getTime() - 7 * dayMs);
    expect(found.entries.map((e) => e.deviceId).sort()).toEqual(ids.filter((_id, n) => n % 4 === 0).sort());
    expect(found.entitiesExamined).toBe(10);
    expect(found.queries).toBe(256);
    // Every device was written pending-free but for its first nudge: the pending index has them all, due at `start`.
    const pending = await readIndexRange(tables, tenantId, pendingIndexPrefix, start.getTime());
    expect(pending.entries).toHaveLength(40);
    expect((await readIndexRange(tables, tenantId, pendingIndexPrefix, start.getTime() - 1)).entries).toHaveLength(0);
  });
});

describe('reconcile under a backlog and a crash', () => {
  it('re-sends a nudge lost in a crash once it is older than the bound, once per bound, and never while the budget holds deferred work', async () => {
    const tenantId = randomUUID();
    const clock = new ManualClock('2026-03-01T09:00:00.000Z');
    const sent: QueueMessage[] = [];
    let failSends = false;
    const services = {
      tables,
      clock,
      log: quietLog,
      queues: () => ({
        send: (messages: readonly QueueMessage[]) => {
          if (failSends) return Promise.reject(new Error('queue unreachable'));
          sent.push(...messages);
          return Promise.resolve();
        },
      }),
    };
    const deviceId = randomUUID();
    await putDevice(tables, { ...(await seedRow(tenantId, deviceId, clock.now())), status: 'active', lastCheckInAt: clock.now().toISOString(), syncPending: false }, clock.now());
    // The device's risk changes and the process stops before its nudge is sent.
    const write = await mutateDevice(tables, tenantId, deviceId, (current) => ({ ...current, hasReport: true, riskLevel: 'high' }), undefined, clock.now());
    expect(write?.nudge).toBe(true);
    const version = write?.after.version;

    expect((await reconcileTenant(services, tenantId)).nudgesSent).toBe(0);
    clock.advance(defaultRenudgeAfterMs - 1_000);
    expect((await reconcileTenant(services, tenantId)).nudgesSent).toBe(0);

    // Its turn in the write budget is 20 minutes away: a nudge is scheduled for it, reconcile leaves it alone.
    const lineEnd = clock.now().getTime() + 20 * 60_000;
    await tables.table('leases').upsertEntity({ partitionKey: tenantId, rowKey: intuneWriteBudgetName, deferredUntil: lineEnd }, 'Merge');
    clock.advance(2_000);
    const waiting = await reconcileTenant(services, tenantId);
    expect(waiting).toMatchObject({ nudgesSent: 0, queries: 0, entitiesExamined: 0, deferredUntil: new Date(lineEnd).toISOString() });

    // The line ended more than a bound ago: the device is re-nudged, once.
    clock.set(new Date(lineEnd + defaultRenudgeAfterMs));
    // A crash while sending: the nudge time was moved, so the next try is a bound later, and nothing is lost.
    failSends = true;
    await expect(reconcileTenant(services, tenantId)).rejects.toThrow('queue unreachable');
    failSends = false;
    expect((await reconcileTenant(services, tenantId)).nudgesSent).toBe(0);
    clock.advance(defaultRenudgeAfterMs);
    sent.length = 0;
    expect((await reconcileTenant(services, tenantId)).nudgesSent).toBe(1);
    expect(sent.map((m) => m.body)).toEqual([{ tenantId, deviceId, version }]);
    sent.length = 0;
    expect((await reconcileTenant(services, tenantId)).nudgesSent).toBe(0);
    await expectIndexRight(tenantId);
  });
});

async function seedRow(tenantId: string, deviceId: string, at: Date): Promise<Device> {
  const now = at.toISOString();
  return Promise.resolve(deviceSchema.parse({
    tenantId,
    deviceId,
    intuneDeviceId: deviceId,
    platform: 'ios',
    userId: randomUUID(),
    status: 'pending',
    statusChangedAt: now,
    discoveredAt: now,
    syncPending: true,
  }));
}

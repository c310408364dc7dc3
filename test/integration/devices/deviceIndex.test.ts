/**
 * The index rows beside the device rows, against Azurite: whatever sequence of changes the service makes to its
 * devices (activation, heartbeat, report, re-grade, disconnect, reconnect, deactivation, re-discovery, push success,
 * push deferral, dead letter, reconcile), the index rows are exactly those the device rows call for, and the sweep and
 * reconcile find exactly the devices they must through them.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { recordDeadLetter } from '../../../shared/compliance/deadLetters.js';
import { planPush, recordOutcome, type PushOutcome, type TargetOutcome } from '../../../shared/compliance/plan.js';
import { defaultRenudgeAfterMs, reconcileLookAheadMs, reconcileTenant } from '../../../shared/compliance/reconcile.js';
import { intuneWriteBudgetName } from '../../../shared/compliance/writeBudget.js';
import { devicePartitionKey, deviceSchema, deviceToEntity, tenantDevicesFilter, withVersionRule, type Device } from '../../../shared/devices/device.js';
import { awaitsPush, checkInIndexPrefix, nudgeDeferredTo, pendingIndexPrefix } from '../../../shared/devices/deviceIndex.js';
import {
  backfillDeviceIndex,
  mutateDevice,
  putDevice,
  readDevice,
  readIndexRange,
  replaceDevice,
  writeDeviceWith,
} from '../../../shared/devices/deviceRepository.js';
import { defaultConnectorSettings, transition, type RiskLevel } from '../../../shared/domain/index.js';
import { applyObservation, type IntuneDevice } from '../../../shared/enrollment/reconcile.js';
import { sweepLookAheadMs, sweepSilentDevices } from '../../../shared/heartbeat/disconnectSweep.js';
import { readPendingHints } from '../../../shared/devices/indexHints.js';
import type { QueueMessage } from '../../../shared/queues/queue.js';
import { anyEntity, listAll, type TableStore } from '../../../shared/storage/index.js';
import { quietLog } from '../../support/simClient.js';
import { createTestTableStore } from '../../support/tables.js';
import { indexRowsOf } from './deviceRows.js';

const dayMs = 24 * 60 * 60 * 1000;
const settings = defaultConnectorSettings;
let tables: TableStore;

beforeAll(async () => {
  tables = await createTestTableStore();
});

/** Every device row of the tenant, and the rows beside them. */
async function partitionRows(tenantId: string): Promise<{ devices: Device[] }> {
  return indexRowsOf(tables, tenantId);
}

/** The index rows are exactly the ones the device rows call for, field for field. */
async function expectIndexRight(tenantId: string): Promise<Device[]> {
  const { devices, actual, expected } = await indexRowsOf(tables, tenantId);
  expect(actual).toEqual(expected);
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

/** How many of the tenant's device partitions hold one of `devices` (a look-ahead examines one row per partition). */
function partitionsOf(tenantId: string, devices: readonly Device[]): number {
  return new Set(devices.map((d) => devicePartitionKey(tenantId, d.deviceId))).size;
}

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
              // The sweep also looks at the next device to fall silent within its look-ahead, one row per partition.
              const soon = devices.filter((d) => d.status === 'active' && (d.lastCheckInAt ?? '') > cutoff && Date.parse(d.lastCheckInAt ?? '') <= Date.parse(cutoff) + sweepLookAheadMs);
              const summary = await sweepSilentDevices(services, tenantId, settings.disconnectedAfterDays, now);
              expect(summary.devicesFound).toBe(silent.length);
              // Between full reads only some partitions are read: never more than a full read examines.
              expect(summary.entitiesExamined).toBeLessThanOrEqual(silent.length + partitionsOf(tenantId, soon));
              if (summary.fullRead) expect(summary.entitiesExamined).toBe(silent.length + partitionsOf(tenantId, soon));
              // Due again no later than the next device falls silent, nor than the look-ahead runs out.
              const silentNext = Math.min(...soon.map((d) => Date.parse(d.lastCheckInAt ?? '') + settings.disconnectedAfterDays * dayMs));
              expect(summary.nextDueMs).toBeLessThanOrEqual(Math.min(silentNext, now.getTime() + sweepLookAheadMs));
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
              const inFlight = devices.filter((d) => awaitsPush(d) && (d.nudgedAt ?? '') > bound && Date.parse(d.nudgedAt ?? '') <= Date.parse(bound) + reconcileLookAheadMs);
              const summary = await reconcileTenant(services, tenantId);
              if (summary.deferredUntil === undefined) expect(summary.entitiesExamined).toBeLessThanOrEqual(due.length + partitionsOf(tenantId, inFlight));
              // Due again no later than the oldest nudge in flight, or one just re-sent, comes of age.
              if (summary.deferredUntil === undefined && inFlight.length + due.length > 0) {
                const nudgeTimes = [...inFlight.map((d) => Date.parse(d.nudgedAt ?? '')), ...(due.length > 0 ? [now.getTime()] : [])];
                expect(summary.nextDueMs).toBeLessThanOrEqual(Math.min(...nudgeTimes) + defaultRenudgeAfterMs);
              }
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

  it('reads only the due index rows, and with a look-ahead one more row per partition to say when to look again', async () => {
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
    // One query per partition, and one more for the rest of the due range where a partition has a due row.
    expect(found.queries).toBe(256 + new Set(found.entries.map((e) => e.partitionKey)).size);
    // Looking ahead 12 hours past 7 days finds nothing more; looking 10 days ahead finds one row per partition.
    const ahead = await readIndexRange(tables, tenantId, checkInIndexPrefix, start.getTime() - 7 * dayMs, { peekUntilMs: start.getTime() - 7 * dayMs + 12 * 60 * 60_000 });
    expect([ahead.entitiesExamined, ahead.nextMs]).toEqual([10, undefined]);
    const further = await readIndexRange(tables, tenantId, checkInIndexPrefix, start.getTime() - 7 * dayMs, { peekUntilMs: start.getTime() });
    expect(further.nextMs).toBe(start.getTime());
    expect(further.entitiesExamined).toBe(10 + new Set(ids.filter((_id, n) => n % 4 !== 0).map((id) => devicePartitionKey(tenantId, id))).size);
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

describe('reconcile between full reads', () => {
  it('reads only the partitions hinted to hold waiting devices, and finds a device whose hint was lost at its next full read', async () => {
    const tenantId = randomUUID();
    const clock = new ManualClock('2026-03-01T09:00:00.000Z');
    const services = { tables, clock, log: quietLog, queues: () => ({ send: () => Promise.resolve() }) };
    // Forty devices in forty partitions, none waiting.
    const ids = Array.from({ length: 40 }, (_unused, n) => `${n.toString(16).padStart(2, '0')}${randomUUID().slice(2)}`);
    for (const deviceId of ids) {
      await putDevice(tables, { ...(await seedRow(tenantId, deviceId, clock.now())), status: 'active', lastCheckInAt: clock.now().toISOString(), syncPending: false }, clock.now());
    }
    const first = await reconcileTenant(services, tenantId);
    expect(first.queries).toBeGreaterThanOrEqual(256);

    // One device starts waiting: its partition is hinted before it is written.
    const [waiting = '', lost = ''] = [ids[7], ids[30]];
    clock.advance(60_000);
    await mutateDevice(tables, tenantId, waiting, (current) => ({ ...current, hasReport: true, riskLevel: 'high' }), undefined, clock.now());
    clock.advance(defaultRenudgeAfterMs);
    const partial = await reconcileTenant(services, tenantId);
    // One partition read: its first row (the due device), the rest of its range, and the next row after it.
    expect(partial).toMatchObject({ nudgesSent: 1, devicesFound: 1 });
    expect(partial.queries).toBeLessThanOrEqual(3);
    // Its push lands.
    await mutateDevice(tables, tenantId, waiting, (current) => ({ ...current, syncPending: false }), undefined, clock.now());

    // Another device starts waiting but its hint is lost (written around the seam): the partial runs do not see it...
    clock.advance(60_000);
    await mutateDevice(tables, tenantId, lost, (current) => ({ ...current, hasReport: true, riskLevel: 'medium' }), undefined, clock.now());
    await tables.table('indexHints').deleteEntity(tenantId, `p|${lost.slice(0, 2)}`);
    clock.advance(defaultRenudgeAfterMs);
    expect((await reconcileTenant(services, tenantId)).devicesFound).toBe(0);
    // ...the full read a look-ahead after the first finds it, and hints its partition again.
    clock.set(new Date(Date.parse('2026-03-01T09:00:00.000Z') + reconcileLookAheadMs));
    const fullRead = await reconcileTenant(services, tenantId);
    expect(fullRead.queries).toBeGreaterThanOrEqual(256);
    expect(fullRead).toMatchObject({ nudgesSent: 1, devicesFound: 1 });
    const hints = await readPendingHints(tables, tenantId);
    expect(hints.map((hint) => hint.bucket)).toContain(lost.slice(0, 2));
  });
});

describe('index rows written around the seam', () => {
  it('never block a device write, are removed by the readers when stray, and are backfilled for rows written before them', async () => {
    const tenantId = randomUUID();
    const clock = new ManualClock('2026-03-01T09:00:00.000Z');
    const services = { tables, clock, log: quietLog, queues: () => ({ send: () => Promise.resolve() }) };
    const at = clock.now();
    const active = { status: 'active' as const, lastCheckInAt: at.toISOString(), syncPending: false };

    // An index row deleted behind the seam's back: the next write still goes through, and puts it right.
    const missing = randomUUID();
    await putDevice(tables, { ...(await seedRow(tenantId, missing, at)), ...active }, at);
    const partitionKey = `${tenantId}|${missing.slice(0, 2)}`;
    await tables.table('devices').deleteEntity(partitionKey, `${checkInIndexPrefix}${String(at.getTime()).padStart(13, '0')}|${missing}`);
    clock.advance(60 * 60_000);
    const later = clock.now();
    const write = await mutateDevice(tables, tenantId, missing, (current) => ({ ...current, lastCheckInAt: later.toISOString() }), undefined, later);
    expect(write?.after.lastCheckInAt).toBe(later.toISOString());

    // A stray row (no device row calls for it): found by the sweep, removed, and nothing disconnected.
    const pending = randomUUID();
    await putDevice(tables, await seedRow(tenantId, pending, at), at);
    await tables.table('devices').upsertEntity({ partitionKey: `${tenantId}|${pending.slice(0, 2)}`, rowKey: `${checkInIndexPrefix}0000000000001|${pending}`, deviceId: pending });

    // A row written before the index existed (no `indexed` mark), active and silent for weeks.
    const legacy = randomUUID();
    const { indexed: _indexed, nudgedAt: _nudgedAt, ...old } = { ...(await seedRow(tenantId, legacy, at)), ...active, lastCheckInAt: '2026-01-01T00:00:00.000Z' };
    await tables.table('devices').upsertEntity(deviceToEntity({ ...old, indexed: undefined, nudgedAt: undefined }), 'Replace');

    clock.advance(30 * dayMs);
    const first = await sweepSilentDevices(services, tenantId, 7, clock.now());
    expect(first).toMatchObject({ devicesFound: 2, strayRowsRemoved: 1, disconnected: 1 });
    expect((await readDevice(tables, tenantId, pending))?.status).toBe('pending');
    expect((await readDevice(tables, tenantId, missing))?.status).toBe('disconnected');
    // The legacy row has no index rows: the backfill gives it its own, after which the sweep finds it.
    expect((await readDevice(tables, tenantId, legacy))?.status).toBe('active');
    expect(await backfillDeviceIndex(tables, tenantId, clock.now())).toBe(1);
    expect(await backfillDeviceIndex(tables, tenantId, clock.now())).toBe(0);
    await expectIndexRight(tenantId);
    expect(await sweepSilentDevices(services, tenantId, 7, clock.now())).toMatchObject({ devicesFound: 1, disconnected: 1 });
    expect((await readDevice(tables, tenantId, legacy))?.status).toBe('disconnected');
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

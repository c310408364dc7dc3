/**
 * A tenant's device counters (docs/DATA-MODEL.md, "Device counters"): devices by status and by risk level, per
 * enrollment group by status, pending devices by when their wait began, and open threats by classification, read
 * without reading the devices.
 *
 * No write ever reads a counter: a write that changes what a device counts as adds, in the same entity group
 * transaction as the device row (the device-write seam, sidecar.ts) or the threat batch (threatStore.ts), a **delta
 * row** with a unique key in the device's own partition. So counters never become a row that concurrent writers
 * queue on, and a delta exists exactly when its change committed. Each partition also holds a **sum row**; a reader
 * sums, per partition, the sum row and the deltas after it (one range query each, 256 partitions side by side), and
 * folds a partition's deltas into its sum row (one transaction: the sum with its ETag, the deltas deleted) once they
 * pile up. A fold racing another loses its ETag and changes nothing.
 *
 * - `devices`: sum `~n#`, deltas `~n|{13-digit ms}|{deviceId}|{random}`, field `d` (JSON `{ key: ±n }`).
 * - `threats`: sum `n#`, deltas `n|{13-digit ms}|{deviceId}|{random}`, the same fields.
 *
 * Rows written before the counters existed carry no `counted` mark (device row, `s|` threats row) and count for
 * nothing until counted: a write through the seam counts them (their whole contribution as the delta), and
 * `backfillCounters` counts the rest of a tenant's partitions once, resumably (progress on the `indexHints` row
 * `counters`), run by the first reads of the tenant's counters.
 */
import { randomBytes } from 'node:crypto';
import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { mapLimit } from '../base/mapLimit.js';
import { classifications, deviceStatuses, riskLevels, type Classification, type DeviceStatus, type RiskLevel } from '../domain/index.js';
import { readEntity } from '../storage/entities.js';
import type { TableStore } from '../storage/tableStore.js';
import { credentialedDeviceBuckets, deviceFromEntity, devicePartitionKey, type Device } from './device.js';
import { indexTime } from './deviceIndex.js';

export type CounterDelta = Record<string, number>;

/** The mark a counted row carries (device row `counted`, `s|` row `counted`). */
export const countedMark = 1;

const deviceSumKey = '~n#';
const deviceDeltaPrefix = '~n|';
const threatSumKey = 'n#';
const threatDeltaPrefix = 'n|';
/** A partition's deltas are folded into its sum row by a reader once there are this many. */
export const foldThreshold = 16;
const maxFoldPerTransaction = 99;

const minuteMs = 60_000;

function pendingSinceMinute(device: Pick<Device, 'statusChangedAt' | 'discoveredAt'>): number {
  const ms = Date.parse(device.statusChangedAt || device.discoveredAt);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / minuteMs) * minuteMs;
}

/**
 * What one device counts as: `total`, `s|{status}`, `r|{risk}` (devices not deactivated), `g|{group}|{status}` per
 * enrollment group, and for a pending device `p|{minute its wait began}` and `gp|{group}|{minute}`.
 */
export function deviceContribution(device: Device): CounterDelta {
  const counts: CounterDelta = { total: 1, [`s|${device.status}`]: 1 };
  if (device.status !== 'deactivated') counts[`r|${device.riskLevel}`] = 1;
  const pending = device.status === 'pending' ? pendingSinceMinute(device) : undefined;
  if (pending !== undefined) counts[`p|${pending}`] = 1;
  for (const group of device.enrollmentGroups ?? []) {
    counts[`g|${group}|${device.status}`] = 1;
    if (pending !== undefined) counts[`gp|${group}|${pending}`] = 1;
  }
  return counts;
}

/** `after − before`, zeros left out. */
export function subtractCounts(after: CounterDelta, before: CounterDelta): CounterDelta {
  const delta: CounterDelta = {};
  for (const [key, n] of Object.entries(after)) delta[key] = n;
  for (const [key, n] of Object.entries(before)) delta[key] = (delta[key] ?? 0) - n;
  for (const key of Object.keys(delta)) if (delta[key] === 0) delete delta[key];
  return delta;
}

function addInto(target: CounterDelta, delta: CounterDelta): void {
  for (const [key, n] of Object.entries(delta)) {
    const next = (target[key] ?? 0) + n;
    if (next === 0) delete target[key];
    else target[key] = next;
  }
}

function deltaRowKey(prefix: string, deviceId: string, at: Date): string {
  return `${prefix}${indexTime(at.getTime())}|${deviceId}|${randomBytes(4).toString('hex')}`;
}

/** The row with its counted mark (every row the seam writes is counted by the same write). */
export function withCountedMark(device: Device): Device {
  return device.counted === countedMark ? device : { ...device, counted: countedMark };
}

/**
 * The delta action for one device-row change (sidecar.ts): nothing when the change leaves what the device counts as
 * unchanged (most writes), else one `create` of a delta row. A `before` without the mark counts as nothing, so its
 * first write through the seam counts it whole.
 */
export function deviceCounterActions(before: Device | undefined, after: Device | undefined, at: Date): TransactionAction[] {
  const device = after ?? before;
  if (!device) return [];
  const old = before && before.counted === countedMark ? deviceContribution(before) : {};
  const next = after ? deviceContribution(after) : {};
  const delta = subtractCounts(next, old);
  if (Object.keys(delta).length === 0) return [];
  return [
    [
      'create',
      {
        partitionKey: devicePartitionKey(device.tenantId, device.deviceId),
        rowKey: deltaRowKey(deviceDeltaPrefix, device.deviceId, at),
        d: JSON.stringify(delta),
      },
    ],
  ];
}

/** Open threats by classification, as counter keys `c|{classification}`. */
export function threatContribution(open: readonly { readonly classification: string }[]): CounterDelta {
  const counts: CounterDelta = {};
  for (const threat of open) counts[`c|${threat.classification}`] = (counts[`c|${threat.classification}`] ?? 0) + 1;
  return counts;
}

/**
 * The delta action of a threat batch (threatStore.ts): the change of the device's open threats by classification.
 * `before` is undefined when the `s|` row is not counted yet (its open threats are then counted whole).
 */
export function threatCounterAction(
  tenantId: string,
  deviceId: string,
  before: readonly { readonly classification: string }[] | undefined,
  after: readonly { readonly classification: string }[],
  at: Date,
): TransactionAction | undefined {
  const delta = subtractCounts(threatContribution(after), before ? threatContribution(before) : {});
  if (Object.keys(delta).length === 0) return undefined;
  return ['create', { partitionKey: devicePartitionKey(tenantId, deviceId), rowKey: deltaRowKey(threatDeltaPrefix, deviceId, at), d: JSON.stringify(delta) }];
}

const countsSchema = z.record(z.string(), z.number());

function parseCounts(text: unknown): CounterDelta {
  if (typeof text !== 'string') return {};
  try {
    const parsed = countsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

interface PartitionRead {
  readonly counts: CounterDelta;
  readonly sum: { readonly etag: string; readonly counts: CounterDelta } | undefined;
  readonly deltas: readonly { readonly rowKey: string; readonly counts: CounterDelta }[];
}

const rowSchema = z.object({ rowKey: z.string(), etag: z.string(), d: z.string().optional() });

async function readPartition(tables: TableStore, table: 'devices' | 'threats', partitionKey: string, sumKey: string, deltaPrefix: string): Promise<PartitionRead> {
  const upper = `${deltaPrefix.slice(0, -1)}}`;
  const rows = tables.table(table).listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${sumKey} and RowKey lt ${upper}`, select: ['RowKey', 'd'] },
  });
  const counts: CounterDelta = {};
  let sum: PartitionRead['sum'];
  const deltas: { rowKey: string; counts: CounterDelta }[] = [];
  for await (const raw of rows) {
    const row = rowSchema.safeParse(raw);
    if (!row.success) continue;
    const rowCounts = parseCounts(row.data.d);
    addInto(counts, rowCounts);
    if (row.data.rowKey === sumKey) sum = { etag: row.data.etag, counts: rowCounts };
    else if (row.data.rowKey.startsWith(deltaPrefix)) deltas.push({ rowKey: row.data.rowKey, counts: rowCounts });
  }
  return { counts, sum, deltas };
}

/** Folds the deltas read into the sum row: one transaction per 99 deltas; a lost race changes nothing. */
async function fold(tables: TableStore, table: 'devices' | 'threats', partitionKey: string, sumKey: string, read: PartitionRead): Promise<void> {
  let sum = read.sum;
  for (let start = 0; start < read.deltas.length; start += maxFoldPerTransaction) {
    const chunk = read.deltas.slice(start, start + maxFoldPerTransaction);
    const counts: CounterDelta = { ...(sum?.counts ?? {}) };
    for (const delta of chunk) addInto(counts, delta.counts);
    const entity = { partitionKey, rowKey: sumKey, d: JSON.stringify(counts) };
    const actions: TransactionAction[] = [
      sum ? ['update', entity, 'Replace', { etag: sum.etag }] : ['create', entity],
      ...chunk.map((delta): TransactionAction => ['delete', { partitionKey, rowKey: delta.rowKey }]),
    ];
    try {
      const response = await tables.table(table).submitTransaction(actions);
      const etag = response.subResponses[0]?.etag;
      if (!etag) return;
      sum = { etag, counts };
    } catch (error) {
      const status = statusOf(error);
      // Another reader folded first: its sum holds these deltas.
      if (status === 412 || status === 409 || status === 404) return;
      throw error;
    }
  }
}

/** Sums the tenant's 256 partitions of one table, folding partitions whose deltas have piled up. */
async function readTable(tables: TableStore, tenantId: string, table: 'devices' | 'threats'): Promise<CounterDelta> {
  const sumKey = table === 'devices' ? deviceSumKey : threatSumKey;
  const prefix = table === 'devices' ? deviceDeltaPrefix : threatDeltaPrefix;
  const total: CounterDelta = {};
  await mapLimit(credentialedDeviceBuckets, 64, async (bucket) => {
    const partitionKey = `${tenantId}|${bucket}`;
    const read = await readPartition(tables, table, partitionKey, sumKey, prefix);
    addInto(total, read.counts);
    if (read.deltas.length >= foldThreshold) await fold(tables, table, partitionKey, sumKey, read);
  });
  return total;
}

export interface DeviceCounts {
  readonly total: number;
  readonly byStatus: Record<DeviceStatus, number>;
  /** Devices not deactivated, by risk level. */
  readonly byRisk: Record<RiskLevel, number>;
}

export interface PendingByAge {
  readonly under1d: number;
  readonly days1to7: number;
  readonly over7d: number;
}

export interface GroupCoverage {
  readonly displayName: string;
  readonly byStatus: Record<DeviceStatus, number>;
  readonly pendingByAge: PendingByAge;
}

export interface FleetCounters {
  readonly devices: DeviceCounts;
  readonly openThreats: { readonly byClassification: Partial<Record<Classification, number>> };
  readonly pendingByAge: PendingByAge;
  /** Per enrollment group the devices were found through (a device in two groups counts in both). */
  readonly groups: readonly GroupCoverage[];
}

function zeroStatuses(): Record<DeviceStatus, number> {
  return Object.fromEntries(deviceStatuses.map((status) => [status, 0])) as Record<DeviceStatus, number>;
}

function zeroRisks(): Record<RiskLevel, number> {
  return Object.fromEntries(riskLevels.map((level) => [level, 0])) as Record<RiskLevel, number>;
}

const dayMs = 86_400_000;

function ageBucket(ageByMinute: Map<number, number>, nowMs: number): PendingByAge {
  let under1d = 0;
  let days1to7 = 0;
  let over7d = 0;
  for (const [since, n] of ageByMinute) {
    const age = nowMs - since;
    if (age < dayMs) under1d += n;
    else if (age <= 7 * dayMs) days1to7 += n;
    else over7d += n;
  }
  return { under1d, days1to7, over7d };
}

function isStatus(value: string): value is DeviceStatus {
  return (deviceStatuses as readonly string[]).includes(value);
}

function isRisk(value: string): value is RiskLevel {
  return (riskLevels as readonly string[]).includes(value);
}

function isClassification(value: string): value is Classification {
  return (classifications as readonly string[]).includes(value);
}

/** Turns the summed keys into the fleet's counters (pending ages as of `nowMs`). */
export function fleetFromCounts(devices: CounterDelta, threats: CounterDelta, nowMs: number): FleetCounters {
  const byStatus = zeroStatuses();
  const byRisk = zeroRisks();
  const byClassification: Partial<Record<Classification, number>> = {};
  const pending = new Map<number, number>();
  const groups = new Map<string, { byStatus: Record<DeviceStatus, number>; pending: Map<number, number> }>();
  const group = (name: string): { byStatus: Record<DeviceStatus, number>; pending: Map<number, number> } => {
    let entry = groups.get(name);
    if (!entry) groups.set(name, (entry = { byStatus: zeroStatuses(), pending: new Map() }));
    return entry;
  };
  for (const [key, n] of Object.entries(devices)) {
    if (n === 0) continue;
    const bar = key.indexOf('|');
    const kind = bar < 0 ? key : key.slice(0, bar);
    const rest = bar < 0 ? '' : key.slice(bar + 1);
    if (kind === 's' && isStatus(rest)) byStatus[rest] += n;
    else if (kind === 'r' && isRisk(rest)) byRisk[rest] += n;
    else if (kind === 'p') pending.set(Number(rest), (pending.get(Number(rest)) ?? 0) + n);
    else if (kind === 'g' || kind === 'gp') {
      const last = rest.lastIndexOf('|');
      if (last < 0) continue;
      const name = rest.slice(0, last);
      const tail = rest.slice(last + 1);
      if (kind === 'g' && isStatus(tail)) group(name).byStatus[tail] += n;
      else if (kind === 'gp') {
        const entry = group(name);
        entry.pending.set(Number(tail), (entry.pending.get(Number(tail)) ?? 0) + n);
      }
    }
  }
  for (const [key, n] of Object.entries(threats)) {
    const classification = key.startsWith('c|') ? key.slice(2) : '';
    if (n > 0 && isClassification(classification)) byClassification[classification] = n;
  }
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  return {
    devices: { total, byStatus, byRisk },
    openThreats: { byClassification },
    pendingByAge: ageBucket(pending, nowMs),
    groups: [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([displayName, entry]) => ({ displayName, byStatus: entry.byStatus, pendingByAge: ageBucket(entry.pending, nowMs) })),
  };
}

/** The fleet's counters: 512 range queries side by side, whatever the fleet's size. */
export async function readFleetCounters(tables: TableStore, tenantId: string, nowMs: number): Promise<FleetCounters> {
  await backfillCounters(tables, tenantId);
  const [devices, threats] = await Promise.all([readTable(tables, tenantId, 'devices'), readTable(tables, tenantId, 'threats')]);
  return fleetFromCounts(devices, threats, nowMs);
}

/** The tenant's devices by status and by risk level (devices not deactivated), and their total. */
export async function readDeviceCounts(tables: TableStore, tenantId: string): Promise<DeviceCounts> {
  await backfillCounters(tables, tenantId);
  return fleetFromCounts(await readTable(tables, tenantId, 'devices'), {}, 0).devices;
}

// ---- Backfill: counting rows written before the counters existed ----

const stateRowKey = 'counters';
const stateSchema = z.object({ done: z.boolean(), next: z.number().int().default(0) });
/** Tenants this process knows are counted (bounded: a forgotten tenant costs one point read). */
const counted = new Set<string>();
const maxRemembered = 50_000;

/**
 * Counts, once per tenant, the rows written before the counters existed: partition by partition (progress on the
 * `indexHints` row `counters`, so a stopped run resumes), each uncounted device row and `s|` threats row gets its
 * mark (a Merge conditioned on the ETag it was read with) in one transaction with the delta that counts it. A row
 * written meanwhile through the seam is counted by that write instead (its ETag moved: the mark is skipped).
 */
export async function backfillCounters(tables: TableStore, tenantId: string): Promise<void> {
  const memo = `${tables.physicalName('indexHints')}|${tenantId}`;
  if (counted.has(memo)) return;
  const hints = tables.table('indexHints');
  const state = await readEntity(hints, stateSchema, tenantId, stateRowKey);
  if (state?.done) {
    remember(memo);
    return;
  }
  let next = state?.next ?? 0;
  let etag = state?.etag;
  while (next < credentialedDeviceBuckets.length) {
    const batch = credentialedDeviceBuckets.slice(next, next + 16);
    await mapLimit(batch, 16, (bucket) => countPartition(tables, `${tenantId}|${bucket}`));
    next += batch.length;
    const entity = { partitionKey: tenantId, rowKey: stateRowKey, done: next >= credentialedDeviceBuckets.length, next };
    try {
      etag = etag ? (await hints.updateEntity(entity, 'Replace', { etag })).etag : (await hints.createEntity(entity)).etag;
    } catch (error) {
      const status = statusOf(error);
      if (status !== 412 && status !== 409) throw error;
      // Another reader is counting too; counting a partition twice marks nothing twice, so carry on from its row.
      const fresh = await readEntity(hints, stateSchema, tenantId, stateRowKey);
      if (fresh?.done) break;
      etag = fresh?.etag;
    }
  }
  remember(memo);
}

function remember(memo: string): void {
  if (counted.size >= maxRemembered) counted.clear();
  counted.add(memo);
}

const markSchema = z.object({ rowKey: z.string(), etag: z.string(), counted: z.number().optional() });
const threatIndexSchema = z.object({ deviceId: z.string(), classification: z.string() });

async function submitMarks(tables: TableStore, table: 'devices' | 'threats', partitionKey: string, marks: { rowKey: string; etag: string; delta: CounterDelta; deviceId: string }[], prefix: string, at: Date): Promise<void> {
  for (let start = 0; start < marks.length; start += 50) {
    const chunk = marks.slice(start, start + 50);
    const delta: CounterDelta = {};
    for (const mark of chunk) addInto(delta, mark.delta);
    const actions: TransactionAction[] = chunk.map((mark): TransactionAction => ['update', { partitionKey, rowKey: mark.rowKey, counted: countedMark }, 'Merge', { etag: mark.etag }]);
    if (Object.keys(delta).length > 0) actions.push(['create', { partitionKey, rowKey: deltaRowKey(prefix, chunk[0]?.deviceId ?? '', at), d: JSON.stringify(delta) }]);
    try {
      await tables.table(table).submitTransaction(actions);
    } catch (error) {
      const status = statusOf(error);
      if (status !== 412 && status !== 404 && status !== 409) throw error;
      // A row in the chunk was written meanwhile (and so counted by that write): mark the others one by one.
      for (const mark of chunk) {
        const single: TransactionAction[] = [['update', { partitionKey, rowKey: mark.rowKey, counted: countedMark }, 'Merge', { etag: mark.etag }]];
        if (Object.keys(mark.delta).length > 0) single.push(['create', { partitionKey, rowKey: deltaRowKey(prefix, mark.deviceId, at), d: JSON.stringify(mark.delta) }]);
        await tables
          .table(table)
          .submitTransaction(single)
          .catch((caught: unknown) => {
            const code = statusOf(caught);
            if (code !== 412 && code !== 404 && code !== 409) throw caught;
          });
      }
    }
  }
}

async function countPartition(tables: TableStore, partitionKey: string): Promise<void> {
  const at = new Date();
  const deviceMarks: { rowKey: string; etag: string; delta: CounterDelta; deviceId: string }[] = [];
  for await (const raw of tables.table('devices').listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey lt ${'~'}` } })) {
    const mark = markSchema.safeParse(raw);
    if (!mark.success || mark.data.counted === countedMark) continue;
    const device = deviceFromEntity(raw);
    deviceMarks.push({ rowKey: mark.data.rowKey, etag: mark.data.etag, delta: deviceContribution(device), deviceId: device.deviceId });
  }
  await submitMarks(tables, 'devices', partitionKey, deviceMarks, deviceDeltaPrefix, at);

  const threats = tables.table('threats');
  const open = new Map<string, { classification: string }[]>();
  for await (const raw of threats.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${'c|'} and RowKey lt ${'c}'}`, select: ['deviceId', 'classification'] } })) {
    const row = threatIndexSchema.safeParse(raw);
    if (!row.success) continue;
    const list = open.get(row.data.deviceId) ?? [];
    list.push({ classification: row.data.classification });
    open.set(row.data.deviceId, list);
  }
  const threatMarks: { rowKey: string; etag: string; delta: CounterDelta; deviceId: string }[] = [];
  for await (const raw of threats.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${'s|'} and RowKey lt ${'s}'}`, select: ['RowKey', 'counted'] } })) {
    const mark = markSchema.safeParse(raw);
    if (!mark.success || mark.data.counted === countedMark) continue;
    const deviceId = mark.data.rowKey.slice(2);
    threatMarks.push({ rowKey: mark.data.rowKey, etag: mark.data.etag, delta: threatContribution(open.get(deviceId) ?? []), deviceId });
  }
  await submitMarks(tables, 'threats', partitionKey, threatMarks, threatDeltaPrefix, at);
}

/** For tests: forget which tenants this process knows are counted. */
export function forgetCountedTenants(): void {
  counted.clear();
}

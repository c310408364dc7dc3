/**
 * A tenant's device counters (docs/DATA-MODEL.md, "Device counters"): devices by status and by risk level, per
 * enrollment group by status, pending devices by when their wait began, and open threats by classification, read
 * without reading the devices.
 *
 * No write ever reads a counter: a write that changes what a device counts as adds, in the same entity group
 * transaction as the device row (the device-write seam, sidecar.ts) or the threat batch (threatStore.ts), a **delta
 * row** with a unique key in the device's own partition. So counters never become a row that concurrent writers
 * queue on, and a delta exists exactly when its change committed. Each partition also holds a **sum row**, into which
 * a rollup build folds the partition's older deltas (one transaction: the sum with its ETag, the deltas deleted); a
 * fold racing another loses its ETag and changes nothing.
 *
 * - `devices`: sum `~n!`, deltas `~n|{13-digit ms}|{deviceId}|{random}`, field `d` (JSON `{ key: ±n }`).
 * - `threats`: sum `n!`, deltas `n|{13-digit ms}|{deviceId}|{random}`, the same fields.
 *
 * Reading 256 partitions per table on every summary costs 512 queries; so the tenant keeps a **rollup** (`indexHints`
 * row `counters|rollup`): every partition's sum and deltas older than its watermark `w`, built by the hourly tenant
 * job (and by a read that finds it missing or far behind). A read is one point read of the rollup plus one query per
 * table for the deltas since `w` (a RowKey range over the tenant's partitions). Partition folds fold only deltas
 * older than the rollup's watermark, and the rollup's watermark only moves forward (ETag), so the rollup and the
 * deltas since it never hold a change twice or miss one. The watermark trails the build by `settleMs`, so a write
 * whose transaction commits a little after the time in its delta's key is still read as "since".
 *
 * Each pending device also has an **activation-wait row** `~w|{13-digit ms it became pending}|{deviceId}` in its
 * partition (fields `deviceId`, `sent`: activation reminders mailed, `lastSentAt`), written with the counters: the
 * activation reminders (shared/mail/activationReminders.ts) read the devices pending longer than a cutoff as one
 * RowKey range per partition, and keep their count on that row.
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

/**
 * The mark a counted device row carries: 2 (its contribution has the trust keys and, while pending, its activation-wait
 * row exists). Rows marked 1 were counted before those existed: their contribution lacks both (`legacyContribution`),
 * and the backfill upgrades them.
 */
export const countedMark = 2;
const legacyCountedMark = 1;
/** The mark a counted `s|` threats row carries (threatRows.ts). */
export const threatCountedMark = 1;


const deviceDeltaPrefix = '~n|';

const threatDeltaPrefix = 'n|';

const minuteMs = 60_000;

function pendingSinceMinute(device: Pick<Device, 'statusChangedAt' | 'discoveredAt'>): number {
  return Math.floor(pendingSinceMs(device) / minuteMs) * minuteMs;
}

/** Whether the device has activated and not been deactivated since: the devices whose trust the summary counts. */
function activated(device: Pick<Device, 'status'>): boolean {
  return device.status === 'active' || device.status === 'disconnected';
}

/**
 * What one device counts as: `total`, `s|{status}`, `r|{risk}` (devices not deactivated), `g|{group}|{status}` per
 * enrollment group, for a pending device `p|{minute its wait began}` and `gp|{group}|{minute}`, and for an activated
 * one (active or disconnected) `k|bound` or `k|unbound` (its credential bound to a device key or not) and
 * `a|{attestation status}` (`absent` for a device activated before attestation was checked).
 */
export function deviceContribution(device: Device): CounterDelta {
  const counts = legacyContribution(device);
  if (activated(device)) {
    counts[device.keyThumbprint ? 'k|bound' : 'k|unbound'] = 1;
    counts[`a|${device.attestationStatus ?? 'absent'}`] = 1;
  }
  return counts;
}

/** What a row marked `legacyCountedMark` was counted as: the contribution without the trust keys. */
function legacyContribution(device: Device): CounterDelta {
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

/** What a stored row was counted as, by its mark. */
function countedContribution(device: Device): CounterDelta {
  if (device.counted === countedMark) return deviceContribution(device);
  if (device.counted === legacyCountedMark) return legacyContribution(device);
  return {};
}

export const activationWaitPrefix = '~w|';

/** When a pending device's wait began (ms): when it became pending, else when it was found. */
export function pendingSinceMs(device: Pick<Device, 'statusChangedAt' | 'discoveredAt'>): number {
  const ms = Date.parse(device.statusChangedAt || device.discoveredAt);
  return Number.isNaN(ms) ? 0 : ms;
}

/** The activation-wait RowKey of a pending device. */
export function activationWaitKey(device: Pick<Device, 'deviceId' | 'statusChangedAt' | 'discoveredAt'>): string {
  return `${activationWaitPrefix}${indexTime(pendingSinceMs(device))}|${device.deviceId}`;
}

/** The activation-wait row a stored row has: only a pending row marked with the current mark is sure to have it. */
function storedWaitKey(device: Device | undefined): string | undefined {
  return device && device.counted === countedMark && device.status === 'pending' ? activationWaitKey(device) : undefined;
}

function waitEntity(device: Device): { partitionKey: string; rowKey: string; deviceId: string; sent: number } {
  return { partitionKey: devicePartitionKey(device.tenantId, device.deviceId), rowKey: activationWaitKey(device), deviceId: device.deviceId, sent: 0 };
}

/**
 * The counter actions for one device-row change (sidecar.ts): a `create` of a delta row when what the device counts
 * as changes (most writes change nothing), and the activation-wait row's create or delete when the device starts or
 * stops waiting (a wait that goes on keeps its row, and so its reminder count). A `before` without the mark counts
 * as nothing, so its first write through the seam counts it whole.
 */
export function deviceCounterActions(before: Device | undefined, after: Device | undefined, at: Date): TransactionAction[] {
  const device = after ?? before;
  if (!device) return [];
  const partitionKey = devicePartitionKey(device.tenantId, device.deviceId);
  const actions: TransactionAction[] = [];
  const delta = subtractCounts(after ? deviceContribution(after) : {}, before ? countedContribution(before) : {});
  if (Object.keys(delta).length > 0) {
    actions.push(['create', { partitionKey, rowKey: deltaRowKey(deviceDeltaPrefix, device.deviceId, at), d: JSON.stringify(delta) }]);
  }
  const oldWait = storedWaitKey(before);
  const newWait = after && after.status === 'pending' ? activationWaitKey(after) : undefined;
  if (oldWait !== undefined && oldWait !== newWait) actions.push(['delete', { partitionKey, rowKey: oldWait }]);
  if (after && newWait !== undefined && newWait !== oldWait) actions.push(['upsert', waitEntity(after), 'Replace']);
  return actions;
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

const rowSchema = z.object({ partitionKey: z.string(), rowKey: z.string(), d: z.string().optional() });

type CounterTable = 'devices' | 'threats';

const deltaPrefixes: Readonly<Record<CounterTable, string>> = { devices: deviceDeltaPrefix, threats: threatDeltaPrefix };

/** The first key after every delta of a prefix (`~n|` → `~n}`). */
function deltaUpper(prefix: string): string {
  return `${prefix.slice(0, -1)}}`;
}

// ---- The rollup: the tenant's folded counts, one point read ----

const rollupRowKey = 'counters|rollup';
/** At most this many deltas are folded by one build (the keys it covers must fit in the rollup row). */
export const maxFoldPerBuild = 5_000;
/** A read that finds more deltas than this builds the rollup again (after answering from them). */
export const rebuildAfterDeltas = 1_000;
/** Table Storage keeps at most 64 KiB in one string property: long JSON is split over several. */
const chunkChars = 30_000;

interface Rollup {
  readonly devices: CounterDelta;
  readonly threats: CounterDelta;
  /** Deltas already in the counts but not deleted yet (`{table}/{PartitionKey}/{RowKey}`): readers skip them. */
  readonly covers: ReadonlySet<string>;
  readonly etag: string;
}

const emptyRollup: Omit<Rollup, 'etag'> = { devices: {}, threats: {}, covers: new Set() };

function joinChunks(raw: Readonly<Record<string, unknown>>, name: string): string | undefined {
  let text = '';
  for (let index = 0; ; index += 1) {
    const part = raw[`${name}${index}`];
    if (typeof part !== 'string') return index === 0 ? undefined : text;
    text += part;
  }
}

function chunked(name: string, text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let index = 0; index === 0 || index * chunkChars < text.length; index += 1) fields[`${name}${index}`] = text.slice(index * chunkChars, (index + 1) * chunkChars);
  return fields;
}

const coversSchema = z.array(z.string());

function parseCovers(text: string | undefined): Set<string> {
  if (!text) return new Set();
  try {
    const parsed = coversSchema.safeParse(JSON.parse(text));
    return new Set(parsed.success ? parsed.data : []);
  } catch {
    return new Set();
  }
}

async function readRollup(tables: TableStore, tenantId: string): Promise<Rollup | undefined> {
  try {
    const raw: Readonly<Record<string, unknown>> = await tables.table('indexHints').getEntity(tenantId, rollupRowKey);
    if (typeof raw.etag !== 'string') return undefined;
    return { devices: parseCounts(joinChunks(raw, 'dv')), threats: parseCounts(joinChunks(raw, 'th')), covers: parseCovers(joinChunks(raw, 'cv')), etag: raw.etag };
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** Writes the rollup under the ETag it was read with (a create when there was none); false when another build won. */
async function writeRollup(tables: TableStore, tenantId: string, next: Omit<Rollup, 'etag'>, previous: Rollup | undefined, at: Date): Promise<boolean> {
  const entity = {
    partitionKey: tenantId,
    rowKey: rollupRowKey,
    builtAt: at.toISOString(),
    ...chunked('dv', JSON.stringify(next.devices)),
    ...chunked('th', JSON.stringify(next.threats)),
    ...chunked('cv', JSON.stringify([...next.covers])),
  };
  const hints = tables.table('indexHints');
  try {
    if (previous) await hints.updateEntity(entity, 'Replace', { etag: previous.etag });
    else await hints.createEntity(entity);
    return true;
  } catch (error) {
    const status = statusOf(error);
    if (status === 412 || status === 409) return false;
    throw error;
  }
}

interface DeltaRow {
  readonly table: CounterTable;
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly counts: CounterDelta;
}

function coverKey(row: Pick<DeltaRow, 'table' | 'partitionKey' | 'rowKey'>): string {
  return `${row.table}/${row.partitionKey}/${row.rowKey}`;
}

/** Every delta row of one table of the tenant: one query (a RowKey range over the tenant's partitions). */
async function* deltaRows(tables: TableStore, tenantId: string, table: CounterTable): AsyncGenerator<DeltaRow> {
  const prefix = deltaPrefixes[table];
  const filter = odata`PartitionKey ge ${`${tenantId}|`} and PartitionKey lt ${`${tenantId}}`} and RowKey ge ${prefix} and RowKey lt ${deltaUpper(prefix)}`;
  for await (const raw of tables.table(table).listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey', 'd'] } })) {
    const row = rowSchema.safeParse(raw);
    if (row.success) yield { table, partitionKey: row.data.partitionKey, rowKey: row.data.rowKey, counts: parseCounts(row.data.d) };
  }
}

async function deleteDeltas(tables: TableStore, rows: readonly DeltaRow[]): Promise<Set<string>> {
  const deleted = new Set<string>();
  const byPartition = new Map<string, DeltaRow[]>();
  for (const row of rows) {
    const key = `${row.table}/${row.partitionKey}`;
    const list = byPartition.get(key) ?? [];
    list.push(row);
    byPartition.set(key, list);
  }
  const chunks: DeltaRow[][] = [];
  for (const list of byPartition.values()) for (let start = 0; start < list.length; start += 100) chunks.push(list.slice(start, start + 100));
  await mapLimit(chunks, 16, async (chunk) => {
    const first = chunk[0];
    if (!first) return;
    try {
      await tables.table(first.table).submitTransaction(chunk.map((row): TransactionAction => ['delete', { partitionKey: row.partitionKey, rowKey: row.rowKey }]));
      for (const row of chunk) deleted.add(coverKey(row));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      // Another build deleted some of them: one by one, a missing row counts as deleted.
      for (const row of chunk) {
        await tables
          .table(row.table)
          .deleteEntity(row.partitionKey, row.rowKey)
          .catch((caught: unknown) => {
            if (statusOf(caught) !== 404) throw caught;
          });
        deleted.add(coverKey(row));
      }
    }
  });
  return deleted;
}

/**
 * Folds the tenant's deltas into its rollup, so reads find few: (1) reads every delta (one query per table) and
 * writes the rollup with their sum added and their keys as `covers` (under the ETag it read: a lost race stops here);
 * (2) deletes those deltas; (3) takes the deleted keys out of `covers`. At every step, the rollup plus the deltas
 * present that it does not cover is exactly the tenant's counts. At most `maxFoldPerBuild` deltas per round.
 */
export async function buildCounterRollup(tables: TableStore, tenantId: string, at: Date = new Date()): Promise<{ folded: number }> {
  let folded = 0;
  // Rounds of at most `maxFoldPerBuild` (a first discovery leaves one delta per device), up to 5 minutes' work
  // (a job's run may take 10); what is left waits for the next build.
  const until = Date.now() + 5 * 60_000;
  for (;;) {
    const round = await foldRound(tables, tenantId, at);
    folded += round.folded;
    if (round.folded < maxFoldPerBuild || Date.now() > until) return { folded };
  }
}

async function foldRound(tables: TableStore, tenantId: string, at: Date): Promise<{ folded: number }> {
  const previous = await readRollup(tables, tenantId);
  const base = previous ?? { ...emptyRollup, etag: '' };
  const devices: CounterDelta = { ...base.devices };
  const threats: CounterDelta = { ...base.threats };
  const covers = new Set(base.covers);
  const folded: DeltaRow[] = [];
  for (const table of ['devices', 'threats'] as const) {
    for await (const row of deltaRows(tables, tenantId, table)) {
      if (folded.length >= maxFoldPerBuild) break;
      const key = coverKey(row);
      if (covers.has(key)) continue;
      covers.add(key);
      addInto(table === 'devices' ? devices : threats, row.counts);
      folded.push(row);
    }
  }
  // Deltas an earlier build covered but did not delete (it stopped half-way) are deleted now too.
  const stale = [...base.covers];
  if (folded.length === 0 && stale.length === 0) return { folded: 0 };
  if (folded.length > 0 && !(await writeRollup(tables, tenantId, { devices, threats, covers }, previous, at))) return { folded: 0 };
  const staleRows = stale.flatMap((key): DeltaRow[] => {
    const [table, partitionKey, ...rest] = key.split('/');
    return table === 'devices' || table === 'threats' ? [{ table, partitionKey: partitionKey ?? '', rowKey: rest.join('/'), counts: {} }] : [];
  });
  const deleted = await deleteDeltas(tables, [...folded, ...staleRows]);
  // Take the deleted keys out of the covers, under the ETag (another build may have written meanwhile: re-read).
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const current = await readRollup(tables, tenantId);
    if (!current) break;
    const remaining = new Set([...current.covers].filter((key) => !deleted.has(key)));
    if (remaining.size === current.covers.size) break;
    if (await writeRollup(tables, tenantId, { devices: current.devices, threats: current.threats, covers: remaining }, current, at)) break;
  }
  return { folded: folded.length };
}

/** Builds in flight in this process, so a burst of reads starts one. */
const building = new Map<string, Promise<{ folded: number }>>();

function buildOnce(tables: TableStore, tenantId: string): Promise<{ folded: number }> {
  const key = `${tables.physicalName('indexHints')}|${tenantId}`;
  let pending = building.get(key);
  if (!pending) {
    pending = buildCounterRollup(tables, tenantId).finally(() => building.delete(key));
    building.set(key, pending);
  }
  return pending;
}

/**
 * The tenant's summed counters: the rollup (none yet: zero) plus every delta it does not cover, one query per table.
 * A read that finds many deltas starts a build without waiting for it (this answer is complete already).
 */
async function readTotals(tables: TableStore, tenantId: string, tablesWanted: readonly CounterTable[]): Promise<Record<CounterTable, CounterDelta>> {
  await backfillCounters(tables, tenantId);
  const rollup = (await readRollup(tables, tenantId)) ?? emptyRollup;
  const totals: Record<CounterTable, CounterDelta> = { devices: {}, threats: {} };
  let rows = 0;
  await Promise.all(
    tablesWanted.map(async (table) => {
      addInto(totals[table], rollup[table]);
      for await (const row of deltaRows(tables, tenantId, table)) {
        if (rollup.covers.has(coverKey(row))) continue;
        rows += 1;
        addInto(totals[table], row.counts);
      }
    }),
  );
  if (rows > rebuildAfterDeltas) buildOnce(tables, tenantId).catch(() => undefined);
  return totals;
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

/** Activated devices (active or disconnected) by key binding and by their last activation's attestation verdict. */
export interface TrustCounts {
  readonly keyBound: number;
  readonly notKeyBound: number;
  readonly attestation: { readonly verified: number; readonly failed: number; readonly absent: number; readonly notChecked: number };
}

export interface FleetCounters {
  readonly devices: DeviceCounts;
  readonly trust: TrustCounts;
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
  const trust = { keyBound: 0, notKeyBound: 0, attestation: { verified: 0, failed: 0, absent: 0, notChecked: 0 } };
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
    else if (key === 'k|bound') trust.keyBound += n;
    else if (key === 'k|unbound') trust.notKeyBound += n;
    else if (kind === 'a') {
      const verdict = rest === 'not-checked' ? 'notChecked' : rest;
      if (verdict === 'verified' || verdict === 'failed' || verdict === 'absent' || verdict === 'notChecked') trust.attestation[verdict] += n;
    } else if (kind === 'p') pending.set(Number(rest), (pending.get(Number(rest)) ?? 0) + n);
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
    trust,
    openThreats: { byClassification },
    pendingByAge: ageBucket(pending, nowMs),
    groups: [...groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([displayName, entry]) => ({ displayName, byStatus: entry.byStatus, pendingByAge: ageBucket(entry.pending, nowMs) })),
  };
}

/** The fleet's counters: the rollup's point read and one query per table for the deltas since it, whatever the fleet's size. */
export async function readFleetCounters(tables: TableStore, tenantId: string, nowMs: number): Promise<FleetCounters> {
  const totals = await readTotals(tables, tenantId, ['devices', 'threats']);
  return fleetFromCounts(totals.devices, totals.threats, nowMs);
}

/** The tenant's devices by status and by risk level (devices not deactivated), and their total. */
export async function readDeviceCounts(tables: TableStore, tenantId: string): Promise<DeviceCounts> {
  return fleetFromCounts((await readTotals(tables, tenantId, ['devices'])).devices, {}, 0).devices;
}

// ---- Backfill: counting rows written before the counters existed ----

const stateRowKey = 'counters';
/** `layout`: the device mark the backfill brought every row to (absent: the first layout, `legacyCountedMark`). */
const stateSchema = z.object({ done: z.boolean(), next: z.number().int().default(0), layout: z.number().int().optional() });
/** Tenants this process knows are counted (bounded: a forgotten tenant costs one point read). */
const counted = new Set<string>();
const maxRemembered = 50_000;

/**
 * Counts, once per tenant and layout, the rows not counted with the current mark: partition by partition (progress
 * on the `indexHints` row `counters`, so a stopped run resumes), each device row without the current mark gets it (a
 * Merge conditioned on the ETag it was read with) in one transaction with the delta from what it was counted as
 * (nothing, or the first layout's contribution) and, while pending, its activation-wait row; each uncounted `s|`
 * threats row likewise. A row written meanwhile through the seam is counted by that write instead (its ETag moved:
 * the mark is skipped).
 */
export async function backfillCounters(tables: TableStore, tenantId: string): Promise<void> {
  const memo = `${tables.physicalName('indexHints')}|${tenantId}`;
  if (counted.has(memo)) return;
  const hints = tables.table('indexHints');
  const state = await readEntity(hints, stateSchema, tenantId, stateRowKey);
  if (state?.done && state.layout === countedMark) {
    remember(memo);
    return;
  }
  let next = state && state.layout === countedMark ? state.next : 0;
  let etag = state?.etag;
  while (next < credentialedDeviceBuckets.length) {
    const batch = credentialedDeviceBuckets.slice(next, next + 16);
    await mapLimit(batch, 16, (bucket) => countPartition(tables, `${tenantId}|${bucket}`));
    next += batch.length;
    const entity = { partitionKey: tenantId, rowKey: stateRowKey, done: next >= credentialedDeviceBuckets.length, next, layout: countedMark };
    try {
      etag = etag ? (await hints.updateEntity(entity, 'Replace', { etag })).etag : (await hints.createEntity(entity)).etag;
    } catch (error) {
      const status = statusOf(error);
      if (status !== 412 && status !== 409) throw error;
      // Another reader is counting too; counting a partition twice marks nothing twice, so carry on from its row.
      const fresh = await readEntity(hints, stateSchema, tenantId, stateRowKey);
      if (fresh?.done && fresh.layout === countedMark) break;
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

interface Mark {
  readonly rowKey: string;
  readonly etag: string;
  readonly delta: CounterDelta;
  readonly deviceId: string;
  /** Rows to write with the mark (the activation-wait row of a pending device). */
  readonly extra: readonly TransactionAction[];
}

function markActions(partitionKey: string, mark: Mark, value: number): TransactionAction[] {
  return [['update', { partitionKey, rowKey: mark.rowKey, counted: value }, 'Merge', { etag: mark.etag }], ...mark.extra];
}

async function submitMarks(tables: TableStore, table: CounterTable, partitionKey: string, marks: readonly Mark[], value: number, at: Date): Promise<void> {
  const prefix = deltaPrefixes[table];
  for (let start = 0; start < marks.length; start += 45) {
    const chunk = marks.slice(start, start + 45);
    const delta: CounterDelta = {};
    for (const mark of chunk) addInto(delta, mark.delta);
    const actions: TransactionAction[] = chunk.flatMap((mark) => markActions(partitionKey, mark, value));
    if (Object.keys(delta).length > 0) actions.push(['create', { partitionKey, rowKey: deltaRowKey(prefix, chunk[0]?.deviceId ?? '', at), d: JSON.stringify(delta) }]);
    try {
      await tables.table(table).submitTransaction(actions);
    } catch (error) {
      const status = statusOf(error);
      if (status !== 412 && status !== 404 && status !== 409) throw error;
      // A row in the chunk was written meanwhile (and so counted by that write): mark the others one by one.
      for (const mark of chunk) {
        const single = markActions(partitionKey, mark, value);
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
  const deviceMarks: Mark[] = [];
  for await (const raw of tables.table('devices').listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey lt ${'~'}` } })) {
    const mark = markSchema.safeParse(raw);
    if (!mark.success || mark.data.counted === countedMark) continue;
    const device = deviceFromEntity(raw);
    deviceMarks.push({
      rowKey: mark.data.rowKey,
      etag: mark.data.etag,
      delta: subtractCounts(deviceContribution(device), countedContribution(device)),
      deviceId: device.deviceId,
      extra: device.status === 'pending' ? [['upsert', waitEntity(device), 'Replace']] : [],
    });
  }
  await submitMarks(tables, 'devices', partitionKey, deviceMarks, countedMark, at);

  const threats = tables.table('threats');
  const open = new Map<string, { classification: string }[]>();
  for await (const raw of threats.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${'c|'} and RowKey lt ${'c}'}`, select: ['deviceId', 'classification'] } })) {
    const row = threatIndexSchema.safeParse(raw);
    if (!row.success) continue;
    const list = open.get(row.data.deviceId) ?? [];
    list.push({ classification: row.data.classification });
    open.set(row.data.deviceId, list);
  }
  const threatMarks: Mark[] = [];
  for await (const raw of threats.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${'s|'} and RowKey lt ${'s}'}`, select: ['RowKey', 'counted'] } })) {
    const mark = markSchema.safeParse(raw);
    if (!mark.success || mark.data.counted === threatCountedMark) continue;
    const deviceId = mark.data.rowKey.slice(2);
    threatMarks.push({ rowKey: mark.data.rowKey, etag: mark.data.etag, delta: threatContribution(open.get(deviceId) ?? []), deviceId, extra: [] });
  }
  await submitMarks(tables, 'threats', partitionKey, threatMarks, threatCountedMark, at);
}

/** For tests: forget which tenants this process knows are counted. */
export function forgetCountedTenants(): void {
  counted.clear();
}



/** Whether an action is the `create` of a device delta row (as `deviceCounterActions` makes). */
export function isDeviceDelta(action: TransactionAction): boolean {
  return action[0] === 'create' && typeof action[1].rowKey === 'string' && action[1].rowKey.startsWith(deviceDeltaPrefix);
}

/**
 * The actions of one partition's transaction with its device delta rows summed into one (at the first one's place,
 * under its key); nothing when they cancel out. For writers that put many devices in one transaction (discovery): the
 * counts are the same, one entity instead of one per device.
 */
export function sumDeviceDeltas(actions: readonly TransactionAction[]): TransactionAction[] {
  const total: CounterDelta = {};
  let carrier: number | undefined;
  const result: TransactionAction[] = [];
  for (const action of actions) {
    if (!isDeviceDelta(action)) {
      result.push(action);
      continue;
    }
    addInto(total, parseCounts(action[1].d));
    if (carrier === undefined) {
      carrier = result.length;
      result.push(action);
    }
  }
  if (carrier === undefined) return result;
  const first = result[carrier];
  if (!first || Object.keys(total).length === 0) return result.filter((_action, index) => index !== carrier);
  result[carrier] = ['create', { partitionKey: first[1].partitionKey, rowKey: first[1].rowKey, d: JSON.stringify(total) }];
  return result;
}

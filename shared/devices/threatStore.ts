/**
 * A device's threats in the `threats` table, in the device's partition (`devicePartitionKey`, the same as its
 * device row: the tenant and the first two characters of the device id):
 * - `t|{deviceId}|{threatId}`: one row per threat ever reported, with first-seen, last-seen and resolved-at history;
 * - `c|{classification}|{deviceId}|{threatId}`: present while the threat is open (the re-grade index);
 * - `s|{deviceId}`: the device's report sequence (last applied sequence, recent report ids, credential session), the
 *   hash of the device's current credential (`''` once revoked), and how many of its threats are open
 *   (`openThreats`, written in the same batch as the threat rows it counts, so it is never out of step with them).
 *
 * Ordering: every batch that changes a device's threat rows also updates its `s|` row conditioned on the ETag
 * read together with the threat rows it was computed from (the `s|` row first, then the threat rows). A batch is
 * atomic, so a snapshot is only written if nothing was written for the device since it was read, and a batch
 * only commits with a sequence above the last one committed: threat rows always reflect the highest sequence
 * applied, whatever the order in which concurrent reports arrive, on any number of instances.
 *
 * Fast path: the state a batch leaves behind (rows and the `s|` ETag) is kept per instance, so the next report
 * of the device needs no read; a stale copy (another instance wrote) fails its ETag and is reloaded.
 *
 * Credential: every change that ends a credential (re-activation, deactivation) writes the `s|` row first
 * (`startCredentialSession`, `revokeCredentials`). A report's batch is conditioned on the `s|` ETag it checked
 * the credential against, so a report commits only while its credential is still the device's current one; this
 * is what lets an instance accept a report it has the state for with that single write (see deviceAuth.ts).
 */
import { odata, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import {
  applySnapshot,
  classificationSchema,
  isOpen,
  type Classification,
  type ReportedThreat,
  type SnapshotResult,
  type StoredThreat,
} from '../domain/index.js';
import { statusOf } from '../base/errors.js';
import { ConcurrencyExhausted } from '../storage/errors.js';
import { submitInBatches } from '../storage/batch.js';
import { readEntity } from '../storage/entities.js';
import { encodeKey } from '../storage/keys.js';
import { mapLimit } from '../base/mapLimit.js';
import type { TableStore } from '../storage/tableStore.js';
import { credentialSession } from './credential.js';
import { devicePartitionKey } from './device.js';
import { recentReportIdsKept } from './schemas.js';
import type { ServiceEvent } from '../events/event.js';
import { outboxEntity } from '../events/outboxRow.js';

export const threatRowKey = (deviceId: string, threatId: string): string => `t|${deviceId}|${encodeKey(threatId)}`;
export const threatIndexRowKey = (classification: Classification, deviceId: string, threatId: string): string =>
  `c|${classification}|${deviceId}|${encodeKey(threatId)}`;
export const sequenceRowKey = (deviceId: string): string => `s|${deviceId}`;

/** Most operations in one entity group transaction. */
const batchLimit = 100;
const maxAttempts = 10;

export interface SequenceMarker {
  /** Undefined while the row does not exist. */
  readonly etag: string | undefined;
  readonly lastSequence: number;
  readonly recentReportIds: readonly string[];
  /** The credential generation the sequence belongs to (a re-activated agent starts its sequence again). */
  readonly session: string;
  /**
   * SHA-256 (hex) of the device's current credential; `''` when revoked; undefined on a row written before
   * credentials were recorded here (the device row then decides alone).
   */
  readonly credentialHash?: string | undefined;
}

export interface DeviceThreatState {
  readonly marker: SequenceMarker;
  /** Every stored threat row of the device, open and resolved. */
  readonly threats: readonly StoredThreat[];
  /**
   * The `s|` row as it was when this state was read from storage: every batch after it was written through this
   * cache (a batch by anyone else changes the ETag, and the state is then read again).
   */
  readonly loaded: { readonly sequence: number; readonly session: string };
}

const threatEntitySchema = z.object({
  threatId: z.string(),
  classification: classificationSchema,
  name: z.string().optional(),
  packageName: z.string().optional(),
  detectedAt: z.string(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  resolvedAt: z.string().optional(),
});

const markerEntitySchema = z.object({
  etag: z.string(),
  // A row made by a revocation alone has no sequence yet.
  lastSequence: z.number().int().default(-1),
  recentReportIds: z
    .string()
    .default('[]')
    .transform((text) => {
      const parsed = z.array(z.string()).safeParse(safeJson(text));
      return parsed.success ? parsed.data : [];
    }),
  session: z.string().default(''),
  credentialHash: z.string().optional(),
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const noMarker: SequenceMarker = { etag: undefined, lastSequence: -1, recentReportIds: [], session: '' };

/** Reads the `s|` row, then the threat rows (in that order: the ETag must not be newer than the rows). */
export async function loadThreatState(tables: TableStore, tenantId: string, deviceId: string): Promise<DeviceThreatState> {
  const table = tables.table('threats');
  let marker = noMarker;
  try {
    const parsed = markerEntitySchema.safeParse(await table.getEntity(devicePartitionKey(tenantId, deviceId), sequenceRowKey(deviceId)));
    if (parsed.success) marker = parsed.data;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
  const threats = await listDeviceThreats(tables, tenantId, deviceId);
  return { marker, threats, loaded: { sequence: marker.lastSequence, session: marker.session } };
}

/** Every threat row of a device (open and resolved), in RowKey order. */
export async function listDeviceThreats(tables: TableStore, tenantId: string, deviceId: string): Promise<StoredThreat[]> {
  const threats: StoredThreat[] = [];
  const low = `t|${deviceId}|`;
  const high = `t|${deviceId}}`;
  const rows = tables.table('threats').listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${devicePartitionKey(tenantId, deviceId)} and RowKey ge ${low} and RowKey lt ${high}` },
  });
  for await (const raw of rows) {
    const parsed = threatEntitySchema.safeParse(raw);
    if (!parsed.success) continue;
    const { name, packageName, resolvedAt, ...rest } = parsed.data;
    const threat: StoredThreat = { ...rest };
    if (name !== undefined) threat.name = name;
    if (packageName !== undefined) threat.packageName = packageName;
    if (resolvedAt !== undefined) threat.resolvedAt = resolvedAt;
    threats.push(threat);
  }
  return threats;
}

function threatEntity(tenantId: string, deviceId: string, threat: StoredThreat): TableEntity {
  const entity: TableEntity<Record<string, unknown>> = {
    partitionKey: devicePartitionKey(tenantId, deviceId),
    rowKey: threatRowKey(deviceId, threat.threatId),
    deviceId,
    threatId: threat.threatId,
    classification: threat.classification,
    detectedAt: threat.detectedAt,
    firstSeenAt: threat.firstSeenAt,
    lastSeenAt: threat.lastSeenAt,
  };
  if (threat.name !== undefined) entity.name = threat.name;
  if (threat.packageName !== undefined) entity.packageName = threat.packageName;
  if (threat.resolvedAt !== undefined) entity.resolvedAt = threat.resolvedAt;
  return entity;
}

function indexEntity(tenantId: string, deviceId: string, threat: StoredThreat): TableEntity {
  return {
    partitionKey: devicePartitionKey(tenantId, deviceId),
    rowKey: threatIndexRowKey(threat.classification, deviceId, threat.threatId),
    deviceId,
    threatId: threat.threatId,
    classification: threat.classification,
  };
}

interface Plan {
  /** Groups of operations that must commit together (a threat row and its index rows). */
  readonly groups: TransactionAction[][];
  /** Index rows to delete one by one (tolerating absence) after the batches, in the fallback mode. */
  readonly looseDeletes: { partitionKey: string; rowKey: string }[];
}

function plan(
  tenantId: string,
  deviceId: string,
  before: readonly StoredThreat[],
  changed: readonly StoredThreat[],
  deletesInBatch: boolean,
): Plan {
  const previous = new Map(before.map((threat) => [threat.threatId, threat]));
  const groups: TransactionAction[][] = [];
  const looseDeletes: { partitionKey: string; rowKey: string }[] = [];
  for (const after of changed) {
    const prior = previous.get(after.threatId);
    const group: TransactionAction[] = [['upsert', threatEntity(tenantId, deviceId, after), 'Replace']];
    const wasIndexed = prior !== undefined && isOpen(prior);
    const staysSame = wasIndexed && isOpen(after) && prior.classification === after.classification;
    if (wasIndexed && !staysSame) {
      const key = { partitionKey: devicePartitionKey(tenantId, deviceId), rowKey: threatIndexRowKey(prior.classification, deviceId, prior.threatId) };
      if (deletesInBatch) group.push(['delete', key]);
      else looseDeletes.push(key);
    }
    if (isOpen(after) && !staysSame) group.push(['upsert', indexEntity(tenantId, deviceId, after), 'Replace']);
    groups.push(group);
  }
  return { groups, looseDeletes };
}

function markerEntity(
  tenantId: string,
  deviceId: string,
  marker: Omit<SequenceMarker, 'etag'>,
  updatedAt: string,
  openThreats?: number,
): TableEntity {
  const entity: TableEntity<Record<string, unknown>> = {
    partitionKey: devicePartitionKey(tenantId, deviceId),
    rowKey: sequenceRowKey(deviceId),
    deviceId,
    lastSequence: marker.lastSequence,
    recentReportIds: JSON.stringify(marker.recentReportIds),
    session: marker.session,
    updatedAt,
  };
  if (marker.credentialHash !== undefined) entity.credentialHash = marker.credentialHash;
  if (openThreats !== undefined) entity.openThreats = openThreats;
  return entity;
}

/**
 * Starts a new credential session for a device: the `s|` row records the new credential's hash and an empty
 * sequence (merged, so the count of open threats stays with the threat rows it counts). Written before the device
 * row takes the new credential, so the old credential can no longer commit a report from that moment on.
 */
export async function startCredentialSession(
  tables: TableStore,
  cache: ThreatStateCache,
  tenantId: string,
  deviceId: string,
  credentialHash: string,
  now: string,
): Promise<void> {
  cache.delete(threatStateKey(tenantId, deviceId));
  const marker = { lastSequence: -1, recentReportIds: [], session: credentialSession(credentialHash), credentialHash };
  await tables.table('threats').upsertEntity(markerEntity(tenantId, deviceId, marker, now), 'Merge');
}

const openThreatsSchema = z.object({ openThreats: z.number().int().optional() });

/**
 * How many threats are open on each of the given devices of a tenant (0 for a device that never reported), from
 * their `s|` rows: point reads, a few at a time (the console asks for one page of devices).
 */
export async function readOpenThreatCounts(tables: TableStore, tenantId: string, deviceIds: readonly string[]): Promise<Map<string, number>> {
  const table = tables.table('threats');
  const counts = await mapLimit(deviceIds, 16, async (deviceId) => {
    const row = await readEntity(table, openThreatsSchema, devicePartitionKey(tenantId, deviceId), sequenceRowKey(deviceId));
    return row?.openThreats ?? 0;
  });
  return new Map(deviceIds.map((deviceId, index) => [deviceId, counts[index] ?? 0]));
}

/**
 * Revokes the credentials of devices about to be deactivated: their `s|` rows record no credential, so a report
 * already past authentication can no longer commit. Written before the device rows change.
 */
export async function revokeCredentials(tables: TableStore, tenantId: string, deviceIds: readonly string[], now: string): Promise<void> {
  if (deviceIds.length === 0) return;
  const actions = deviceIds.map(
    (deviceId): TransactionAction => ['upsert', { partitionKey: devicePartitionKey(tenantId, deviceId), rowKey: sequenceRowKey(deviceId), deviceId, credentialHash: '', updatedAt: now }, 'Merge'],
  );
  await submitInBatches(tables.table('threats'), actions);
}

export interface ReportInput {
  readonly tenantId: string;
  readonly deviceId: string;
  readonly session: string;
  /** The hash of the credential the report came with. */
  readonly credentialHash: string;
  readonly reportId: string;
  readonly sequence: number;
  readonly threats: readonly ReportedThreat[];
  /** When the snapshot was observed (history times). */
  readonly observedAt: string;
  /** Service time, recorded on the `s|` row. */
  readonly now: string;
  /** Records the report's threat events (`e|` outbox rows) in its first batch: docs/DATA-MODEL.md, "Events". */
  readonly events?: ThreatEventHooks;
}

/** What a report's threat batch needs to record its events. */
export interface ThreatEventHooks {
  /** The events for the threats the report opens and resolves (called again on each attempt). */
  events(change: { readonly opened: readonly StoredThreat[]; readonly resolved: readonly StoredThreat[]; readonly open: readonly StoredThreat[] }): readonly ServiceEvent[];
  /** Called once, before the first batch that holds events is written (write-ahead: the relay's due row). */
  prepare(): Promise<void>;
}

export type ReportOutcome =
  | { readonly applied: false; readonly revoked: boolean }
  | {
      readonly applied: true;
      /** Threats open after the report. */
      readonly open: readonly StoredThreat[];
      /** Threats that were not open before the report and are now. */
      readonly opened: readonly StoredThreat[];
      readonly lastSequence: number;
      /**
       * Every batch for the device after this sequence (in this session; -1 for all) went through this process,
       * whose device writes for them are done: a device row recording at least this sequence cannot be
       * overwritten by an earlier report's result any more.
       */
      readonly ownSince: number;
      /** Events recorded with the report's threat rows (outbox rows to relay). */
      readonly events: number;
    };

/** The per-instance cache of device threat states (bounded; least recently used dropped first). */
export interface ThreatStateCache {
  get(key: string): DeviceThreatState | undefined;
  set(key: string, state: DeviceThreatState): void;
  delete(key: string): void;
}

export function createThreatStateCache(maxEntries = 10_000): ThreatStateCache {
  const entries = new Map<string, DeviceThreatState>();
  return {
    get(key) {
      const state = entries.get(key);
      if (state) {
        entries.delete(key);
        entries.set(key, state);
      }
      return state;
    },
    set(key, state) {
      entries.delete(key);
      entries.set(key, state);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    delete(key) {
      entries.delete(key);
    },
  };
}

export const threatStateKey = (tenantId: string, deviceId: string): string => `${tenantId}|${deviceId}`;

function isConflict(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 409;
}

/**
 * Applies a threat report as the device's complete snapshot, unless its sequence is not above the last applied
 * one (in this credential session) or its report id was seen: then nothing is written.
 * Callers serialise calls per device within the process (see `createKeyedMutex`); across processes the ETag of
 * the `s|` row orders the writes.
 */
export async function applyThreatReport(tables: TableStore, cache: ThreatStateCache, input: ReportInput): Promise<ReportOutcome> {
  const { tenantId, deviceId } = input;
  const key = threatStateKey(tenantId, deviceId);
  const table = tables.table('threats');
  let deletesInBatch = true;
  let prepared = false;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    let state = cache.get(key);
    if (state && !credentialMayCommit(state.marker, input.credentialHash)) {
      // This instance's copy predates a rotation it did not see: read what storage holds now.
      cache.delete(key);
      state = undefined;
    }
    state ??= await loadThreatState(tables, tenantId, deviceId);
    if (!credentialMayCommit(state.marker, input.credentialHash)) return { applied: false, revoked: true };
    const sameSession = state.marker.session === input.session;
    const lastSequence = sameSession ? state.marker.lastSequence : -1;
    const recent = sameSession ? state.marker.recentReportIds : [];
    const ownSince = state.loaded.session === input.session ? state.loaded.sequence : -1;
    if (input.sequence <= lastSequence || recent.includes(input.reportId)) {
      cache.set(key, state);
      return { applied: false, revoked: false };
    }

    const snapshot = coalesceLastSeen(state.threats, applySnapshot(state.threats, input.threats, input.observedAt));
    const { groups, looseDeletes } = plan(tenantId, deviceId, state.threats, snapshot.changed, deletesInBatch);
    const recorded = input.events?.events({ opened: snapshot.opened, resolved: snapshot.resolved, open: snapshot.threats.filter(isOpen) }) ?? [];
    if (recorded.length > 0) {
      // First, so a snapshot too large for one batch still records its events with its first batch.
      groups.unshift(...recorded.map((event): TransactionAction[] => [['create', outboxEntity('threats', devicePartitionKey(tenantId, deviceId), event)]]));
      if (!prepared) {
        await input.events?.prepare();
        prepared = true;
      }
    }
    const nextMarker = {
      lastSequence: input.sequence,
      recentReportIds: [...recent, input.reportId].slice(-recentReportIdsKept),
      session: input.session,
      credentialHash: input.credentialHash,
    };

    const openThreats = snapshot.threats.filter(isOpen).length;
    let etag = state.marker.etag;
    let committed = 0;
    try {
      const batches = chunk(groups, batchLimit - 1);
      if (batches.length === 0) {
        // Nothing but the sequence changes: one single-entity write.
        const marker = markerEntity(tenantId, deviceId, nextMarker, input.now, openThreats);
        const response = etag === undefined ? await table.createEntity(marker) : await table.updateEntity(marker, 'Replace', { etag });
        etag = response.etag;
        committed = 1;
      }
      for (const batch of batches) {
        const marker = markerEntity(tenantId, deviceId, nextMarker, input.now, openThreats);
        const markerAction: TransactionAction = etag === undefined ? ['create', marker] : ['update', marker, 'Replace', { etag }];
        const response = await table.submitTransaction([markerAction, ...batch]);
        committed += 1;
        const markerResponse = response.subResponses.find((sub) => sub.rowKey === marker.rowKey) ?? response.subResponses[0];
        etag = markerResponse?.etag;
      }
    } catch (error) {
      cache.delete(key);
      if (committed > 0) {
        // Part of a very large snapshot was written before another writer took over the device: that writer's
        // snapshot (computed from the rows as they then were) decides the final state.
        return { applied: true, ...openAfter(snapshot.threats, snapshot.opened), ...nextMarker, ownSince, events: recorded.length };
      }
      if (isConflict(error)) {
        await pause(attempt);
        continue;
      }
      if (statusOf(error) === 404 && deletesInBatch) {
        // An index row that should exist did not: write without in-batch deletes and delete loosely afterwards.
        deletesInBatch = false;
        continue;
      }
      throw error;
    }

    for (const row of looseDeletes) {
      await table.deleteEntity(row.partitionKey, row.rowKey).catch((error: unknown) => {
        if (statusOf(error) !== 404) throw error;
      });
    }
    cache.set(key, { marker: { etag, ...nextMarker }, threats: snapshot.threats, loaded: state.loaded });
    return { applied: true, ...openAfter(snapshot.threats, snapshot.opened), ...nextMarker, ownSince, events: recorded.length };
  }
  throw new ConcurrencyExhausted(tables.physicalName('threats'), tenantId, sequenceRowKey(deviceId), maxAttempts);
}

/** Whether a report with this credential may commit against the `s|` row as read (unrecorded: the device row decided). */
function credentialMayCommit(marker: SequenceMarker, credentialHash: string): boolean {
  return marker.credentialHash === undefined || marker.credentialHash === credentialHash;
}

/** Whether the credential is the one this instance last saw recorded on the device's `s|` row. */
export function cachedCredentialIs(cache: ThreatStateCache, tenantId: string, deviceId: string, credentialHash: string): boolean {
  const recorded = cache.get(threatStateKey(tenantId, deviceId))?.marker.credentialHash;
  return recorded !== undefined && recorded !== '' && recorded === credentialHash;
}

/**
 * `lastSeenAt` of a threat still reported is rewritten at most once a minute when nothing else about it changed:
 * an unchanged snapshot then writes only the `s|` row.
 */
export const lastSeenWriteIntervalMs = 60_000;

function onlyLastSeenMoved(before: StoredThreat, after: StoredThreat): boolean {
  const age = new Date(after.lastSeenAt).getTime() - new Date(before.lastSeenAt).getTime();
  return (
    age >= 0 &&
    age < lastSeenWriteIntervalMs &&
    before.resolvedAt === undefined &&
    after.resolvedAt === undefined &&
    before.classification === after.classification &&
    before.name === after.name &&
    before.packageName === after.packageName &&
    before.detectedAt === after.detectedAt &&
    before.firstSeenAt === after.firstSeenAt
  );
}

function coalesceLastSeen(stored: readonly StoredThreat[], result: SnapshotResult): SnapshotResult {
  const prior = new Map(stored.map((threat) => [threat.threatId, threat]));
  const kept = new Set<string>();
  const threats = result.threats.map((after) => {
    const before = prior.get(after.threatId);
    if (before && onlyLastSeenMoved(before, after)) {
      kept.add(after.threatId);
      return before;
    }
    return after;
  });
  return { ...result, threats, changed: result.changed.filter((threat) => !kept.has(threat.threatId)) };
}

function openAfter(threats: readonly StoredThreat[], opened: readonly StoredThreat[]): { open: StoredThreat[]; opened: StoredThreat[] } {
  return { open: threats.filter(isOpen), opened: [...opened] };
}

function chunk<T>(groups: readonly T[][], size: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  for (const group of groups) {
    if (current.length + group.length > size) {
      batches.push(current);
      current = [];
    }
    current.push(...group);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function pause(attempt: number): Promise<void> {
  const ms = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Applies a threat report to the device's rows (threatRows.ts) as its complete snapshot.
 *
 * Ordering: every batch that changes a device's threat rows also updates its `s|` row conditioned on the ETag
 * read together with the threat rows it was computed from (the `s|` row first, then the threat rows). A batch is
 * atomic, so a snapshot is only written if nothing was written for the device since it was read, and a batch
 * only commits with a sequence above the last one committed: threat rows always reflect the highest sequence
 * applied, whatever the order in which concurrent reports arrive, on any number of instances.
 *
 * The state a batch leaves behind is kept in this process (threatCache.ts); the batch is also conditioned on the
 * credential recorded on the `s|` row (credentialSession.ts), so a report commits only within its credential's session.
 */
import type { TransactionAction } from '@azure/data-tables';
import { applySnapshot, isOpen, isServiceClassification, type ReportedThreat, type SnapshotResult, type StoredThreat } from '../domain/index.js';
import { statusOf } from '../base/errors.js';
import { ConcurrencyExhausted } from '../storage/errors.js';
import type { TableStore } from '../storage/tableStore.js';
import { devicePartitionKey } from './device.js';
import { recentReportIdsKept } from './schemas.js';
import type { ServiceEvent } from '../events/event.js';
import { outboxEntity, outboxPrefix } from '../events/outboxRow.js';
import type { WrittenOutbox } from '../events/relay.js';
import { credentialMayCommit } from './credentialSession.js';
import { threatStateKey, type ThreatStateCache } from './threatCache.js';
import { threatCounterAction } from './deviceCounters.js';
import { eventTimelineActions } from './deviceTimeline.js';
import { indexEntity, indexRowKeys, loadThreatState, markerEntity, packageIndexEntity, sequenceRowKey, threatEntity } from './threatRows.js';

/** Most operations in one entity group transaction. */
const batchLimit = 100;
const maxAttempts = 10;

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
    // Index rows (by classification, by package) come and go with the threat being open.
    const had = new Set(prior ? indexRowKeys(deviceId, prior) : []);
    const has = new Set(indexRowKeys(deviceId, after));
    for (const rowKey of had) {
      if (has.has(rowKey)) continue;
      const key = { partitionKey: devicePartitionKey(tenantId, deviceId), rowKey };
      if (deletesInBatch) group.push(['delete', key]);
      else looseDeletes.push(key);
    }
    for (const rowKey of has) {
      if (had.has(rowKey)) continue;
      if (rowKey.startsWith('c|')) group.push(['upsert', indexEntity(tenantId, deviceId, after), 'Replace']);
      else if (after.packageName !== undefined) group.push(['upsert', packageIndexEntity(tenantId, deviceId, { ...after, packageName: after.packageName }), 'Replace']);
    }
    groups.push(group);
  }
  return { groups, looseDeletes };
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
  /**
   * Whose threats `threats` is the complete set of: the agent's (default: a report, ordered by its sequence), or the
   * service's own (`serviceClassifications`, from the attestation verdict: the sequence is left as it is). Either
   * leaves the other's threats open as they are (docs/DATA-MODEL.md, "A device's risk level").
   */
  readonly scope?: 'agent' | 'service';
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
      /** Those outbox rows, for the relay's nudge. */
      readonly outbox: WrittenOutbox;
    };

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
    // A batch on the ETag this process's own last batch left: nobody else added rows to the partition since.
    const exclusive = attempt === 1 && state.committedHere === true;
    if (!credentialMayCommit(state.marker, input.credentialHash)) return { applied: false, revoked: true };
    const sameSession = state.marker.session === input.session;
    const lastSequence = sameSession ? state.marker.lastSequence : -1;
    const recent = sameSession ? state.marker.recentReportIds : [];
    const ownSince = state.loaded.session === input.session ? state.loaded.sequence : -1;
    const service = input.scope === 'service';
    if (!service && (input.sequence <= lastSequence || recent.includes(input.reportId))) {
      cache.set(key, state);
      return { applied: false, revoked: false };
    }

    // The snapshot replaces only its owner's threats; the other's are carried over unchanged.
    const owned = state.threats.filter((threat) => isServiceClassification(threat.classification) === service);
    const kept = state.threats.filter((threat) => isServiceClassification(threat.classification) !== service);
    const applied = coalesceLastSeen(owned, applySnapshot(owned, input.threats, input.observedAt));
    const snapshot = { ...applied, threats: [...kept, ...applied.threats] };
    const { groups, looseDeletes } = plan(tenantId, deviceId, state.threats, snapshot.changed, deletesInBatch);
    const recorded = input.events?.events({ opened: snapshot.opened, resolved: snapshot.resolved, open: snapshot.threats.filter(isOpen) }) ?? [];
    if (recorded.length > 0) {
      // First, so a snapshot too large for one batch still records its events with its first batch.
      // Each event with its row in the device's timeline (deviceTimeline.ts), committed together.
      groups.unshift(
        ...recorded.map((event): TransactionAction[] => [
          ['create', outboxEntity('threats', devicePartitionKey(tenantId, deviceId), event)],
          ...eventTimelineActions(tenantId, deviceId, [event]),
        ]),
      );
      if (!prepared) {
        await input.events?.prepare();
        prepared = true;
      }
    }
    // The change of open threats by classification, in the tenant's counters (atomic with the `s|` row's ETag).
    const counterAction = threatCounterAction(
      tenantId,
      deviceId,
      state.marker.counted === true ? state.threats.filter(isOpen) : undefined,
      snapshot.threats.filter(isOpen),
      new Date(input.now),
    );
    if (counterAction) groups.unshift([counterAction]);
    const nextMarker = service
      ? { lastSequence: state.marker.lastSequence, recentReportIds: [...state.marker.recentReportIds], session: state.marker.session, credentialHash: input.credentialHash, counted: true }
      : {
          lastSequence: input.sequence,
          recentReportIds: [...recent, input.reportId].slice(-recentReportIdsKept),
          session: input.session,
          credentialHash: input.credentialHash,
          counted: true,
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
        return { applied: true, ...openAfter(snapshot.threats, snapshot.opened), ...nextMarker, ownSince, events: recorded.length, outbox: outboxOf(recorded, false) };
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
    cache.set(key, { marker: { etag, ...nextMarker }, threats: snapshot.threats, loaded: state.loaded, committedHere: true });
    return {
      applied: true,
      ...openAfter(snapshot.threats, snapshot.opened),
      ...nextMarker,
      ownSince,
      events: recorded.length,
      // Exclusive only when every batch of the write went in on this process's own chain of ETags.
      outbox: outboxOf(recorded, exclusive),
    };
  }
  throw new ConcurrencyExhausted(tables.physicalName('threats'), tenantId, sequenceRowKey(deviceId), maxAttempts);
}

function outboxOf(events: readonly ServiceEvent[], exclusive: boolean): WrittenOutbox {
  return { rows: events.map((event) => ({ rowKey: `${outboxPrefix.threats}${event.id}`, event })), exclusive };
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

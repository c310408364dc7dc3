/**
 * A device's threats in the `threats` table, in the device's partition (`devicePartitionKey`, the same as its
 * device row: the tenant and the first two characters of the device id):
 * - `t|{deviceId}|{threatId}`: one row per threat ever reported, with first-seen, last-seen and resolved-at history;
 * - `c|{classification}|{deviceId}|{threatId}`: present while the threat is open (the re-grade index);
 * - `p|{packageName}|{deviceId}|{threatId}`: present while a threat with a `packageName` is open (the index an app
 *   rule's re-grade reads);
 * - `s|{deviceId}`: the device's report sequence (last applied sequence, recent report ids, credential session), the
 *   hash of the device's current credential (`''` once revoked), and how many of its threats are open
 *   (`openThreats`, written in the same batch as the threat rows it counts, so it is never out of step with them).
 *
 * This file holds the keys, the row shapes and the reads; threatStore.ts writes reports, credentialSession.ts the
 * credential on the `s|` row.
 */
import { odata, type TableEntity } from '@azure/data-tables';
import { z } from 'zod';
import { classificationSchema, isOpen, type Classification, type StoredThreat } from '../domain/index.js';
import { statusOf } from '../base/errors.js';
import { readEntity } from '../storage/entities.js';
import { encodeKey } from '../storage/keys.js';
import { mapLimit } from '../base/mapLimit.js';
import type { TableStore } from '../storage/tableStore.js';
import { devicePartitionKey } from './device.js';

export const threatRowKey = (deviceId: string, threatId: string): string => `t|${deviceId}|${encodeKey(threatId)}`;
export const threatIndexRowKey = (classification: Classification, deviceId: string, threatId: string): string =>
  `c|${classification}|${deviceId}|${encodeKey(threatId)}`;
/** A package name as a key segment (`|` encoded too, so a segment never holds the separator). */
export const packageKey = (packageName: string): string => encodeKey(packageName).replaceAll('|', '%7C');
export const packageIndexRowKey = (packageName: string, deviceId: string, threatId: string): string =>
  `p|${packageKey(packageName)}|${deviceId}|${encodeKey(threatId)}`;
export const sequenceRowKey = (deviceId: string): string => `s|${deviceId}`;

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
  /** The device's open threats are in the tenant's counters (deviceCounters.ts); false on rows written before. */
  readonly counted?: boolean;
}

export interface DeviceThreatState {
  readonly marker: SequenceMarker;
  /** Every stored threat row of the device, open and resolved. */
  readonly threats: readonly StoredThreat[];
  /**
   * The `s|` row as it was when this state was read from storage: every batch after it was written through this
   * process's cache (a batch by anyone else changes the ETag, and the state is then read again).
   */
  readonly loaded: { readonly sequence: number; readonly session: string };
  /** This state is what this process's own last batch for the device left (not a read of storage). */
  readonly committedHere?: boolean;
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
  counted: z
    .number()
    .optional()
    .transform((value) => value === 1),
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

/** The `t|` row of a threat. */
export function threatEntity(tenantId: string, deviceId: string, threat: StoredThreat): TableEntity {
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

/** The `c|` row of an open threat. */
export function indexEntity(tenantId: string, deviceId: string, threat: StoredThreat): TableEntity {
  return {
    partitionKey: devicePartitionKey(tenantId, deviceId),
    rowKey: threatIndexRowKey(threat.classification, deviceId, threat.threatId),
    deviceId,
    threatId: threat.threatId,
    classification: threat.classification,
  };
}

/** The `p|` row of an open threat with a package name. */
export function packageIndexEntity(tenantId: string, deviceId: string, threat: StoredThreat & { packageName: string }): TableEntity {
  return {
    partitionKey: devicePartitionKey(tenantId, deviceId),
    rowKey: packageIndexRowKey(threat.packageName, deviceId, threat.threatId),
    deviceId,
    threatId: threat.threatId,
    packageName: threat.packageName,
  };
}

/** The index rows an open threat has: by classification, and by package when it names one. */
export function indexRowKeys(deviceId: string, threat: StoredThreat): string[] {
  if (!isOpen(threat)) return [];
  const keys = [threatIndexRowKey(threat.classification, deviceId, threat.threatId)];
  if (threat.packageName !== undefined && threat.packageName !== '') keys.push(packageIndexRowKey(threat.packageName, deviceId, threat.threatId));
  return keys;
}

/** The `s|` row; `openThreats` is left out (and so kept, on a merge) when not given. */
export function markerEntity(
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
  if (marker.counted === true) entity.counted = 1;
  return entity;
}

/**
 * The threats of several devices of one partition (`deviceIds` all in `partitionKey`), by device id: one RowKey range
 * query from the first device's threat rows to the last's (it examines the threat rows of the devices between them),
 * instead of one query per device. For re-grades, which read a chunk of devices at once.
 */
export async function listThreatsOfDevices(tables: TableStore, partitionKey: string, deviceIds: readonly string[]): Promise<Map<string, StoredThreat[]>> {
  const wanted = new Set(deviceIds);
  const byDevice = new Map<string, StoredThreat[]>(deviceIds.map((deviceId) => [deviceId, []]));
  // The bounds compare as keys: an id that is a prefix of another sorts differently once `|` follows it.
  const low = [...wanted].map((deviceId) => `t|${deviceId}|`).sort()[0];
  const high = [...wanted].map((deviceId) => `t|${deviceId}}`).sort().at(-1);
  if (low === undefined || high === undefined) return byDevice;
  const rows = tables.table('threats').listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${partitionKey} and RowKey ge ${low} and RowKey lt ${high}` },
  });
  for await (const raw of rows) {
    const parsed = threatEntitySchema.safeParse(raw);
    if (!parsed.success) continue;
    // The row's device: a threat id may hold `|`, so the key is matched against the devices asked for.
    const rowKey = raw.rowKey ?? '';
    const named = typeof raw.deviceId === 'string' && rowKey.startsWith(`t|${raw.deviceId}|`) ? raw.deviceId : undefined;
    const deviceId = named ?? [...wanted].find((candidate) => rowKey.startsWith(`t|${candidate}|`));
    const list = deviceId === undefined ? undefined : byDevice.get(deviceId);
    if (!list) continue;
    const { name, packageName, resolvedAt, ...rest } = parsed.data;
    const threat: StoredThreat = { ...rest };
    if (name !== undefined) threat.name = name;
    if (packageName !== undefined) threat.packageName = packageName;
    if (resolvedAt !== undefined) threat.resolvedAt = resolvedAt;
    list.push(threat);
  }
  return byDevice;
}

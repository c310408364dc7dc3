/**
 * CSV exports of the console (CONTRACT.md, "Exports"): every device matching the list's filters, and the whole audit
 * log. The answer is an async iterable of UTF-8 chunks produced while the rows are read, a page at a time: a large
 * tenant's export starts at once and never holds the file (or all its rows) in memory.
 *
 * RFC 4180 quoting comes from csv-stringify; a cell that a spreadsheet would take for a formula (it starts with `=`,
 * `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`.
 */
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { deviceFromEntity, devicePartitionKey, tenantDevicesFilter, type Device, type Platform } from '../devices/device.js';
import { sequenceRowKey } from '../devices/threatRows.js';
import type { DeviceStatus, RiskLevel } from '../domain/index.js';
import { anyEntity, listAll, odata, type TableStore } from '../storage/index.js';

/** Rows turned into one chunk of CSV text: big enough to cost little per chunk, small enough to stream. */
const rowsPerChunk = 500;

export const deviceCsvColumns = [
  'deviceId',
  'intuneDeviceId',
  'deviceName',
  'userPrincipalName',
  'platform',
  'osVersion',
  'status',
  'riskLevel',
  'openThreats',
  'overrideRiskLevel',
  'attestation',
  'lastCheckInAt',
  'activatedAt',
  'discoveredAt',
] as const;

export const auditCsvColumns = ['at', 'actor', 'action', 'target', 'before', 'after'] as const;

const formulaStart = /^[=+\-@\t\r]/;

/** A cell a spreadsheet will not evaluate. */
export function safeCell(value: string): string {
  return formulaStart.test(value) ? `'${value}` : value;
}

function csvChunk(rows: readonly (readonly string[])[]): Uint8Array {
  return Buffer.from(stringify(rows.map((row) => row.map(safeCell)), { record_delimiter: '\r\n' }), 'utf8');
}

/** The header and rows as CSV chunks, `rowsPerChunk` rows at a time. */
async function* csvStream(columns: readonly string[], rows: AsyncIterable<readonly (readonly string[])[]>): AsyncGenerator<Uint8Array> {
  yield csvChunk([columns]);
  for await (const chunk of rows) if (chunk.length > 0) yield csvChunk(chunk);
}

export interface DeviceExportFilters {
  readonly status?: DeviceStatus | undefined;
  readonly riskLevel?: RiskLevel | undefined;
  readonly platform?: Platform | undefined;
  /** The last activation's attestation verdict (`verified`, `failed`, `absent`, `not-checked`). */
  readonly attestation?: string | undefined;
}

const openThreatsRowSchema = z.object({ openThreats: z.number().int().optional() });

/** Open threats of a run of devices of one partition: one range query of their `s|` rows. */
async function openThreatsOf(tables: TableStore, tenantId: string, devices: readonly Device[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const byPartition = new Map<string, Device[]>();
  for (const device of devices) {
    const key = devicePartitionKey(tenantId, device.deviceId);
    const list = byPartition.get(key) ?? [];
    list.push(device);
    byPartition.set(key, list);
  }
  await Promise.all(
    [...byPartition].map(async ([partitionKey, list]) => {
      const first = sequenceRowKey(list[0]?.deviceId ?? '');
      const last = sequenceRowKey(list[list.length - 1]?.deviceId ?? '');
      const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${first} and RowKey le ${last}`;
      for await (const row of listAll(tables.table('threats'), { schema: openThreatsRowSchema, filter })) {
        counts.set(row.rowKey.slice(2), row.openThreats ?? 0);
      }
    }),
  );
  return counts;
}

function deviceCells(device: Device, openThreats: number, nowMs: number): string[] {
  const overrideActive = device.overrideExpiresAt !== undefined && Date.parse(device.overrideExpiresAt) > nowMs;
  return [
    device.deviceId,
    device.intuneDeviceId,
    device.deviceName,
    device.userPrincipalName,
    device.platform,
    device.osVersion,
    device.status,
    device.riskLevel,
    String(openThreats),
    overrideActive ? (device.overrideRiskLevel ?? '') : '',
    // The last activation's verdict; empty for a device not activated since agent trust recorded verdicts.
    device.attestationStatus ?? '',
    device.lastCheckInAt ?? '',
    device.activatedAt ?? '',
    device.discoveredAt,
  ];
}

async function* deviceRowChunks(tables: TableStore, tenantId: string, filters: DeviceExportFilters, nowMs: number): AsyncGenerator<string[][]> {
  const clauses = [tenantDevicesFilter(tenantId)];
  if (filters.status) clauses.push(odata`status eq ${filters.status}`);
  if (filters.riskLevel) clauses.push(odata`riskLevel eq ${filters.riskLevel}`);
  if (filters.platform) clauses.push(odata`platform eq ${filters.platform}`);
  if (filters.attestation) clauses.push(odata`attestationStatus eq ${filters.attestation}`);
  let batch: Device[] = [];
  const flush = async (): Promise<string[][]> => {
    const counts = await openThreatsOf(tables, tenantId, batch);
    const rows = batch.map((device) => deviceCells(device, counts.get(device.deviceId) ?? 0, nowMs));
    batch = [];
    return rows;
  };
  for await (const entity of listAll(tables.table('devices'), { schema: anyEntity, filter: clauses.join(' and ') })) {
    batch.push(deviceFromEntity(entity));
    if (batch.length >= rowsPerChunk) yield await flush();
  }
  if (batch.length > 0) yield await flush();
}

/** Every device of the tenant matching the filters, as CSV chunks (header first), in device id order. */
export function exportDevicesCsv(tables: TableStore, tenantId: string, filters: DeviceExportFilters, nowMs: number): AsyncIterable<Uint8Array> {
  return csvStream(deviceCsvColumns, deviceRowChunks(tables, tenantId, filters, nowMs));
}

const auditRowSchema = z.object({
  at: z.string(),
  actorName: z.string(),
  action: z.string(),
  target: z.string(),
  before: z.string().optional(),
  after: z.string().optional(),
});

async function* auditRowChunks(tables: TableStore, tenantId: string): AsyncGenerator<string[][]> {
  let batch: string[][] = [];
  for await (const row of listAll(tables.table('auditLog'), { schema: auditRowSchema, filter: odata`PartitionKey eq ${tenantId}` })) {
    // `before` and `after` are stored as JSON text: exported as they are.
    batch.push([row.at, row.actorName, row.action, row.target, row.before ?? '', row.after ?? '']);
    if (batch.length >= rowsPerChunk) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The tenant's whole audit log, newest first, as CSV chunks (header first). */
export function exportAuditCsv(tables: TableStore, tenantId: string): AsyncIterable<Uint8Array> {
  return csvStream(auditCsvColumns, auditRowChunks(tables, tenantId));
}

/** The `Content-Disposition` file name of an export made at `at`. */
export function exportFileName(kind: 'devices' | 'audit-log', at: Date): string {
  return `${kind}-${at.toISOString().slice(0, 19).replace(/:/g, '-')}Z.csv`;
}

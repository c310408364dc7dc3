/**
 * One run at a time per tenant and job, and the job's health: a row in `leases` (PartitionKey tenantId, RowKey
 * `job|{job}`). Taking it is one read and one ETag-conditioned write; giving it back is one ETag-conditioned write that
 * also records how the run went, which is what the console's health check reads (docs/DATA-MODEL.md).
 */
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { odata, listAll, readEntity, type TableStore } from '../storage/index.js';
import { jobKindSchema, type JobKind } from './dueIndex.js';

export const jobLeaseRowKey = (job: JobKind): string => `job|${job}`;

export const jobLeaseSchema = z.object({
  job: jobKindSchema,
  holder: z.string(),
  acquiredAt: z.string(),
  expiresAt: z.string(),
  /** The due time (ms) of the run that holds or last held the lease. */
  runDueMs: z.number().optional(),
  /** The due time (ms) the last successful run covered: a redelivered message for it or earlier is already done. */
  doneDueMs: z.number().optional(),
  lastFinishedAt: z.string().optional(),
  lastResult: z.enum(['ok', 'failed', 'dead-lettered']).optional(),
  lastError: z.string().optional(),
  lastDurationMs: z.number().optional(),
  /** Failed runs since the last success. */
  failures: z.number().int().optional(),
  deadLetteredAt: z.string().optional(),
  deadLetterReason: z.string().optional(),
  deadLetters: z.number().int().optional(),
});
export type JobLeaseRow = z.infer<typeof jobLeaseSchema>;

export type AcquireResult =
  | { readonly kind: 'acquired'; readonly etag: string; readonly row: JobLeaseRow }
  | { readonly kind: 'busy'; readonly acquiredAtMs: number; readonly expiresAtMs: number }
  | { readonly kind: 'done' };

function fieldsOf<T extends object>(row: T): Omit<T, 'partitionKey' | 'rowKey' | 'etag' | 'timestamp'> {
  const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = row as T & {
    partitionKey?: unknown;
    rowKey?: unknown;
    etag?: unknown;
    timestamp?: unknown;
  };
  return rest;
}

export async function acquireJobLease(
  tables: TableStore,
  tenantId: string,
  job: JobKind,
  holder: string,
  now: Date,
  ttlMs: number,
  dueMs: number,
): Promise<AcquireResult> {
  const table = tables.table('leases');
  const rowKey = jobLeaseRowKey(job);
  const current = await readEntity(table, jobLeaseSchema, tenantId, rowKey);
  if (current && current.doneDueMs !== undefined && current.doneDueMs >= dueMs) return { kind: 'done' };
  const expiresAtMs = current ? Date.parse(current.expiresAt) : 0;
  if (current && current.holder !== holder && expiresAtMs > now.getTime()) {
    return { kind: 'busy', acquiredAtMs: Date.parse(current.acquiredAt), expiresAtMs };
  }
  const row: JobLeaseRow = {
    ...(current ? fieldsOf(current) : {}),
    job,
    holder,
    acquiredAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    runDueMs: dueMs,
  };
  try {
    const entity = { partitionKey: tenantId, rowKey, ...row };
    const response = current
      ? await table.updateEntity(entity, 'Replace', { etag: current.etag })
      : await table.createEntity(entity);
    return { kind: 'acquired', etag: response.etag ?? '*', row };
  } catch (caught) {
    const status = statusOf(caught);
    if (status === 412 || status === 409) {
      // Another instance took it between our read and write.
      return { kind: 'busy', acquiredAtMs: now.getTime(), expiresAtMs: now.getTime() + ttlMs };
    }
    throw caught;
  }
}

export interface RunRecord {
  readonly result: 'ok' | 'failed' | 'dead-lettered';
  readonly error?: string;
  readonly durationMs: number;
  readonly dueMs: number;
  readonly deadLetterReason?: string;
}

/**
 * Gives the lease back (it expires now) and records the run. A lease lost meanwhile (it expired and another run took
 * it) is left to that run. Never throws: an unreleased lease expires on its own.
 */
export async function releaseJobLease(
  tables: TableStore,
  tenantId: string,
  acquired: { etag: string; row: JobLeaseRow },
  now: Date,
  run: RunRecord,
): Promise<boolean> {
  const at = now.toISOString();
  const { lastError: _lastError, ...kept } = acquired.row;
  const row: JobLeaseRow = {
    ...kept,
    expiresAt: at,
    lastFinishedAt: at,
    lastResult: run.result,
    lastDurationMs: run.durationMs,
    ...(run.error ? { lastError: run.error.slice(0, 500) } : {}),
    ...(run.result === 'ok'
      ? { doneDueMs: Math.max(acquired.row.doneDueMs ?? 0, run.dueMs), failures: 0 }
      : { failures: (acquired.row.failures ?? 0) + 1 }),
    ...(run.result === 'dead-lettered'
      ? { deadLetteredAt: at, deadLetterReason: (run.deadLetterReason ?? run.error ?? '').slice(0, 500), deadLetters: (acquired.row.deadLetters ?? 0) + 1 }
      : {}),
  };
  try {
    await tables
      .table('leases')
      .updateEntity({ partitionKey: tenantId, rowKey: jobLeaseRowKey(acquired.row.job), ...row }, 'Replace', { etag: acquired.etag });
    return true;
  } catch {
    return false;
  }
}

/** Every job's health row of a tenant (the console health check): one range query of at most five rows. */
export async function readJobHealth(tables: TableStore, tenantId: string): Promise<(JobLeaseRow & { rowKey: string })[]> {
  const rows: (JobLeaseRow & { rowKey: string })[] = [];
  const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${'job|'} and RowKey lt ${'job}'}`;
  for await (const row of listAll(tables.table('leases'), { schema: jobLeaseSchema, filter })) rows.push(row);
  return rows;
}

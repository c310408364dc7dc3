/**
 * The due-time index (`jobSchedule`): when each tenant next needs each periodic job. A tick reads only the rows that
 * are due, oldest first, and moves each forward as it claims it, so its cost grows with the work that is due, not with
 * the number of tenants.
 *
 * Keys (docs/DATA-MODEL.md, "Due-time index"):
 * - PartitionKey `{job}|{shard}`: one partition per job kind and shard, the shard being the tenant id's first hex
 *   digit (16 shards per job, docs/SCALE.md says why);
 * - due row: RowKey `{13-digit due ms}|{tenantId}`: a range query `RowKey lt '{now + 1 ms}'` examines exactly the due
 *   rows, in due order;
 * - pointer row: RowKey `t|{tenantId}` (after every digit, so never in a due range): `dueRowKey`, the tenant's
 *   current due row, so a settings change or "mail is due" finds it with one point read.
 * Every move (claim, settings change, "due now") deletes the old due row, creates the next one and rewrites the
 * pointer in one entity group transaction. The delete fails when the old row is already gone, so of two instances
 * claiming (or moving) the same row exactly one commits; moves outside a tick also hold the pointer's ETag.
 */
import { z } from 'zod';
import { statusOf, toError } from '../base/errors.js';
import { odata, readEntity, type TableClient, type TableStore, type TransactionAction } from '../storage/index.js';

export const jobKinds = ['discovery', 'sweep', 'connector-heartbeat', 'reconcile', 'mail', 'override-expiry', 'activation-reminders'] as const;
export type JobKind = (typeof jobKinds)[number];
export const jobKindSchema = z.enum(jobKinds);

/** The latest time a 13-digit key can hold: a row parked here is never due (a tenant not yet consented, idle mail). */
export const idleDueMs = 9_999_999_999_999;

/** Shards per job kind: the tenant id's first hex digit. */
export const dueShards = 16;
const shardDigits = '0123456789abcdef';

export function shardOf(tenantId: string): string {
  const first = tenantId.charAt(0).toLowerCase();
  return shardDigits.includes(first) && first !== '' ? first : '0';
}

export function duePartition(job: JobKind, shard: string): string {
  return `${job}|${shard}`;
}

export function duePartitionOf(job: JobKind, tenantId: string): string {
  return duePartition(job, shardOf(tenantId));
}

export function dueMsKey(dueMs: number): string {
  return String(Math.max(0, Math.min(idleDueMs, Math.floor(dueMs)))).padStart(13, '0');
}

export function dueRowKey(dueMs: number, tenantId: string): string {
  return `${dueMsKey(dueMs)}|${tenantId}`;
}

export function pointerRowKey(tenantId: string): string {
  return `t|${tenantId}`;
}

export const dueRowSchema = z.object({
  tenantId: z.string(),
  job: jobKindSchema,
  dueMs: z.number(),
  /** Minutes between runs; absent for a job that runs only when made due (mail). */
  periodMinutes: z.number().int().positive().optional(),
});
export type DueRowFields = z.infer<typeof dueRowSchema>;

export interface DueRow extends DueRowFields {
  readonly partitionKey: string;
  readonly rowKey: string;
}

const pointerSchema = z.object({
  tenantId: z.string(),
  job: jobKindSchema,
  dueRowKey: z.string(),
  dueMs: z.number(),
  periodMinutes: z.number().int().positive().optional(),
});
type Pointer = z.infer<typeof pointerSchema> & { etag: string };

function table(tables: TableStore): TableClient {
  return tables.table('jobSchedule');
}

function dueEntity(fields: DueRowFields): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  return {
    partitionKey: duePartitionOf(fields.job, fields.tenantId),
    rowKey: dueRowKey(fields.dueMs, fields.tenantId),
    tenantId: fields.tenantId,
    job: fields.job,
    dueMs: fields.dueMs,
    dueAt: new Date(Math.min(fields.dueMs, 8_640_000_000_000_000)).toISOString(),
    ...(fields.periodMinutes !== undefined ? { periodMinutes: fields.periodMinutes } : {}),
  };
}

function pointerEntity(fields: DueRowFields): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  return {
    partitionKey: duePartitionOf(fields.job, fields.tenantId),
    rowKey: pointerRowKey(fields.tenantId),
    tenantId: fields.tenantId,
    job: fields.job,
    dueRowKey: dueRowKey(fields.dueMs, fields.tenantId),
    dueMs: fields.dueMs,
    ...(fields.periodMinutes !== undefined ? { periodMinutes: fields.periodMinutes } : {}),
  };
}

/** The next due time after a run that starts at `fromMs`: one period later, or idle for a job without a period. */
export function nextDueMs(fromMs: number, periodMinutes: number | undefined): number {
  return periodMinutes === undefined ? idleDueMs : fromMs + periodMinutes * 60_000;
}

export interface DueRowSpec {
  readonly job: JobKind;
  readonly dueMs: number;
  readonly periodMinutes?: number | undefined;
}

/**
 * Creates the tenant's row for each job that has none (one transaction per job: the pointer and its due row); a job
 * that already has its rows is left as it is. Returns how many were created.
 */
export async function ensureDueRows(tables: TableStore, tenantId: string, specs: readonly DueRowSpec[]): Promise<number> {
  let created = 0;
  await Promise.all(
    specs.map(async (spec) => {
      const fields: DueRowFields = {
        tenantId,
        job: spec.job,
        dueMs: spec.dueMs,
        ...(spec.periodMinutes !== undefined ? { periodMinutes: spec.periodMinutes } : {}),
      };
      try {
        await table(tables).submitTransaction([
          ['create', pointerEntity(fields)],
          ['create', dueEntity(fields)],
        ]);
        created += 1;
      } catch (caught) {
        if (statusOf(caught) !== 409) throw caught;
      }
    }),
  );
  return created;
}

async function readPointer(tables: TableStore, tenantId: string, job: JobKind): Promise<Pointer | undefined> {
  const row = await readEntity(table(tables), pointerSchema, duePartitionOf(job, tenantId), pointerRowKey(tenantId));
  return row ? { ...row, etag: row.etag } : undefined;
}

/** The tenant's current due time and period for a job, or undefined when it has no row. One point read. */
export async function readDue(
  tables: TableStore,
  tenantId: string,
  job: JobKind,
): Promise<{ dueMs: number; periodMinutes?: number | undefined } | undefined> {
  const pointer = await readPointer(tables, tenantId, job);
  return pointer ? { dueMs: pointer.dueMs, periodMinutes: pointer.periodMinutes } : undefined;
}

export interface MoveDue {
  /**
   * The new due time from the current one (and period); return undefined to leave the row where it is. `current`
   * is undefined when the tenant has no row yet (one is then created).
   */
  (current: { dueMs: number; periodMinutes?: number | undefined } | undefined): { dueMs: number; periodMinutes?: number | undefined } | undefined;
}

/**
 * Moves a tenant's due row for a job (creating it when absent), under the pointer's ETag: a lost race (a tick
 * claimed the row meanwhile) re-reads and tries again. Returns the due time in force afterwards.
 */
export async function moveDue(tables: TableStore, tenantId: string, job: JobKind, move: MoveDue): Promise<number | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    const pointer = await readPointer(tables, tenantId, job);
    const current = pointer ? { dueMs: pointer.dueMs, periodMinutes: pointer.periodMinutes } : undefined;
    const next = move(current);
    if (!next) return current?.dueMs;
    const fields: DueRowFields = {
      tenantId,
      job,
      dueMs: next.dueMs,
      ...(next.periodMinutes !== undefined ? { periodMinutes: next.periodMinutes } : {}),
    };
    if (pointer && pointer.dueRowKey === dueRowKey(next.dueMs, tenantId) && pointer.periodMinutes === next.periodMinutes) {
      return next.dueMs;
    }
    const actions: TransactionAction[] = pointer
      ? [
          ...(pointer.dueRowKey === dueRowKey(next.dueMs, tenantId)
            ? [['upsert', dueEntity(fields), 'Replace'] as TransactionAction]
            : [
                ['delete', { partitionKey: duePartitionOf(job, tenantId), rowKey: pointer.dueRowKey }] as TransactionAction,
                ['upsert', dueEntity(fields), 'Replace'] as TransactionAction,
              ]),
          ['update', pointerEntity(fields), 'Replace', { etag: pointer.etag }],
        ]
      : [
          ['create', pointerEntity(fields)],
          ['upsert', dueEntity(fields), 'Replace'],
        ];
    try {
      await table(tables).submitTransaction(actions);
      return next.dueMs;
    } catch (caught) {
      const status = statusOf(caught);
      const lost = status === 412 || status === 409 || status === 404;
      if (!lost || attempt >= 10) throw toError(caught);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

/** Makes a job due at `atMs` unless it is due earlier already (one read when it is). */
export function markDue(tables: TableStore, tenantId: string, job: JobKind, atMs: number, periodMinutes?: number): Promise<number | undefined> {
  return moveDue(tables, tenantId, job, (current) => {
    if (current && current.dueMs <= atMs) return undefined;
    return { dueMs: atMs, periodMinutes: current ? current.periodMinutes : periodMinutes };
  });
}

/** Removes a tenant's rows for a job (a tenant that is gone). */
export async function removeDue(tables: TableStore, tenantId: string, job: JobKind): Promise<void> {
  const pointer = await readPointer(tables, tenantId, job);
  if (!pointer) return;
  try {
    await table(tables).submitTransaction([
      ['delete', { partitionKey: duePartitionOf(job, tenantId), rowKey: pointer.dueRowKey }],
      ['delete', { partitionKey: duePartitionOf(job, tenantId), rowKey: pointerRowKey(tenantId) }],
    ]);
  } catch (caught) {
    if (statusOf(caught) !== 404) throw caught;
  }
}

/**
 * Claims a due row: deletes it, creates the next one (`nextDueMs`) and points the pointer at it, in one transaction.
 * False when another instance claimed or moved it first (the delete finds no row).
 */
export async function claimDue(tables: TableStore, row: DueRow, nextDue: number): Promise<boolean> {
  const fields: DueRowFields = {
    tenantId: row.tenantId,
    job: row.job,
    dueMs: nextDue,
    ...(row.periodMinutes !== undefined ? { periodMinutes: row.periodMinutes } : {}),
  };
  const next = dueEntity(fields);
  try {
    await table(tables).submitTransaction([
      ['delete', { partitionKey: row.partitionKey, rowKey: row.rowKey }],
      ...(next.rowKey === row.rowKey ? [] : [['upsert', next, 'Replace'] as TransactionAction]),
      ['upsert', pointerEntity(fields), 'Replace'],
    ]);
    return true;
  } catch (caught) {
    const status = statusOf(caught);
    if (status === 404 || status === 412 || status === 409) return false;
    throw caught;
  }
}

/**
 * The due rows of one job, oldest first across its shards (a merge of one ordered range query per shard, read a page
 * at a time, so a tick examines about as many rows as it takes). At most `limit` rows.
 */
export async function* dueRows(
  tables: TableStore,
  job: JobKind,
  nowMs: number,
  options: { pageSize?: number } = {},
): AsyncGenerator<DueRow> {
  const pageSize = Math.max(1, Math.min(1_000, options.pageSize ?? 200));
  const upper = dueMsKey(nowMs + 1);
  const cursors = Array.from({ length: dueShards }, (_unused, index) => {
    const partition = duePartition(job, shardDigits.charAt(index));
    const pages = table(tables)
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partition} and RowKey lt ${upper}` } })
      .byPage({ maxPageSize: pageSize });
    return { pages, buffer: [] as DueRow[], done: false };
  });
  type Cursor = (typeof cursors)[number];
  const fill = async (cursor: Cursor): Promise<void> => {
    while (cursor.buffer.length === 0 && !cursor.done) {
      const page = await cursor.pages.next();
      if (page.done === true) {
        cursor.done = true;
        return;
      }
      for (const raw of page.value) {
        const parsed = dueRowSchema.safeParse(raw);
        if (parsed.success && typeof raw.partitionKey === 'string' && typeof raw.rowKey === 'string') {
          cursor.buffer.push({ ...parsed.data, partitionKey: raw.partitionKey, rowKey: raw.rowKey });
        }
      }
      if (!page.value.continuationToken) cursor.done = true;
    }
  };
  await Promise.all(cursors.map(fill));
  for (;;) {
    let best: Cursor | undefined;
    for (const cursor of cursors) {
      const head = cursor.buffer[0];
      if (!head) continue;
      const bestHead = best?.buffer[0];
      if (!bestHead || head.rowKey < bestHead.rowKey) best = cursor;
    }
    const row = best?.buffer.shift();
    if (!best || !row) return;
    yield row;
    if (best.buffer.length === 0) await fill(best);
  }
}

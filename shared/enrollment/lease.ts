/**
 * A per-tenant lease in the `leases` table (RowKey `enrollment-sync`), so two overlapping runs never sync one tenant
 * at once: whoever writes the row first (ETag-protected) holds it until it releases it or it expires.
 */
import { z } from 'zod';
import {
  ConcurrencyExhausted,
  NO_CHANGE,
  updateEntity,
  type Mutation,
  type TableStore,
  type UpdateEntityResult,
} from '../storage/index.js';

export const enrollmentLeaseName = 'enrollment-sync';

const leaseSchema = z.looseObject({
  holder: z.string(),
  expiresAt: z.string(),
  acquiredAt: z.string().optional(),
});
type LeaseRow = z.infer<typeof leaseSchema>;

function body(row: LeaseRow): LeaseRow {
  const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = row;
  return rest;
}

/** One ETag-conditioned attempt on the lease row; `undefined` when another run wrote it in between (a lost race). */
async function tryWrite(
  tables: TableStore,
  tenantId: string,
  name: string,
  mutate: Mutation<LeaseRow>,
): Promise<UpdateEntityResult<LeaseRow> | undefined> {
  try {
    return await updateEntity(tables.table('leases'), tenantId, name, mutate, { schema: leaseSchema, maxAttempts: 1 });
  } catch (caught) {
    if (caught instanceof ConcurrencyExhausted) return undefined;
    throw caught;
  }
}

/**
 * Takes the lease for `holder` unless someone else holds an unexpired one. One attempt: a lost race means another
 * run got there first, so the answer is false (it is never retried into a second holder).
 */
export async function acquireLease(
  tables: TableStore,
  tenantId: string,
  holder: string,
  now: Date,
  ttlMs: number,
  name: string = enrollmentLeaseName,
): Promise<boolean> {
  const result = await tryWrite(tables, tenantId, name, (current) => {
    if (current && current.holder !== holder && Date.parse(current.expiresAt) > now.getTime()) return NO_CHANGE;
    return {
      ...(current ? body(current) : {}),
      holder,
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    };
  });
  return result !== undefined && result.changed && result.entity?.holder === holder;
}

/** Extends a lease this holder still holds; false when it was lost (expired and taken by another run). */
export async function renewLease(
  tables: TableStore,
  tenantId: string,
  holder: string,
  now: Date,
  ttlMs: number,
  name: string = enrollmentLeaseName,
): Promise<boolean> {
  const result = await tryWrite(tables, tenantId, name, (current) =>
    current?.holder === holder ? { ...body(current), expiresAt: new Date(now.getTime() + ttlMs).toISOString() } : NO_CHANGE,
  );
  return result?.changed ?? false;
}

/** Gives the lease up (it expires now) if this holder still holds it. Never throws. */
export async function releaseLease(
  tables: TableStore,
  tenantId: string,
  holder: string,
  now: Date,
  name: string = enrollmentLeaseName,
): Promise<void> {
  try {
    await tryWrite(tables, tenantId, name, (current) =>
      current?.holder === holder ? { ...body(current), expiresAt: now.toISOString() } : NO_CHANGE,
    );
  } catch {
    // An unreleased lease expires on its own.
  }
}

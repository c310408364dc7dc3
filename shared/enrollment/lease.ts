/**
 * A per-tenant lease in the `leases` table (RowKey `enrollment-sync`), so two overlapping runs never sync one tenant
 * at once: whoever writes the row first (ETag-protected) holds it until it releases it or it expires.
 */
import { z } from 'zod';
import { ConcurrencyExhausted, NO_CHANGE, updateEntity, type TableStore } from '../storage/index.js';

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
  try {
    const result = await updateEntity(
      tables.table('leases'),
      tenantId,
      name,
      (current) => {
        if (current && current.holder !== holder && Date.parse(current.expiresAt) > now.getTime()) return NO_CHANGE;
        return {
          ...(current ? body(current) : {}),
          holder,
          acquiredAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
        };
      },
      { schema: leaseSchema, maxAttempts: 1 },
    );
    return result.changed && result.entity?.holder === holder;
  } catch (caught) {
    if (caught instanceof ConcurrencyExhausted) return false;
    throw caught;
  }
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
  try {
    const result = await updateEntity(
      tables.table('leases'),
      tenantId,
      name,
      (current) => {
        if (current?.holder !== holder) return NO_CHANGE;
        return { ...body(current), expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
      },
      { schema: leaseSchema, maxAttempts: 1 },
    );
    return result.changed;
  } catch (caught) {
    if (caught instanceof ConcurrencyExhausted) return false;
    throw caught;
  }
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
    await updateEntity(
      tables.table('leases'),
      tenantId,
      name,
      (current) => {
        if (current?.holder !== holder) return NO_CHANGE;
        return { ...body(current), expiresAt: now.toISOString() };
      },
      { schema: leaseSchema, maxAttempts: 1 },
    );
  } catch {
    // An unreleased lease expires on its own.
  }
}

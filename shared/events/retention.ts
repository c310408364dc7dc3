/**
 * Retention: a tenant's events are deleted once older than the retention period. The tenant's retention row `r`
 * holds when its oldest event expires; publications pull it earlier, and the tenant's periodic job reads it (one point
 * read) and deletes feed rows and markers by key range only when they are due.
 */
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import type { CorePorts } from '../ports.js';
import { odata, readEntity } from '../storage/index.js';
import { LRUCache } from 'lru-cache';
import { positionPattern } from './positions.js';
import { deleteRows } from './rowDeletes.js';

export interface RetentionRun {
  /** Whether events were due for deletion. */
  readonly due: boolean;
  /** Feed rows deleted. */
  readonly deleted: number;
  /** When events next expire (ms); undefined when the tenant has none. */
  readonly nextDueMs?: number;
}

export interface Retention {
  /** Makes sure the tenant's retention row comes due by the time events published at `publishedMs` expire. */
  readonly whenDue: (tenantId: string, publishedMs: number) => Promise<void>;
  /** The tenant's periodic retention: deletes its expired events when its retention row is due, and moves the row on. */
  readonly retentionDue: (tenantId: string) => Promise<RetentionRun>;
  /** Deletes a tenant's events older than the retention period; resolves with how many feed rows went. */
  readonly applyRetention: (tenantId: string) => Promise<number>;
}

const dayMs = 86_400_000;
const maxAttempts = 20;
/** The retention row parked: no events to delete until a publication moves it. */
const retentionIdleMs = 9_999_999_999_999;

const retentionSchema = z.object({ dueMs: z.number() });

export function createRetention({ tables, clock }: Pick<CorePorts, 'tables' | 'clock'>, retentionDays: number): Retention {
  const events = () => tables.table('events');
  /** Tenants whose retention row this process has seen due by a given time (one read per tenant and day). */
  const retentionEnsured = new LRUCache<string, number>({ max: 100_000 });

  /**
   * Makes sure the tenant's retention row comes due by the time the events just published expire (once per tenant
   * and day in this process: one point read, and a write only when the row was later or missing).
   */
  async function whenDue(tenantId: string, publishedMs: number): Promise<void> {
    const dueMs = (Math.floor(publishedMs / dayMs) + 1 + retentionDays) * dayMs;
    // Known to be due by then, and not yet due (once due, the tenant's job may move it: read it again).
    const known = retentionEnsured.get(tenantId);
    if (known !== undefined && known <= dueMs && known > publishedMs) return;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const row = await readEntity(events(), retentionSchema, tenantId, 'r');
      try {
        if (!row) await events().createEntity({ partitionKey: tenantId, rowKey: 'r', dueMs });
        else if (row.dueMs > dueMs) await events().updateEntity({ partitionKey: tenantId, rowKey: 'r', dueMs }, 'Replace', { etag: row.etag });
        retentionEnsured.set(tenantId, Math.min(row?.dueMs ?? dueMs, dueMs));
        return;
      } catch (error) {
        const status = statusOf(error);
        if (status !== 409 && status !== 412) throw error;
      }
    }
  }

  async function retentionDue(tenantId: string): Promise<RetentionRun> {
    const row = await readEntity(events(), retentionSchema, tenantId, 'r');
    if (!row || row.dueMs >= retentionIdleMs) return { due: false, deleted: 0 };
    if (row.dueMs > clock.now().getTime()) return { due: false, deleted: 0, nextDueMs: row.dueMs };
    const deleted = await applyRetention(tenantId);
    // The next time an event expires: the oldest one left (one entity read), else parked until a publication.
    let oldest: number | undefined;
    const pages = events()
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${'f|'} and RowKey lt ${'f}'}`, select: ['RowKey'] } })
      .byPage({ maxPageSize: 1 });
    for await (const page of pages) {
      const rowKey = page[0]?.rowKey;
      if (rowKey && positionPattern.test(rowKey.slice(2))) oldest = Number(rowKey.slice(2, 15));
      break;
    }
    const next = oldest === undefined ? retentionIdleMs : (Math.floor(oldest / dayMs) + 1 + retentionDays) * dayMs;
    try {
      await events().updateEntity({ partitionKey: tenantId, rowKey: 'r', dueMs: next }, 'Replace', { etag: row.etag });
    } catch (error) {
      if (statusOf(error) !== 412) throw error; // a publication moved it meanwhile: its time stands
    }
    retentionEnsured.delete(tenantId);
    return { due: true, deleted, ...(next < retentionIdleMs ? { nextDueMs: next } : {}) };
  }

  /** Deletes the tenant's rows in [from, to), 100 at a time; resolves with how many went. */
  async function deleteRange(tenantId: string, from: string, to: string): Promise<number> {
    let deleted = 0;
    for (;;) {
      const keys: string[] = [];
      const pages = events()
        .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId} and RowKey ge ${from} and RowKey lt ${to}`, select: ['RowKey'] } })
        .byPage({ maxPageSize: 100 });
      for await (const page of pages) {
        for (const entity of page) if (entity.rowKey) keys.push(entity.rowKey);
        break;
      }
      if (keys.length === 0) return deleted;
      await deleteRows(tables, 'events', tenantId, keys);
      deleted += keys.length;
      if (keys.length < 100) return deleted;
    }
  }

  async function applyRetention(tenantId: string): Promise<number> {
    const cutoff = clock.now().getTime() - retentionDays * dayMs;
    const cutoffKey = String(Math.max(0, cutoff)).padStart(13, '0');
    const feedRows = await deleteRange(tenantId, 'f|', `f|${cutoffKey}`);
    await deleteRange(tenantId, 'i|evt_', `i|evt_${cutoffKey}`);
    return feedRows;
  }

  return { whenDue, retentionDue, applyRetention };
}

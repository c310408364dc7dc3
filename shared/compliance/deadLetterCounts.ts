/** How many of a tenant's device updates were dead-lettered (deadLetters.ts), for connector health. */
import { z } from 'zod';
import { listPage, odata, type TableStore } from '../storage/index.js';

export interface DeadLetterCounts {
  /** Dead letters recorded after `since`. */
  readonly recent: number;
  /** Dead letters read (at most 1,000). */
  readonly total: number;
  /** More rows remain beyond those read. */
  readonly more: boolean;
}

const deadLetterRow = z.looseObject({ at: z.string().optional() });

/** Counts from one page of at most 1,000 of the tenant's dead letters. */
export async function countDeadLetters(tables: TableStore, tenantId: string, since: Date): Promise<DeadLetterCounts> {
  const page = await listPage(tables.table('deadLetters'), { schema: deadLetterRow, filter: odata`PartitionKey eq ${tenantId}`, select: ['at'], limit: 1_000 });
  const recent = page.items.filter((row) => row.at !== undefined && Date.parse(row.at) > since.getTime()).length;
  return { recent, total: page.items.length, more: Boolean(page.nextCursor) };
}

/** What connector health reads of a tenant's enrollment groups: each group's name and stored status. */
import { z } from 'zod';
import { listPage, odata, type TableStore } from '../storage/index.js';

export interface GroupState {
  readonly displayName: string;
  /** As the last check stored it (`resolved`, `case-mismatch`, ..., `unchecked`); absent before any. */
  readonly status?: string;
}

const groupStateRow = z.looseObject({ displayName: z.string(), status: z.string().optional() });

/** The tenant's enrollment groups (one page of at most 100; a tenant has at most 50). */
export async function listGroupStates(tables: TableStore, tenantId: string): Promise<GroupState[]> {
  const page = await listPage(tables.table('enrollmentGroups'), { schema: groupStateRow, filter: odata`PartitionKey eq ${tenantId}`, limit: 100 });
  return page.items.map((row) => ({ displayName: row.displayName, ...(row.status !== undefined ? { status: row.status } : {}) }));
}

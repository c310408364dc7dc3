/**
 * Storage requests counted at the Table Storage client, by what caused them. Work runs under a cause
 * (`withStorageCause('push', …)`: the async context carries it into every request the work sends, however deep), and
 * a counter started with `countStorageRequests()` tallies each request the `TableStore` pipeline sends (retries
 * included) by cause, table and kind. Nothing is counted while no counter runs; benches start one, the service
 * never does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** What a request does: a point read, a query page, a single-entity write, a delete, a transaction, a table call. */
export type StorageRequestKind = 'read' | 'query' | 'write' | 'delete' | 'batch' | 'table';

export const storageRequestKinds: readonly StorageRequestKind[] = ['read', 'query', 'write', 'delete', 'batch', 'table'];

/** The cause of requests sent outside any `withStorageCause`. */
export const unattributed = 'other';

export interface StorageRequestCounts {
  /** Requests by cause, then by kind. */
  readonly byCause: Readonly<Record<string, Readonly<Record<StorageRequestKind, number>>>>;
  /** Requests by cause, then by physical table name. */
  readonly byTable: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly total: number;
}

export interface StorageRequestCounter {
  /** The requests counted so far. */
  counts(): StorageRequestCounts;
  /** Requests of one cause so far (every cause when omitted). */
  total(cause?: string): number;
  /** Stops counting (the counts stay readable). */
  stop(): void;
}

const causes = new AsyncLocalStorage<string>();
const counters = new Set<{ note(cause: string, table: string, kind: StorageRequestKind): void }>();

/** Runs `work` with `cause` as the cause of the storage requests it sends (and the work it starts). */
export function withStorageCause<T>(cause: string, work: () => T): T {
  return causes.run(cause, work);
}

/** The cause requests sent from here count under. */
export function currentStorageCause(): string {
  return causes.getStore() ?? unattributed;
}

/** The physical table and the kind of a Table Storage REST request. */
export function classifyStorageRequest(method: string, url: string): { table: string; kind: StorageRequestKind } {
  const path = decodeURIComponent(new URL(url).pathname).replace(/^\/+/, '');
  // Azurite's path-style URLs start with the account name.
  const segments = path.split('/').filter((segment) => segment !== '');
  const last = segments[segments.length - 1] ?? '';
  if (last === '$batch') return { table: '$batch', kind: 'batch' };
  const table = last.replace(/\(.*$/, '');
  if (table === 'Tables' || last.startsWith('Tables(')) return { table: 'Tables', kind: 'table' };
  const verb = method.toUpperCase();
  if (verb === 'DELETE') return { table, kind: 'delete' };
  if (verb === 'GET') return { table, kind: /\(PartitionKey=.*,RowKey=.*\)$/.test(last) ? 'read' : 'query' };
  return { table, kind: 'write' };
}

/** Called by the `TableStore` pipeline once per request sent; costs nothing while no counter runs. */
export function noteStorageRequest(method: string, url: string): void {
  if (counters.size === 0) return;
  const { table, kind } = classifyStorageRequest(method, url);
  const cause = currentStorageCause();
  for (const counter of counters) counter.note(cause, table, kind);
}

const zeroKinds = (): Record<StorageRequestKind, number> => ({ read: 0, query: 0, write: 0, delete: 0, batch: 0, table: 0 });

/** Starts counting every storage request this process sends, by cause. */
export function countStorageRequests(): StorageRequestCounter {
  const byCause: Record<string, Record<StorageRequestKind, number>> = {};
  const byTable: Record<string, Record<string, number>> = {};
  let total = 0;
  const counter = {
    note(cause: string, table: string, kind: StorageRequestKind): void {
      const kinds = (byCause[cause] ??= zeroKinds());
      kinds[kind] += 1;
      const tables = (byTable[cause] ??= {});
      tables[table] = (tables[table] ?? 0) + 1;
      total += 1;
    },
  };
  counters.add(counter);
  const copy = (): StorageRequestCounts => ({
    byCause: Object.fromEntries(Object.entries(byCause).map(([cause, kinds]) => [cause, { ...kinds }])),
    byTable: Object.fromEntries(Object.entries(byTable).map(([cause, tables]) => [cause, { ...tables }])),
    total,
  });
  return {
    counts: copy,
    total: (cause) => {
      if (cause === undefined) return total;
      const kinds = byCause[cause];
      return kinds ? storageRequestKinds.reduce((sum, kind) => sum + kinds[kind], 0) : 0;
    },
    stop: () => void counters.delete(counter),
  };
}

/** The requests counted between two snapshots (`later` minus `earlier`). */
export function storageRequestsBetween(earlier: StorageRequestCounts, later: StorageRequestCounts): StorageRequestCounts {
  const byCause: Record<string, Record<StorageRequestKind, number>> = {};
  for (const [cause, kinds] of Object.entries(later.byCause)) {
    const before = earlier.byCause[cause];
    const delta = zeroKinds();
    for (const kind of storageRequestKinds) delta[kind] = kinds[kind] - (before?.[kind] ?? 0);
    byCause[cause] = delta;
  }
  const byTable: Record<string, Record<string, number>> = {};
  for (const [cause, tables] of Object.entries(later.byTable)) {
    const before = earlier.byTable[cause] ?? {};
    byTable[cause] = Object.fromEntries(Object.entries(tables).map(([table, count]) => [table, count - (before[table] ?? 0)]));
  }
  return { byCause, byTable, total: later.total - earlier.total };
}

/**
 * What caused a bench's storage requests: the catalog's functions run under a cause each (the agent's report, the
 * event relay a write starts, a push, webhook delivery, the timers and the jobs they queue), so the counter of
 * shared/storage/requestCounts.ts splits what a workload costs by what spent it.
 */
import type { CatalogEntry, HttpFunctionHandler, QueueFunctionHandler, TimerFunctionHandler } from '../functions/handlers.js';
import type { EventRuntime } from '../shared/events/runtime.js';
import { storageRequestKinds, withStorageCause, type StorageRequestCounts } from '../shared/storage/requestCounts.js';

/** What caused a function's storage requests: the agent's report, a push, or the timers and the jobs they queue. */
export function causeOf(entry: CatalogEntry): string {
  if (entry.kind === 'http') return entry.name === 'deviceThreatReport' ? 'report' : 'other';
  if (entry.kind === 'timer') return 'timers';
  if (entry.name === 'complianceUpdates') return 'push';
  if (entry.name === 'webhookDeliveries') return 'webhooks';
  if (entry.name === 'tenantJobs' || entry.name === 'deviceSlices') return 'timers';
  return 'other';
}

/** The catalog with each function's invocations running under its cause. */
export function attributed(entries: readonly CatalogEntry[]): CatalogEntry[] {
  return entries.map((entry): CatalogEntry => {
    const cause = causeOf(entry);
    switch (entry.kind) {
      case 'http':
        return {
          ...entry,
          handler: (services): HttpFunctionHandler => {
            const inner = entry.handler(services);
            return (req, context) => withStorageCause(cause, () => inner(req, context));
          },
        };
      case 'timer':
        return {
          ...entry,
          handler: (services): TimerFunctionHandler => {
            const inner = entry.handler(services);
            return (timer, context) => withStorageCause(cause, () => inner(timer, context));
          },
        };
      case 'serviceBusQueue':
        return {
          ...entry,
          handler: (services): QueueFunctionHandler => {
            const inner = entry.handler(services);
            return (messages, context) => withStorageCause(cause, () => inner(messages, context));
          },
        };
    }
  });
}

/** The relay a write starts in the background counts as the relay's, not as the work that started it. */
export function attributeRelay(events: EventRuntime): void {
  const nudge = events.nudge.bind(events);
  const relay = events.relay.bind(events);
  events.nudge = (...args) => withStorageCause('relay', () => nudge(...args));
  events.relay = (tenantId, table, partitionKey) => withStorageCause('relay', () => relay(tenantId, table, partitionKey));
}

/** One line per cause: requests per `count` (a report), split by kind and by table. */
export function describe(counts: StorageRequestCounts, count: number, unit = 'report'): string[] {
  return Object.entries(counts.byCause)
    .filter(([, kinds]) => storageRequestKinds.some((kind) => kinds[kind] !== 0))
    .map(([cause, kinds]) => {
      const total = storageRequestKinds.reduce((sum, kind) => sum + kinds[kind], 0);
      const split = storageRequestKinds.filter((kind) => kinds[kind] !== 0).map((kind) => `${kind} ${kinds[kind]}`).join(', ');
      const tables = Object.entries(counts.byTable[cause] ?? {}).filter(([, n]) => n !== 0).map(([table, n]) => `${table} ${n}`).join(', ');
      return `    ${cause.padEnd(7)} ${(total / count).toFixed(3)} per ${unit} (${split}; ${tables})`;
    });
}

/** Two counts added up. */
export function sumCounts(a: StorageRequestCounts, b: StorageRequestCounts): StorageRequestCounts {
  const byCause: Record<string, Record<(typeof storageRequestKinds)[number], number>> = {};
  const byTable: Record<string, Record<string, number>> = {};
  for (const side of [a, b]) {
    for (const [cause, kinds] of Object.entries(side.byCause)) {
      const into = (byCause[cause] ??= { read: 0, query: 0, write: 0, delete: 0, batch: 0, table: 0 });
      for (const kind of storageRequestKinds) into[kind] += kinds[kind];
    }
    for (const [cause, tables] of Object.entries(side.byTable)) {
      const into = (byTable[cause] ??= {});
      for (const [table, n] of Object.entries(tables)) into[table] = (into[table] ?? 0) + n;
    }
  }
  return { byCause, byTable, total: a.total + b.total };
}

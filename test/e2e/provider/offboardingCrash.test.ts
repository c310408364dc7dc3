/**
 * An offboarding whose process dies part-way (here: storage stops answering writes at chosen points, so not even
 * the lease is given back) is resumed by the redelivered message once the lease runs out, and still tells every
 * device `deactivated` and leaves no row of the tenant behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableClient } from '@azure/data-tables';
import { ManualClock } from '../../../shared/base/clock.js';
import { createServices } from '../../../shared/app/services.js';
import { createComplianceRuntime } from '../../../shared/compliance/runtime.js';
import { createGraphAccess } from '../../../shared/graph/index.js';
import { offboardJobSchema, type OffboardJob } from '../../../shared/jobs/messages.js';
import type { QueueSenders } from '../../../shared/queues/queue.js';
import { tableNames, type TableName, type TableStore } from '../../../shared/storage/index.js';
import { runLeaseMs, runOffboarding, startOffboarding, offboardedTables } from '../../../shared/provider/offboarding.js';
import { quietLog } from '../../support/simClient.js';
import { rowsNaming, seedEveryTable, startProviderHarness, type ProviderHarness } from './harness.js';

let h: ProviderHarness;

beforeAll(async () => {
  h = await startProviderHarness({ phones: 6 });
  await h.activatePhones();
  await seedEveryTable(h.tables, h.tenantId, offboardedTables);
}, 120_000);
afterAll(async () => h.close());

const writeMethods = new Set(['createEntity', 'upsertEntity', 'updateEntity', 'deleteEntity', 'submitTransaction']);

/** The stack's tables, whose writes fail from the `n`th on (a process that died) until `restart()`. */
function crashingTables(tables: TableStore, crashAt: number[]): { tables: TableStore; restart(): void; crashes(): number } {
  let writes = 0;
  let down = false;
  let crashes = 0;
  const wrap = (client: TableClient): TableClient =>
    new Proxy(client, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !writeMethods.has(property) || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          writes += 1;
          if (!down && crashAt.includes(writes)) {
            down = true;
            crashes += 1;
          }
          if (down) return Promise.reject(new Error('the process stopped'));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const clients = new Map<TableName, TableClient>();
  return {
    tables: {
      ...tables,
      table: (name) => {
        let client = clients.get(name);
        if (!client) clients.set(name, (client = wrap(tables.table(name))));
        return client;
      },
    },
    restart: () => {
      down = false;
    },
    crashes: () => crashes,
  };
}

describe('an offboarding that crashes', () => {
  it('resumes after each crash and completes: devices deactivated, no row of the tenant left', async () => {
    const clock = new ManualClock(new Date());
    // Crashes in the deactivation, between phases and while deleting.
    const crashing = crashingTables(h.tables, [6, 14, 30, 45]);
    const sent: OffboardJob[] = [];
    const queues: QueueSenders = () => ({
      send: (messages) => {
        for (const message of messages) {
          const parsed = offboardJobSchema.safeParse(message.body);
          if (parsed.success) sent.push(parsed.data);
        }
        return Promise.resolve();
      },
    });
    const services = createServices(h.services.config, {
      tables: crashing.tables,
      clock,
      log: quietLog,
      queues,
      graph: createGraphAccess(h.services.config, { retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 } }),
      compliance: createComplianceRuntime(crashing.tables, clock),
    });
    const deps = { ...services, intuneBudget: services.compliance.intuneBudget };
    await startOffboarding(deps, h.tenantId, { kind: 'functionKey', id: 'provider-support', name: 'Provider support (function key)' });

    let runs = 0;
    let done = false;
    while (!done) {
      runs += 1;
      if (runs > 500) throw new Error('offboarding did not complete');
      // The oldest message not yet handled; a crashed run's message is delivered again.
      const message = sent[0];
      if (!message) throw new Error('no offboarding run was queued');
      try {
        const result = await runOffboarding(deps, h.tenantId, message);
        sent.shift();
        done = result.status === 'done';
        if (result.status === 'busy') clock.advance(runLeaseMs + 1_000);
      } catch {
        // The process died: a new one starts after the lease ran out, and the message comes again.
        crashing.restart();
        clock.advance(runLeaseMs + 1_000);
      }
    }
    expect(crashing.crashes()).toBe(4);
    for (const phone of h.phones) {
      expect(h.intuneState(phone.deviceId)).toBe('deactivated');
      expect(h.entraValue(phone)).toBeNull();
    }
    expect(await rowsNaming(h.tables, h.tenantId, tableNames.filter((name) => name !== 'providerAudit' && name !== 'providerUsage'))).toEqual({});
  }, 120_000);
});

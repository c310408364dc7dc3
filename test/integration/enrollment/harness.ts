/**
 * A tenant for discovery tests: the simulator (HTTPS, the run's test CA) seeded with a small directory, fresh tables
 * on the shared Azurite, the tenant provisioned and consented, and the enrollment groups configured.
 */
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../../shared/base/clock.js';
import type { Config } from '../../../shared/base/config.js';
import type { QueueMessage, QueueSenders } from '../../../shared/queues/queue.js';
import { createGraphAccess, type GraphAccess } from '../../../shared/graph/index.js';
import { encodeKey, type TableStore } from '../../../shared/storage/index.js';
import { activateTenant, createTenant } from '../../../shared/tenants/tenantRepository.js';
import type { EnrollmentDeps } from '../../../shared/enrollment/sync.js';
import { parseScenario, type ScenarioInput } from '../../../dev/sim/scenario.js';
import { startSimulator, type Simulator } from '../../../dev/sim/server.js';
import { createTestTableStore } from '../../support/tables.js';
import { clientId, clientSecret, quietLog, simConfig, tlsFiles } from '../../support/simClient.js';

export { clientId, clientSecret, quietLog, simConfig, tlsFiles };

export interface Harness {
  readonly tenantId: string;
  readonly sim: Simulator;
  readonly tables: TableStore;
  readonly graph: GraphAccess;
  readonly clock: ManualClock;
  readonly config: Config;
  /** Every nudge sent, in order. */
  readonly sent: QueueMessage[];
  /** Delays the Graph retry layer waited, in ms. */
  readonly sleeps: number[];
  readonly deps: EnrollmentDeps;
  /** Request log of the simulator (one line per request). */
  readonly simLog: string[];
  close(): Promise<void>;
}

export async function provisionTenant(tables: TableStore, tenantId: string, fullAccessGroupId: string, at: string): Promise<void> {
  await createTenant(tables, tenantId, {
    displayName: 'Contoso',
    fullAccessGroupId,
    primaryContactEmail: 'admin@contoso.test',
    status: 'provisioned',
    createdAt: at,
  });
  await activateTenant(tables, tenantId, { at });
}

export async function addEnrollmentGroupRow(tables: TableStore, tenantId: string, displayName: string): Promise<void> {
  await tables.table('enrollmentGroups').upsertEntity({
    partitionKey: tenantId,
    rowKey: encodeKey(displayName),
    displayName,
    status: 'unchecked',
    addedAt: '2026-01-01T00:00:00.000Z',
    addedBy: 'test',
  });
}

export async function startHarness(options: {
  tenant: Omit<NonNullable<ScenarioInput['tenants']>[number], 'id'>;
  enrollmentGroups: string[];
  fullAccessGroupId?: string;
}): Promise<Harness> {
  const tenantId = randomUUID();
  const scenario = parseScenario({ app: { clientId }, consentedTenants: [tenantId], tenants: [{ ...options.tenant, id: tenantId }] });
  const simLog: string[] = [];
  const sim = await startSimulator({ ...tlsFiles(), scenario, log: (line) => simLog.push(line) });
  const tables = await createTestTableStore();
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const config = simConfig(sim.url);
  const sleeps: number[] = [];
  const graph = createGraphAccess(config, {
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  const sent: QueueMessage[] = [];
  const queues: QueueSenders = () => ({
    send: (messages) => {
      sent.push(...messages);
      return Promise.resolve();
    },
  });
  await provisionTenant(tables, tenantId, options.fullAccessGroupId ?? randomUUID(), clock.now().toISOString());
  for (const name of options.enrollmentGroups) await addEnrollmentGroupRow(tables, tenantId, name);
  const deps: EnrollmentDeps = { tables, graph, queues, clock, log: quietLog };
  return { tenantId, sim, tables, graph, clock, config, sent, sleeps, deps, simLog, close: () => sim.close() };
}

/** A GUID derived from a name, so scenarios read well. */
export function id(name: string): string {
  const hex = Buffer.from(name.padEnd(16, '.')).toString('hex').slice(0, 32).padEnd(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

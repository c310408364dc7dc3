/**
 * `npm run bench:provider`: what the provider's operations cost in storage transactions, on an Azurite of its own.
 *
 * - The tenant list at TENANTS tenants (default 1,000) with mixed statuses and health: the transactions of a first
 *   page (100) at each filter, and of the whole list at 1,000 a page. Target: 1 per page, whatever TENANTS.
 * - Keeping the index: the transactions of one change of health, and of a refresh that changes nothing.
 * - Offboarding one tenant of DEVICES devices (default 2,000) with the Intune partner path off (Graph and the Intune
 *   write budget are not measured here: docs/SCALE.md gives their formula): transactions and rows per phase, runs,
 *   wall time.
 */
import { randomUUID } from 'node:crypto';
import { deviceSchema } from '../shared/devices/device.js';
import { deviceWriteActions } from '../shared/devices/deviceRepository.js';
import { defaultConnectorSettings } from '../shared/domain/index.js';
import { mapLimit } from '../shared/base/mapLimit.js';
import type { Logger } from '../shared/base/logger.js';
import { offboardJobSchema, type OffboardJob } from '../shared/jobs/messages.js';
import { readOffboarding } from '../shared/tenants/offboardingState.js';
import { runOffboarding, startOffboarding } from '../shared/provider/offboarding.js';
import { listTenants, tenantListQuerySchema } from '../shared/provider/tenantIndex.js';
import type { QueueSenders } from '../shared/queues/queue.js';
import { submitTogether } from '../shared/storage/index.js';
import { activateTenant, createTenant } from '../shared/tenants/tenantRepository.js';
import { updateTenantConfig } from '../shared/tenants/tenantConfig.js';
import { updateTenantIndex, type IndexHealth, type IndexStatus } from '../shared/tenants/providerIndex.js';
import { startStack } from '../test/support/stack.js';

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: (line) => console.error(line) };

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function main(): Promise<void> {
  const tenants = count('TENANTS', 1_000);
  const devices = count('DEVICES', 2_000);
  const stack = await startStack({ scenario: false, storage: 'memory', host: false });
  try {
    const { tables } = stack;
    const stats = tables.stats;
    const statuses: IndexStatus[] = ['active', 'active', 'active', 'provisioned'];
    const healths: IndexHealth[] = ['healthy', 'healthy', 'degraded', 'unhealthy', 'unknown'];
    const ids = Array.from({ length: tenants }, () => randomUUID());
    const now = new Date();
    let started = Date.now();
    await mapLimit(
      ids.map((tenantId, index) => ({ tenantId, index })),
      16,
      async ({ tenantId, index }) => {
        await updateTenantIndex(
          tables,
          tenantId,
          { displayName: `Tenant ${index}`, status: statuses[index % 4] ?? 'active', health: healths[index % 5] ?? 'unknown', devicesTotal: 100, devicesActive: 80, devicesPending: 20 },
          now,
        );
      },
    );
    console.log(`index of ${tenants} tenants written in ${Date.now() - started} ms`);

    const measure = async (input: Record<string, string>): Promise<{ transactions: number; items: number }> => {
      const before = stats.transactions;
      const page = await listTenants({ tables }, tenantListQuerySchema.parse(input));
      return { transactions: stats.transactions - before, items: page.items.length };
    };
    const filters: Record<string, string>[] = [{}, { status: 'active' }, { health: 'unhealthy' }, { status: 'active', health: 'degraded' }];
    for (const filter of filters) {
      const figure = await measure({ ...filter, limit: '100' });
      console.log(`list page of 100, filter ${JSON.stringify(filter)}: ${figure.transactions} transactions, ${figure.items} items`);
    }
    let cursor: string | null = null;
    let pages = 0;
    const before = stats.transactions;
    do {
      const page: Awaited<ReturnType<typeof listTenants>> = await listTenants({ tables }, tenantListQuerySchema.parse({ limit: '1000', ...(cursor ? { cursor } : {}) }));
      pages += 1;
      cursor = page.nextCursor;
    } while (cursor !== null);
    console.log(`whole list at 1,000 a page: ${pages} pages, ${stats.transactions - before} transactions`);
    const first = ids[0] ?? '';
    let mark = stats.transactions;
    await updateTenantIndex(tables, first, { health: 'unhealthy' }, now);
    console.log(`a change of health: ${stats.transactions - mark} transactions`);
    mark = stats.transactions;
    await updateTenantIndex(tables, first, { health: 'unhealthy' }, now);
    console.log(`a refresh that changes nothing: ${stats.transactions - mark} transactions`);

    // Offboarding one tenant of DEVICES devices.
    const tenantId = randomUUID();
    await createTenant(tables, tenantId, { displayName: 'Big', fullAccessGroupId: randomUUID(), primaryContactEmail: 'it@big.test', status: 'provisioned', createdAt: now.toISOString() });
    await activateTenant(tables, tenantId, { at: now.toISOString() });
    await updateTenantConfig(tables, tenantId, () => ({
      settings: { ...structuredClone(defaultConnectorSettings), enforcement: { intunePartner: false, entraDeviceAttribute: null } },
      at: now.toISOString(),
      by: 'bench',
    }));
    started = Date.now();
    await mapLimit(Array.from({ length: devices }, () => randomUUID()), 32, async (deviceId) => {
      const device = deviceSchema.parse({
        tenantId,
        deviceId,
        intuneDeviceId: deviceId,
        platform: 'ios',
        userId: randomUUID(),
        status: 'active',
        statusChangedAt: now.toISOString(),
        discoveredAt: now.toISOString(),
        lastCheckInAt: now.toISOString(),
      });
      await submitTogether(tables.table('devices'), deviceWriteActions(undefined, device, now).actions);
    });
    console.log(`${devices} devices written in ${Date.now() - started} ms`);

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
    const services = stack.buildServices({ queues, log: quiet });
    const deps = { ...services, intuneBudget: services.compliance.intuneBudget };
    started = Date.now();
    mark = stats.transactions;
    await startOffboarding(deps, tenantId, { kind: 'functionKey', id: 'provider-support', name: 'Provider support (function key)' });
    console.log(`offboarding started: ${stats.transactions - mark} transactions`);
    const byPhase = new Map<string, { runs: number; transactions: number }>();
    let rowsDeleted = 0;
    for (;;) {
      const message = sent.shift();
      if (!message) break;
      const state = await readOffboarding(tables, tenantId);
      const phase = state?.phase ?? 'gone';
      rowsDeleted = state?.rowsDeleted ?? rowsDeleted;
      mark = stats.transactions;
      const result = await runOffboarding(deps, tenantId, message);
      const entry = byPhase.get(phase) ?? { runs: 0, transactions: 0 };
      byPhase.set(phase, { runs: entry.runs + 1, transactions: entry.transactions + stats.transactions - mark });
      if (result.status === 'done') break;
    }
    for (const [phase, figure] of byPhase) console.log(`offboarding ${phase}: ${figure.runs} runs, ${figure.transactions} transactions`);
    console.log(`offboarding of ${devices} devices: ${rowsDeleted} rows deleted before the finish (plus the tenant row), ${Date.now() - started} ms`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * A tenant's status, settings and policy are one row: the agent path's context costs one point read on a cache miss,
 * a tenant written before the move is copied onto its row once (then its old rows are never read again), and
 * concurrent changes (two admins, another capability's health write) all land.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../shared/base/clock.js';
import { createTenantContextCache, loadTenantContext } from '../../../shared/devices/tenantContext.js';
import { connectorSettingsSchema, defaultPolicy } from '../../../shared/domain/index.js';
import { NO_CHANGE, type TableStore } from '../../../shared/storage/index.js';
import { readTenantConfig, TenantNotFound, updateTenantConfig } from '../../../shared/tenants/tenantConfig.js';
import { getTenant, updateTenantHealth } from '../../../shared/tenants/tenantRepository.js';
import { createTestTableStore } from '../../support/tables.js';
import { provisionTenant } from '../enrollment/harness.js';

let tables: TableStore;

beforeAll(async () => {
  tables = await createTestTableStore();
});

/** Storage transactions `run` costs. */
async function transactions(run: () => Promise<unknown>): Promise<number> {
  const before = tables.stats.transactions;
  await run();
  return tables.stats.transactions - before;
}

describe('the tenant configuration row', () => {
  it('gives the agent path status, settings and policy in one read on a cache miss', async () => {
    const tenantId = randomUUID();
    await provisionTenant(tables, tenantId, randomUUID(), new Date().toISOString());
    await updateTenantConfig(tables, tenantId, () => ({
      settings: connectorSettingsSchema.parse({ stateSync: { threatStatus: false } }),
      overrides: { ADWARE: 'high' },
    }));
    const cache = createTenantContextCache(tables, systemClock);
    let context: Awaited<ReturnType<typeof loadTenantContext>> | undefined;
    expect(await transactions(async () => (context = await cache.get(tenantId)))).toBe(1);
    expect(context).toMatchObject({ tenantId, active: true, settings: { stateSync: { threatStatus: false } } });
    expect(context?.policy.ADWARE).toBe('high');
    expect(context?.policy.TROJAN).toBe(defaultPolicy.TROJAN);
    expect(await transactions(() => cache.get(tenantId))).toBe(0);
  });

  it('reads an unknown tenant with one read, as not active, and refuses to change it', async () => {
    const tenantId = randomUUID();
    let context: Awaited<ReturnType<typeof loadTenantContext>> | undefined;
    expect(await transactions(async () => (context = await loadTenantContext(tables, tenantId)))).toBe(1);
    expect(context?.active).toBe(false);
    await expect(updateTenantConfig(tables, tenantId, () => ({ overrides: { ADWARE: 'high' } }))).rejects.toBeInstanceOf(TenantNotFound);
    expect(await getTenant(tables, tenantId)).toBeUndefined();
  });

  it('copies a tenant written before the move onto its row once; afterwards only the row is read', async () => {
    const tenantId = randomUUID();
    // The rows as the previous build wrote them: a tenant row without configVersion, the settings row, override rows.
    await tables.table('tenants').createEntity({
      partitionKey: tenantId,
      rowKey: 'tenant',
      displayName: 'Old',
      fullAccessGroupId: randomUUID(),
      primaryContactEmail: 'it@old.test',
      status: 'active',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    await tables.table('connectorSettings').createEntity({
      partitionKey: tenantId,
      rowKey: 'settings',
      settings: JSON.stringify({ disconnectedAfterDays: 3, enforcement: { intunePartner: false, entraDeviceAttribute: 'extensionAttribute2' } }),
      updatedAt: '2026-01-02T00:00:00.000Z',
      updatedBy: 'old-admin',
      enforcementRevision: 2,
      resyncedRevision: 1,
    });
    await tables.table('classificationOverrides').createEntity({ partitionKey: tenantId, rowKey: 'PHISHING', riskLevel: 'high' });
    await tables.table('classificationOverrides').createEntity({ partitionKey: tenantId, rowKey: 'NO_SUCH_THING', riskLevel: 'high' });

    const first = await readTenantConfig(tables, tenantId);
    expect(first).toMatchObject({
      active: true,
      settings: { disconnectedAfterDays: 3, enforcement: { intunePartner: false, entraDeviceAttribute: 'extensionAttribute2' } },
      overrides: { PHISHING: 'high' },
      enforcementRevision: 2,
      resyncedRevision: 1,
      configVersion: 1,
    });
    expect(await getTenant(tables, tenantId)).toMatchObject({ displayName: 'Old', status: 'active', configVersion: 1 });

    // The old rows are no longer read: a later write to them changes nothing, and a read costs one transaction.
    await tables.table('classificationOverrides').upsertEntity({ partitionKey: tenantId, rowKey: 'PHISHING', riskLevel: 'low' });
    let second: Awaited<ReturnType<typeof readTenantConfig>> | undefined;
    expect(await transactions(async () => (second = await readTenantConfig(tables, tenantId)))).toBe(1);
    expect(second).toEqual(first);
  });

  it('lands concurrent changes from two instances and keeps other capabilities\' fields', async () => {
    const tenantId = randomUUID();
    await provisionTenant(tables, tenantId, randomUUID(), new Date().toISOString());
    await Promise.all([
      updateTenantConfig(tables, tenantId, (current) => ({ overrides: { ...current.overrides, ADWARE: 'high' } })),
      // A second instance: another TableStore (its own clients), the same tables.
      updateTenantConfig(await createTestTableStoreOver(tables), tenantId, (current) => ({ overrides: { ...current.overrides, SPY: 'low' } })),
      updateTenantHealth(tables, tenantId, { lastConnectorHeartbeatAt: '2026-03-01T00:00:00.000Z', lastConnectorHeartbeatResult: 'ok' }),
    ]);
    const config = await readTenantConfig(tables, tenantId);
    expect(config.overrides).toEqual({ ADWARE: 'high', SPY: 'low' });
    expect(config.configVersion).toBe(2);
    expect(await getTenant(tables, tenantId)).toMatchObject({ status: 'active', lastConnectorHeartbeatResult: 'ok' });

    // A change that changes nothing writes nothing.
    const same = await updateTenantConfig(tables, tenantId, () => NO_CHANGE);
    expect(same.changed).toBe(false);
    expect((await readTenantConfig(tables, tenantId)).configVersion).toBe(2);
  });
});

/** Another store over the same physical tables, as a second instance would have. */
async function createTestTableStoreOver(store: TableStore): Promise<TableStore> {
  const physical = store.physicalName('tenants');
  return createTestTableStore(physical.slice(0, physical.length - 'Tenants'.length));
}

/**
 * The provider's tenant index, the daily usage counters and the provider audit log on Azurite: a page of the list is
 * one storage query whatever the filter, a change of status or health moves the tenant between filters without a
 * stale row, the refresh reads the device counters (not the devices), and usage comes from the daily counters.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { listTenants, refreshTenantIndex, tenantListQuerySchema } from '../../../shared/provider/tenantIndex.js';
import { usageCsv, usageReport } from '../../../shared/provider/usage.js';
import { listProviderAudit, recordProviderAudit } from '../../../shared/audit/providerAudit.js';
import { InvalidCursor } from '../../../shared/storage/index.js';
import { listTenantIndex, removeTenantIndex, updateTenantIndex } from '../../../shared/tenants/providerIndex.js';
import { recordActiveDevices } from '../../../shared/tenants/usageCounters.js';
import { createTestTableStore } from '../../support/tables.js';
import { provisionTenant } from '../enrollment/harness.js';
import { seedDevice } from '../devices/deviceRows.js';

const query = (input: Record<string, string>) => tenantListQuerySchema.parse(input);

describe('the provider tenant index', () => {
  it('answers each filter with one query per page and moves a tenant between filters on a change', async () => {
    const tables = await createTestTableStore();
    const now = new Date('2026-05-04T10:00:00.000Z');
    const ids = Array.from({ length: 5 }, () => randomUUID()).sort();
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    await updateTenantIndex(tables, a, { displayName: 'A', status: 'active', health: 'healthy' }, now);
    await updateTenantIndex(tables, b, { displayName: 'B', status: 'active', health: 'unhealthy' }, now);
    await updateTenantIndex(tables, c, { displayName: 'C', status: 'provisioned' }, now);
    await updateTenantIndex(tables, d, { displayName: 'D', status: 'active', health: 'degraded' }, now);
    await updateTenantIndex(tables, e, { displayName: '=E', status: 'active', health: 'unhealthy' }, now);

    const before = tables.stats.transactions;
    const unhealthy = await listTenants({ tables }, query({ health: 'unhealthy' }));
    expect(tables.stats.transactions - before).toBe(1);
    expect(unhealthy.items.map((item) => item.tenantId)).toEqual([b, e]);
    expect(unhealthy.items[0]).toEqual({
      tenantId: b,
      displayName: 'B',
      status: 'active',
      health: 'unhealthy',
      devices: { total: 0, active: 0, pending: 0 },
      lastDiscoveryAt: null,
      lastHeartbeatAt: null,
    });
    expect((await listTenants({ tables }, query({ status: 'provisioned' }))).items.map((item) => item.tenantId)).toEqual([c]);
    expect((await listTenants({ tables }, query({ status: 'provisioned' }))).items[0]?.health).toBe('unknown');
    expect((await listTenants({ tables }, query({ status: 'active', health: 'unhealthy' }))).items.map((item) => item.tenantId)).toEqual([b, e]);

    // Paging: one query a page, in tenant id order, the cursor bound to its filter.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const start = tables.stats.transactions;
      const page: Awaited<ReturnType<typeof listTenants>> = await listTenants({ tables }, query({ limit: '2', ...(cursor ? { cursor } : {}) }));
      expect(tables.stats.transactions - start).toBe(1);
      seen.push(...page.items.map((item) => item.tenantId));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(ids);
    const firstPage = await listTenants({ tables }, query({ limit: '2' }));
    await expect(listTenants({ tables }, query({ limit: '2', status: 'active', cursor: firstPage.nextCursor ?? '' }))).rejects.toBeInstanceOf(InvalidCursor);

    // B recovers and C consents: no stale row under the old filters.
    await updateTenantIndex(tables, b, { health: 'healthy' }, now);
    await updateTenantIndex(tables, c, { status: 'active', health: 'healthy' }, now);
    expect((await listTenants({ tables }, query({ health: 'unhealthy' }))).items.map((item) => item.tenantId)).toEqual([e]);
    expect((await listTenants({ tables }, query({ status: 'provisioned' }))).items).toEqual([]);
    expect((await listTenants({ tables }, query({ status: 'active', health: 'healthy' }))).items.map((item) => item.tenantId)).toEqual([a, b, c]);

    // A write that changes nothing writes nothing: one read.
    const unchanged = tables.stats.transactions;
    await updateTenantIndex(tables, a, { health: 'healthy' }, new Date('2026-05-04T11:00:00.000Z'));
    expect(tables.stats.transactions - unchanged).toBe(1);

    await removeTenantIndex(tables, e);
    for (const filter of [{}, { health: 'unhealthy' as const }, { status: 'active' as const }, { status: 'active' as const, health: 'unhealthy' as const }]) {
      expect((await listTenantIndex(tables, { ...filter, limit: 100 })).items.map((row) => row.tenantId)).not.toContain(e);
    }
  });

  it('is refreshed from the tenant row and its device counters, and raises the day\'s usage counter', async () => {
    const tables = await createTestTableStore();
    const clock = new ManualClock('2026-05-04T10:00:00.000Z');
    const tenantId = randomUUID();
    await provisionTenant(tables, tenantId, randomUUID(), clock.now().toISOString());
    for (const status of ['active', 'active', 'pending', 'deactivated'] as const) {
      await seedDevice(tables, tenantId, { deviceId: randomUUID(), userId: randomUUID(), status });
    }
    expect(await refreshTenantIndex({ tables, clock }, tenantId, 'degraded')).toBe(2);
    const [item] = (await listTenants({ tables }, query({ health: 'degraded' }))).items;
    expect(item).toMatchObject({ tenantId, status: 'active', health: 'degraded', devices: { total: 4, active: 2, pending: 1 } });
    // Later that day one more is active; the next day fewer.
    await seedDevice(tables, tenantId, { deviceId: randomUUID(), userId: randomUUID(), status: 'active' });
    clock.advance(3_600_000);
    await refreshTenantIndex({ tables, clock }, tenantId, 'degraded');
    clock.advance(24 * 3_600_000);
    await recordActiveDevices(tables, tenantId, 'Contoso', 1, clock.now());
    const report = await usageReport({ tables }, '2026-05');
    expect(report.items).toEqual([{ tenantId, displayName: expect.any(String) as string, peakActiveDevices: 3, averageActiveDevices: 2, daysCounted: 2 }]);
    expect((await usageReport({ tables }, '2026-06')).items).toEqual([]);
  });
});

describe('usage as CSV', () => {
  it('is RFC 4180 with a header row, and guards cells a spreadsheet would run', () => {
    const csv = usageCsv({
      month: '2026-05',
      items: [
        { tenantId: 't1', displayName: '=HYPERLINK("http://x")', peakActiveDevices: 3, averageActiveDevices: 2.5, daysCounted: 2 },
        { tenantId: 't2', displayName: 'Contoso, Ltd', peakActiveDevices: 0, averageActiveDevices: 0, daysCounted: 0 },
        { tenantId: 't3', displayName: '@SUM(1)', peakActiveDevices: 1, averageActiveDevices: 1, daysCounted: 1 },
        { tenantId: 't4', displayName: '\tTab', peakActiveDevices: 1, averageActiveDevices: 1, daysCounted: 1 },
      ],
    });
    expect(csv.split('\r\n')).toEqual([
      'month,tenantId,displayName,peakActiveDevices,averageActiveDevices,daysCounted',
      '2026-05,t1,"\'=HYPERLINK(""http://x"")",3,2.5,2',
      '2026-05,t2,"Contoso, Ltd",0,0,0',
      "2026-05,t3,'@SUM(1),1,1,1",
      "2026-05,t4,'\tTab,1,1,1",
      '',
    ]);
  });
});

describe('the provider audit log', () => {
  it('lists entries newest first with their actor, a page at a time', async () => {
    const tables = await createTestTableStore();
    const tenantId = randomUUID();
    const actor = { kind: 'user' as const, id: randomUUID(), name: 'Provider support: Nina (nina@provider.test)' };
    await recordProviderAudit(tables, { at: new Date('2026-05-04T10:00:00.000Z'), action: 'tenant.provision', tenantId, tenantName: 'Contoso', actor });
    await recordProviderAudit(tables, { at: new Date('2026-05-05T10:00:00.000Z'), action: 'tenant.offboard.start', tenantId, tenantName: 'Contoso', actor });
    const first = await listProviderAudit(tables, { limit: 1 });
    expect(first.items).toEqual([
      { id: expect.any(String) as string, at: '2026-05-05T10:00:00.000Z', action: 'tenant.offboard.start', tenant: { tenantId, displayName: 'Contoso' }, actor, detail: null },
    ]);
    const second = await listProviderAudit(tables, { limit: 1, cursor: first.nextCursor });
    expect(second.items.map((item) => item.action)).toEqual(['tenant.provision']);
  });
});

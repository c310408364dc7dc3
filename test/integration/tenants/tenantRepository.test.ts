import { beforeAll, describe, expect, it } from 'vitest';
import {
  activateTenant,
  createTenant,
  getTenant,
  listActiveTenants,
  TenantExists,
  updateTenantHealth,
} from '../../../shared/tenants/tenantRepository.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

let tables: TableStore;
const a = 'abcdef00-0000-4000-8000-00000000000a';
const b = 'abcdef00-0000-4000-8000-00000000000b';
const record = {
  displayName: 'A',
  fullAccessGroupId: 'g',
  primaryContactEmail: 'it@a.test',
  status: 'provisioned' as const,
  createdAt: '2026-01-01T00:00:00.000Z',
};

beforeAll(async () => {
  tables = await createTestTableStore();
  await createTenant(tables, a.toUpperCase(), record);
  await createTenant(tables, b, { ...record, displayName: 'B' });
});

describe('the tenant repository', () => {
  it('stores tenant ids in lower case and provisions each once', async () => {
    expect(await getTenant(tables, a)).toMatchObject({ tenantId: a, displayName: 'A', status: 'provisioned' });
    await expect(createTenant(tables, a, record)).rejects.toBeInstanceOf(TenantExists);
  });

  it('activates a provisioned tenant once and never again', async () => {
    expect((await activateTenant(tables, a, { at: '2026-02-01T00:00:00.000Z', by: 'admin@a.test' })).activated).toBe(true);
    const second = await activateTenant(tables, a, { at: '2026-03-01T00:00:00.000Z' });
    expect(second.activated).toBe(false);
    expect(second.tenant).toMatchObject({ status: 'active', consentedAt: '2026-02-01T00:00:00.000Z', consentedBy: 'admin@a.test' });
    expect((await activateTenant(tables, 'abcdef00-0000-4000-8000-0000000000ff', { at: 'x' })).tenant).toBeUndefined();
  });

  it('lists active tenants only', async () => {
    expect((await listActiveTenants(tables)).map((t) => t.tenantId)).toEqual([a]);
  });

  it('merges health fields without touching others, and never creates a tenant', async () => {
    expect(await updateTenantHealth(tables, a, { lastEnrollmentSyncAt: '2026-04-01T00:00:00.000Z', lastEnrollmentSyncResult: 'ok' })).toBe(true);
    expect(await updateTenantHealth(tables, a, { lastErrorAt: '2026-04-02T00:00:00.000Z', lastErrorKind: 'graph' })).toBe(true);
    expect(await getTenant(tables, a)).toMatchObject({
      status: 'active',
      lastEnrollmentSyncResult: 'ok',
      lastErrorKind: 'graph',
      consentedAt: '2026-02-01T00:00:00.000Z',
    });
    expect(await updateTenantHealth(tables, 'abcdef00-0000-4000-8000-0000000000ee', { lastErrorKind: 'x' })).toBe(false);
    expect(await getTenant(tables, 'abcdef00-0000-4000-8000-0000000000ee')).toBeUndefined();
  });
});

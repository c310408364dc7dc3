import { describe, expect, it } from 'vitest';
import { describeAttestation } from '../src/api/trust.js';
import { deviceListParams } from '../src/api/devices.js';
import { currentMonth, providerTenantParams } from '../src/api/provider.js';
import { provisionProblems } from '../src/pages/provider/Tenants.js';
import { confirmsTenant } from '../src/pages/provider/TenantDetail.js';

describe('agent trust as the console reads it', () => {
  it('says the verdict in words, with its format and reason', () => {
    expect(describeAttestation({ status: 'failed', format: 'android-key', reason: 'bootloader unlocked' })).toBe('Failed (Android key attestation): bootloader unlocked');
    expect(describeAttestation({ status: 'verified', format: 'apple-app-attest' })).toBe('Verified (Apple App Attest)');
    expect(describeAttestation({ status: 'not-checked', format: null })).toBe('Not checked');
  });

  it('filters the device list by attestation status, and ignores a value the API does not know', () => {
    expect(deviceListParams({ attestation: 'not-checked', status: 'active' })).toEqual({ status: 'active', attestation: 'not-checked', limit: 50 });
    expect(deviceListParams({ attestation: 'genuine' })).toEqual({ limit: 50 });
  });
});

describe('provider support pages', () => {
  it("asks the tenant list only for the filters that are set", () => {
    expect(providerTenantParams({ status: 'active', health: '' }, null)).toEqual({ status: 'active', limit: 50 });
    expect(providerTenantParams({ status: 'gone', health: 'unhealthy' }, 'c1', 10)).toEqual({ health: 'unhealthy', cursor: 'c1', limit: 10 });
  });

  it('checks a provisioning form before sending it', () => {
    const good = {
      tenantId: '5E2C7A10-1111-4111-8111-111111111111',
      displayName: 'Litware',
      fullAccessGroupId: '6f2c7a10-1111-4111-8111-111111111111',
      restrictedAccessGroupId: '',
      primaryContactEmail: 'it@litware.test',
    };
    expect(provisionProblems(good)).toEqual({});
    expect(Object.keys(provisionProblems({ ...good, tenantId: 'litware', restrictedAccessGroupId: 'readers', primaryContactEmail: 'it' })).sort()).toEqual([
      'primaryContactEmail',
      'restrictedAccessGroupId',
      'tenantId',
    ]);
  });

  it('offboards only when the tenant is named exactly, by display name or id', () => {
    const tenant = { tenantId: '5e2c7a10-1111-4111-8111-111111111111', displayName: 'Litware' };
    expect(confirmsTenant(' Litware ', tenant)).toBe(true);
    expect(confirmsTenant('5E2C7A10-1111-4111-8111-111111111111', tenant)).toBe(true);
    expect(confirmsTenant('litware', tenant)).toBe(false);
    expect(confirmsTenant('Litwar', tenant)).toBe(false);
    expect(confirmsTenant('', { ...tenant, displayName: '' })).toBe(false);
  });

  it('opens usage on the current month', () => {
    expect(currentMonth(new Date('2026-12-07T10:00:00Z'))).toBe('2026-12');
  });
});

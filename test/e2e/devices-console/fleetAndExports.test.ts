/**
 * Through the local host: the fleet summary, enrollment coverage and the CSV exports (devices and audit log), read
 * with console tokens minted by the simulated Entra ID after a discovery run; the CSV is read by a strict parser.
 */
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalHost } from '../../../dev/host/server.js';
import { parseScenario } from '../../../dev/sim/scenario.js';
import type { Simulator } from '../../../dev/sim/server.js';
import { auditRowKey } from '../../../shared/audit/auditLog.js';
import { auditCsvColumns, deviceCsvColumns } from '../../../shared/console/exports.js';
import { devicePartitionKey } from '../../../shared/devices/device.js';
import { sequenceRowKey } from '../../../shared/devices/threatRows.js';
import { mutateDevice } from '../../../shared/devices/deviceRepository.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { getTenant } from '../../../shared/tenants/tenantRepository.js';
import { addEnrollmentGroupRow, id } from '../../integration/enrollment/harness.js';
import { clientId } from '../../support/simClient.js';
import { startStack, type Stack } from '../../support/stack.js';

const tenantId = id('tenant-fleet');
const adminsGroup = id('g-admins');
const viewersGroup = id('g-viewers');
const users = ['admin', 'viewer', 'ann', 'ben', 'cat'].map((name) => ({ id: id(name), userPrincipalName: `${name}@contoso.test`, displayName: name }));
const device = (name: string, owner: string, operatingSystem: 'iOS' | 'Android') => ({
  id: id(`dev-${name}`),
  userId: id(owner),
  deviceName: name,
  operatingSystem,
  osVersion: operatingSystem === 'Android' ? '14' : '17.5',
  azureADDeviceId: id(`aad-${name}`),
  entraObjectId: id(`obj-${name}`),
});

let stack: Stack | undefined;
let sim: Simulator;
let host: LocalHost;
let tables: TableStore;
let adminToken: string;
let viewerToken: string;

beforeAll(async () => {
  const scenario = parseScenario({
    app: { clientId },
    consentedTenants: [tenantId],
    tenants: [
      {
        id: tenantId,
        displayName: 'Contoso',
        users,
        groups: [
          { id: adminsGroup, displayName: 'MTD Admins', members: [id('admin')] },
          { id: viewersGroup, displayName: 'MTD Viewers', members: [id('viewer')] },
          { id: id('g-mobile'), displayName: 'Mobile Users', members: [id('ann'), id('ben')] },
          { id: id('g-field'), displayName: 'Field', members: [id('ben'), id('cat')] },
          { id: id('g-nobody'), displayName: 'Nobody Yet', members: [] },
        ],
        managedDevices: [device('ann-phone', 'ann', 'iOS'), device('ben-phone', 'ben', 'Android'), device('cat-phone', 'cat', 'Android')],
      },
    ],
  });
  stack = await startStack({ scenario, tenants: [{ tenantId, fullAccessGroupId: adminsGroup, restrictedAccessGroupId: viewersGroup }] });
  ({ sim, host, tables } = stack);
  await addEnrollmentGroupRow(tables, tenantId, 'Mobile Users');
  await addEnrollmentGroupRow(tables, tenantId, 'Field');
  await addEnrollmentGroupRow(tables, tenantId, 'Nobody Yet');
  adminToken = await sim.state.mintUserToken({ tenantId, userId: id('admin') });
  viewerToken = await sim.state.mintUserToken({ tenantId, userId: id('viewer') });
  const sync = await fetch(`${host.url}/api/v1/console/enrollment/sync`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
  expect(sync.status).toBe(202);
  await host.queues.get('tenant-jobs')?.drain({ timeoutMs: 20_000 });
  expect(await getTenant(tables, tenantId)).toMatchObject({ lastEnrollmentSyncResult: 'ok' });
});

afterAll(async () => {
  await stack?.stop();
});

async function get(path: string, token: string): Promise<Response> {
  return fetch(`${host.url}/api/${path}`, { headers: { authorization: `Bearer ${token}` } });
}

function strictCsv(text: string): string[][] {
  // Strict: every record has the header's number of fields, quotes are well formed.
  const records: unknown = parse(text, { relax_quotes: false, relax_column_count: false, skip_empty_lines: false, bom: false });
  return z.array(z.array(z.string())).parse(records);
}

describe('console: summary, coverage and exports', () => {
  it('summarises the whole fleet for restricted users too', async () => {
    const annPhone = id('dev-ann-phone');
    await mutateDevice(tables, tenantId, annPhone, (current) => ({ ...current, status: 'active', riskLevel: 'high', activatedAt: '2026-03-01T10:00:00.000Z' }));
    const response = await get('v1/console/summary', viewerToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      devices: {
        total: 3,
        byStatus: { pending: 2, active: 1, disconnected: 0, deactivated: 0 },
        byRisk: { none: 2, low: 0, medium: 0, high: 1 },
        // Ann's phone was activated without a device key or an attestation.
        trust: { keyBound: 0, notKeyBound: 1, attestation: { verified: 0, failed: 0, absent: 1, notChecked: 0 } },
      },
      openThreats: { byClassification: {} },
    });
  });

  it('shows coverage per enrollment group and in total, with pending devices by age', async () => {
    const response = await get('v1/console/coverage', viewerToken);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { total: unknown; groups: { displayName: string }[] };
    expect(body.total).toEqual({ byStatus: { pending: 2, active: 1, disconnected: 0, deactivated: 0 }, pendingByAge: { under1d: 2, days1to7: 0, over7d: 0 } });
    expect(body.groups).toEqual([
      { displayName: 'Field', configured: true, byStatus: { pending: 2, active: 0, disconnected: 0, deactivated: 0 }, pendingByAge: { under1d: 2, days1to7: 0, over7d: 0 } },
      { displayName: 'Mobile Users', configured: true, byStatus: { pending: 1, active: 1, disconnected: 0, deactivated: 0 }, pendingByAge: { under1d: 1, days1to7: 0, over7d: 0 } },
      { displayName: 'Nobody Yet', configured: true, byStatus: { pending: 0, active: 0, disconnected: 0, deactivated: 0 }, pendingByAge: { under1d: 0, days1to7: 0, over7d: 0 } },
    ]);
  });

  it('exports the devices matching the filters as CSV a strict parser accepts, formulas defused', async () => {
    const benPhone = id('dev-ben-phone');
    await tables.table('devices').updateEntity({ partitionKey: devicePartitionKey(tenantId, benPhone), rowKey: benPhone, deviceName: '=HYPERLINK("http://x","ben, "phone"")' }, 'Merge');
    // The open threats come from the device's `s|` row, as in the list.
    await tables.table('threats').upsertEntity({ partitionKey: devicePartitionKey(tenantId, id('dev-ann-phone')), rowKey: sequenceRowKey(id('dev-ann-phone')), openThreats: 2 });
    const response = await get('v1/console/devices/export?format=csv', viewerToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="devices-[0-9T-]+Z\.csv"$/);
    const rows = strictCsv(await response.text());
    expect(rows[0]).toEqual([...deviceCsvColumns]);
    expect(rows).toHaveLength(4);
    const byId = new Map(rows.slice(1).map((row) => [row[0], Object.fromEntries(deviceCsvColumns.map((column, n) => [column, row[n]]))]));
    expect(byId.get(benPhone)).toMatchObject({ deviceName: `'=HYPERLINK("http://x","ben, "phone"")`, platform: 'android', status: 'pending', openThreats: '0' });
    expect(byId.get(id('dev-ann-phone'))).toMatchObject({ status: 'active', riskLevel: 'high', userPrincipalName: 'ann@contoso.test', openThreats: '2' });

    const android = strictCsv(await (await get('v1/console/devices/export?format=csv&platform=android&status=pending', adminToken)).text());
    expect(android.slice(1).map((row) => row[0]).sort()).toEqual([benPhone, id('dev-cat-phone')].sort());
  });

  it('refuses an export without format=csv or with a bad filter, as a problem', async () => {
    for (const query of ['', '?format=xlsx', '?format=csv&status=lost']) {
      const response = await get(`v1/console/devices/export${query}`, viewerToken);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it("shows Intune's own view of a device beside ours, read from Graph and reused", async () => {
    const annPhone = id('dev-ann-phone');
    const first = await get(`v1/console/devices/${annPhone}`, viewerToken);
    expect(first.status).toBe(200);
    const body = (await first.json()) as { intune: { readAt: string; lastSyncDateTime: string | null } | null; intuneUnavailable: string | null };
    expect(body.intuneUnavailable).toBeNull();
    expect(body.intune).toMatchObject({ complianceState: 'compliant', partnerReportedThreatState: 'unknown' });
    expect(typeof body.intune?.lastSyncDateTime).toBe('string');
    // Reused: the same read answers the next page load.
    const again = (await (await get(`v1/console/devices/${annPhone}`, adminToken)).json()) as { intune: { readAt: string } | null };
    expect(again.intune?.readAt).toBe(body.intune?.readAt);
  });

  it('exports the whole audit log to full-access users only', async () => {
    const at = new Date('2026-03-02T10:00:00.000Z');
    await tables.table('auditLog').createEntity({
      partitionKey: tenantId,
      rowKey: auditRowKey(at),
      at: at.toISOString(),
      actorId: id('admin'),
      actorName: '@admin',
      action: 'connector.update',
      target: 'connector',
      before: JSON.stringify({ disconnectedAfterDays: 7 }),
      after: JSON.stringify({ disconnectedAfterDays: 3, note: 'a, "quoted"\nline' }),
      outcome: 'applied',
    });
    expect((await get('v1/console/audit-log/export?format=csv', viewerToken)).status).toBe(403);
    const response = await get('v1/console/audit-log/export?format=csv', adminToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-log-[0-9T-]+Z\.csv"$/);
    const rows = strictCsv(await response.text());
    expect(rows[0]).toEqual([...auditCsvColumns]);
    const entry = rows.find((row) => row[2] === 'connector.update');
    expect(entry).toEqual([at.toISOString(), "'@admin", 'connector.update', 'connector', '{"disconnectedAfterDays":7}', '{"disconnectedAfterDays":3,"note":"a, \\"quoted\\"\\nline"}']);
  });
});

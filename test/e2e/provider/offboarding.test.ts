/**
 * Offboarding through the local host: `DELETE /api/v1/provider/tenants/{id}` answers the job, the tenant's requests
 * are refused while it runs, its devices are told `deactivated` in Intune and their Entra attribute cleared, and
 * afterwards no row of any table names the tenant (only the provider's own audit entries and billing counters),
 * while another tenant's rows are untouched.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableNames } from '../../../shared/storage/index.js';
import { createTenantDueRows, makeTenantJobsDue } from '../../../shared/jobs/request.js';
import { backfillPartition, backfillRowKey } from '../../../shared/jobs/backfill.js';
import { offboardedTables } from '../../../shared/provider/offboarding.js';
import { runTenantJob } from '../../../shared/app/tenantJobs.js';
import { mutateDevice } from '../../../shared/devices/deviceRepository.js';
import { complianceQueueName, sendNudges } from '../../../shared/devices/complianceNudges.js';
import { rowsNaming, seedEveryTable, startProviderHarness, type ProviderHarness } from './harness.js';

let h: ProviderHarness;
const other = randomUUID();
let deviceToken = '';

beforeAll(async () => {
  h = await startProviderHarness({ phones: 4 });
  await h.activatePhones();
  // One agent activated through the API, holding its device credential.
  const phone = h.phones[0];
  const activated = await h.call('POST', '/api/v1/device/activate', {
    token: await h.token(phone?.user ?? 'ann'),
    body: { intuneDeviceId: phone?.deviceId, platform: 'ios', osVersion: '17.5', appVersion: '1.0.0' },
  });
  if (activated.status !== 200) throw new Error(`activation answered ${activated.status}: ${activated.text}`);
  deviceToken = String((activated.body as { deviceToken: string }).deviceToken);
  // Its schedule, as provisioning and consent leave it.
  await createTenantDueRows(h.services, h.tenantId);
  await makeTenantJobsDue(h.services, h.tenantId);
  // A row in every table, in the tenant's own partition and in a `{tenantId}|xx` one, and the same for another tenant.
  await seedEveryTable(h.tables, h.tenantId, offboardedTables);
  await seedEveryTable(h.tables, other, offboardedTables);
  // The due-time backfill's marker, its walk having stopped at this tenant.
  await h.tables.table('jobSchedule').upsertEntity({ partitionKey: backfillPartition, rowKey: backfillRowKey, done: true, cursor: h.tenantId, tenants: 1 });
}, 120_000);
afterAll(async () => h.close());

describe('the provider routes', () => {
  const fresh = randomUUID();

  it('lists a provisioned tenant at once, and records who provisioned it', async () => {
    const created = await h.call('POST', '/api/v1/provider/tenants', {
      body: { tenantId: fresh, displayName: 'Fabrikam', fullAccessGroupId: randomUUID(), primaryContactEmail: 'it@fabrikam.test' },
    });
    expect(created.status).toBe(201);
    const list = await h.call('GET', '/api/v1/provider/tenants?status=provisioned');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      items: [{ tenantId: fresh, displayName: 'Fabrikam', status: 'provisioned', health: 'unknown', devices: { total: 0, active: 0, pending: 0 }, lastDiscoveryAt: null, lastHeartbeatAt: null }],
      nextCursor: null,
    });
    const log = await h.call('GET', '/api/v1/provider/audit-log');
    expect((log.body as { items: unknown[] }).items[0]).toMatchObject({
      action: 'tenant.provision',
      tenant: { tenantId: fresh, displayName: 'Fabrikam' },
      actor: { kind: 'functionKey', name: 'Provider support (function key)' },
    });
    expect((await h.call('GET', '/api/v1/provider/tenants', { key: false })).status).toBe(401);
    expect((await h.call('GET', '/api/v1/provider/tenants?health=sick')).status).toBe(400);
  });

  it('shows health and device counts after the hourly job, and usage for billing in JSON and CSV', async () => {
    const result = await runTenantJob(h.services, { job: 'connector-heartbeat', tenantId: h.tenantId, dueMs: Date.now() }, { messageId: randomUUID(), deliveryCount: 1 });
    expect(result.status).toBe('completed');
    const list = await h.call('GET', '/api/v1/provider/tenants?status=active');
    const item = (list.body as { items: { tenantId: string; health: string; devices: unknown; lastHeartbeatAt: string | null }[] }).items.find(
      (entry) => entry.tenantId === h.tenantId,
    );
    expect(item).toMatchObject({ devices: { total: 4, active: 4, pending: 0 }, lastHeartbeatAt: expect.any(String) as string });
    expect(item?.health).not.toBe('unknown');

    const month = new Date().toISOString().slice(0, 7);
    const usage = await h.call('GET', `/api/v1/provider/usage?month=${month}`);
    expect(usage.status).toBe(200);
    expect(usage.body).toEqual({ month, items: [{ tenantId: h.tenantId, displayName: 'Contoso', peakActiveDevices: 4, averageActiveDevices: 4, daysCounted: 1 }] });
    const csv = await h.call('GET', `/api/v1/provider/usage?month=${month}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="usage-${month}.csv"`);
    expect(csv.text).toBe(`month,tenantId,displayName,peakActiveDevices,averageActiveDevices,daysCounted\r\n${month},${h.tenantId},Contoso,4,4,1\r\n`);
    expect((await h.call('GET', '/api/v1/provider/usage?month=2026-13')).status).toBe(400);
  });
});

describe('offboarding a tenant', () => {
  let jobId = '';

  it('answers 202 with the job, and the same job to a second DELETE', async () => {
    const first = await h.call('DELETE', `/api/v1/provider/tenants/${h.tenantId}`);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ id: expect.stringMatching(/^ob-/) as unknown, status: 'running', phase: 'deactivate' });
    jobId = (first.body as { id: string }).id;
    const second = await h.call('DELETE', `/api/v1/provider/tenants/${h.tenantId}`);
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ id: jobId, status: 'running' });
    expect((await h.call('DELETE', `/api/v1/provider/tenants/${randomUUID()}`)).status).toBe(404);
  });

  it('shows the tenant offboarding, with its progress, in its record and the tenant list', async () => {
    const details = await h.call('GET', `/api/v1/provider/tenants/${h.tenantId}`);
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({ status: 'offboarding', offboarding: { id: jobId, status: 'running', phase: 'deactivate', rowsDeleted: 0 } });
    const list = await h.call('GET', '/api/v1/provider/tenants?status=offboarding');
    expect((list.body as { items: { tenantId: string }[] }).items.map((item) => item.tenantId)).toContain(h.tenantId);
  });

  it('refuses the tenant console, agent and feed requests with 410', async () => {
    const admin = await h.token('admin');
    const ann = await h.token('ann');
    const activation = { intuneDeviceId: h.phones[0]?.deviceId, platform: 'ios', osVersion: '17.5', appVersion: '1.0.0' };
    for (const [method, path, token, body] of [
      ['GET', '/api/v1/console/me', admin, undefined],
      ['GET', '/api/v1/events', admin, undefined],
      ['POST', '/api/v1/device/activate', ann, activation],
      ['POST', '/api/v1/device/heartbeat', deviceToken, {}],
    ] as const) {
      const answer = await h.call(method, path, { token, ...(body !== undefined ? { body } : {}) });
      expect(answer.status, path).toBe(410);
      expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(answer.body).toMatchObject({ status: 410, type: expect.stringContaining('tenant-offboarding') as unknown });
    }
  });

  it('pushes nothing more for the tenant: a nudge in flight does not undo the deactivation', async () => {
    const phone = h.phones[1];
    if (!phone) throw new Error('no phone');
    const write = await mutateDevice(h.tables, h.tenantId, phone.deviceId, (current) => (current ? { ...current, riskLevel: 'high', hasReport: true } : undefined), undefined, new Date());
    if (!write) throw new Error('device not found');
    await sendNudges(h.services.queues, [{ tenantId: h.tenantId, deviceId: phone.deviceId, version: write.after.version }]);
    await h.host.queues.get(complianceQueueName)?.drain({ timeoutMs: 20_000 });
    expect(h.intuneState(phone.deviceId)).toBe('activated');
    expect(h.entraValue(phone)).toBe('activated');
  });

  it('tells Intune deactivated, clears the Entra attribute, then deletes every row of the tenant', async () => {
    await h.releaseOffboarding();
    await h.until(async () => (await h.call('GET', `/api/v1/provider/tenants/${h.tenantId}`)).status === 404, 60_000);
    for (const phone of h.phones) {
      expect(h.intuneState(phone.deviceId)).toBe('deactivated');
      expect(h.entraValue(phone)).toBeNull();
    }
    // Nothing names the tenant in any table but the provider's own records (audit entries, billing counters).
    const left = await rowsNaming(h.tables, h.tenantId, tableNames.filter((name) => name !== 'providerAudit' && name !== 'providerUsage'));
    expect(left).toEqual({});
    // The other tenant's rows are all there.
    const kept = await rowsNaming(h.tables, other, offboardedTables);
    for (const name of offboardedTables) expect(kept[name], name).toHaveLength(2);
    expect((await h.call('DELETE', `/api/v1/provider/tenants/${h.tenantId}`)).status).toBe(404);
    const list = await h.call('GET', '/api/v1/provider/tenants');
    expect((list.body as { items: { tenantId: string }[] }).items.map((item) => item.tenantId)).not.toContain(h.tenantId);
  });

  it('records the start and the completion in the provider audit log, with the actor', async () => {
    const log = await h.call('GET', '/api/v1/provider/audit-log');
    expect(log.status).toBe(200);
    const items = (log.body as { items: { action: string; tenant: { tenantId: string }; actor: { kind: string }; detail: string | null }[] }).items.filter(
      (item) => item.tenant.tenantId === h.tenantId,
    );
    expect(items.map((item) => item.action)).toEqual(['tenant.offboard.complete', 'tenant.offboard.start']);
    expect(items.every((item) => item.actor.kind === 'functionKey')).toBe(true);
    expect(items[0]?.detail).toContain('4 devices deactivated');
  });
});

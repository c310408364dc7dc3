/**
 * Risk overrides and app rules through the local host: validation, access levels, audit and events; Intune and Entra ID
 * told the override's level and back after DELETE or at expiry (through the due-time index, also after a restart of
 * the host); app rules grading reports and re-grading open threats of their package; the limit of 1,000 rules.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDue } from '../../../shared/jobs/dueIndex.js';
import { maxAppRules } from '../../../shared/tenants/appRules.js';
import { submitInBatches, type TransactionAction } from '../../../shared/storage/index.js';
import { readTenantConfig } from '../../../shared/tenants/tenantConfig.js';
import type { LocalHost } from '../../../dev/host/server.js';
import { activate, call, startComplianceHarness, type ComplianceHarness, type PhoneSpec } from './harness.js';

let h: ComplianceHarness;
let admin: string;
let reader: string;
let ann: string;
let sequence = 1_000;

function phone(index: number): PhoneSpec {
  const found = h.phones[index];
  if (!found) throw new Error(`no phone ${index}`);
  return found;
}

/** A report of the complete set of open threats, with package names where given. */
function threatReport(threats: { id: string; classification: string; packageName?: string }[]): Record<string, unknown> {
  sequence += 1;
  return {
    reportId: randomUUID(),
    sequence,
    observedAt: new Date().toISOString(),
    threats: threats.map((threat) => ({ ...threat, detectedAt: '2026-03-01T09:00:00Z' })),
  };
}

const inHours = (hours: number): string => new Date(Date.now() + hours * 3_600_000).toISOString();

async function events(host: LocalHost, type: string): Promise<Record<string, unknown>[]> {
  const answer = await call(host, 'GET', `v1/events?limit=1000&types=${type}`, admin);
  expect(answer.status).toBe(200);
  return answer.body.items as Record<string, unknown>[];
}

async function auditActions(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const row of h.tables.table('auditLog').listEntities()) rows.push(row);
  return rows;
}

async function followRegrade(host: LocalHost, id: string): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await h.until(async () => {
    const answer = await call(host, 'GET', `v1/console/threat-classifications/regrades/${id}`, reader);
    expect(answer.status).toBe(200);
    last = answer.body;
    return answer.body.status === 'completed';
  }, 30_000);
  return last;
}

beforeAll(async () => {
  h = await startComplianceHarness({ phones: 5 });
  admin = await h.token('admin');
  reader = await h.token('reader');
  ann = await h.token('ann');
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('risk overrides', () => {
  it('refuses bad input with problem+json and stores nothing', async () => {
    const target = phone(0);
    await h.seed(target);
    const path = `v1/console/devices/${target.deviceId}/override`;
    const bad: unknown[] = [
      {},
      { riskLevel: 'none', reason: '', expiresAt: inHours(1) },
      { riskLevel: 'none', reason: 'x'.repeat(501), expiresAt: inHours(1) },
      { riskLevel: 'severe', reason: 'why', expiresAt: inHours(1) },
      { riskLevel: 'none', reason: 'why', expiresAt: 'tomorrow' },
      { riskLevel: 'none', reason: 'why', expiresAt: inHours(-1) },
      { riskLevel: 'none', reason: 'why', expiresAt: inHours(24 * 30 + 1) },
      { riskLevel: 'none', reason: 'why', expiresAt: inHours(1), extra: true },
    ];
    for (const body of bad) {
      const answer = await call(h.host, 'PUT', path, admin, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ status: 400, type: expect.any(String) as string });
    }
    expect((await h.device(target.deviceId)).overrideRiskLevel).toBeUndefined();
    expect((await call(h.host, 'PUT', `v1/console/devices/${randomUUID()}/override`, admin, { riskLevel: 'none', reason: 'why', expiresAt: inHours(1) })).status).toBe(404);
  });

  it('lets full access set one: the level follows at once, Intune and Entra ID are told, audited, evented; DELETE ends it', async () => {
    const target = phone(0);
    const credential = await activate(h, target);
    expect((await call(h.host, 'POST', 'v1/device/threat-report', credential, threatReport([{ id: 't1', classification: 'TROJAN' }]))).status).toBe(202);
    await h.drain();
    await h.until(() => h.intuneState(target.deviceId) === 'highSeverity');
    const path = `v1/console/devices/${target.deviceId}/override`;
    const body = { riskLevel: 'none', reason: 'CEO boarding a plane; HD-4711', expiresAt: inHours(2) };

    // Restricted users and users without access change nothing.
    expect((await call(h.host, 'PUT', path, reader, body)).status).toBe(403);
    expect((await call(h.host, 'PUT', path, ann, body)).status).toBe(403);
    expect((await call(h.host, 'DELETE', path, reader)).status).toBe(403);
    expect((await h.device(target.deviceId)).overrideRiskLevel).toBeUndefined();

    const answer = await call(h.host, 'PUT', path, admin, body);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      override: {
        riskLevel: 'none',
        reason: body.reason,
        expiresAt: new Date(body.expiresAt).toISOString(),
        createdBy: 'admin',
        createdAt: expect.any(String) as string,
      },
    });
    const row = await h.device(target.deviceId);
    expect(row).toMatchObject({ riskLevel: 'none', threatRiskLevel: 'high', overrideRiskLevel: 'none' });
    await h.drain();
    await h.until(() => h.intuneState(target.deviceId) === 'secured');
    expect(h.entraAttribute(target, 'extensionAttribute5')).toBe('secured');

    // Both access levels see it on the device page.
    const detail = await call(h.host, 'GET', `v1/console/devices/${target.deviceId}`, reader);
    expect(detail.body.override).toMatchObject({ riskLevel: 'none', reason: body.reason, createdBy: 'admin' });
    expect(detail.body.device).toMatchObject({ riskLevel: 'none' });

    // A report while it lasts keeps the override's level (the threats' level is kept beside it).
    const during = await call(h.host, 'POST', 'v1/device/threat-report', credential, threatReport([{ id: 't2', classification: 'PHISHING' }]));
    expect(during.body).toMatchObject({ riskLevel: 'none', applied: true });
    expect(await h.device(target.deviceId)).toMatchObject({ riskLevel: 'none', threatRiskLevel: 'medium' });
    await h.drain();
    expect(h.intuneState(target.deviceId)).toBe('secured');

    await h.until(async () => (await events(h.host, 'device.override_started')).length === 1);
    const [started] = await events(h.host, 'device.override_started');
    expect(started?.data).toMatchObject({
      device: { deviceId: target.deviceId, riskLevel: 'none' },
      override: { riskLevel: 'none', reason: body.reason, createdBy: 'admin' },
    });
    expect(await auditActions()).toContainEqual(expect.objectContaining({ action: 'device.override.set', target: target.deviceId, outcome: 'applied' }));

    const ended = await call(h.host, 'DELETE', path, admin);
    expect(ended.status).toBe(204);
    const back = await h.device(target.deviceId);
    expect(back).toMatchObject({ riskLevel: 'medium', threatRiskLevel: 'medium', overrideEndedBy: 'admin' });
    expect(back.overrideRiskLevel).toBeUndefined();
    await h.drain();
    await h.until(() => h.intuneState(target.deviceId) === 'mediumSeverity');
    expect(h.entraAttribute(target, 'extensionAttribute5')).toBe('medium');
    expect((await call(h.host, 'GET', `v1/console/devices/${target.deviceId}`, admin)).body.override).toBeUndefined();
    await h.until(async () => (await events(h.host, 'device.override_ended')).length === 1);
    const [endedEvent] = await events(h.host, 'device.override_ended');
    expect(endedEvent?.data).toMatchObject({ device: { riskLevel: 'medium' }, override: { riskLevel: 'none' }, endedBy: 'admin' });
    expect(await auditActions()).toContainEqual(expect.objectContaining({ action: 'device.override.end', target: target.deviceId, outcome: 'applied' }));
    expect((await call(h.host, 'DELETE', path, admin)).status).toBe(404);
  });
});

describe('app rules', () => {
  it('validates, lets both access levels read and only full access write', async () => {
    expect((await call(h.host, 'GET', 'v1/console/app-rules', reader)).body).toEqual({ items: [], limit: maxAppRules });
    expect((await call(h.host, 'PUT', 'v1/console/app-rules/com.example.tool', reader, { riskLevel: 'none', reason: 'ours' })).status).toBe(403);
    for (const [name, body] of [
      ['com.example.tool', { riskLevel: 'none' }],
      ['com.example.tool', { riskLevel: 'none', reason: '' }],
      ['com.example.tool', { riskLevel: 'nope', reason: 'ours' }],
      ['com.example.tool', { riskLevel: 'none', reason: 'ours', other: 1 }],
      ['bad%20name', { riskLevel: 'none', reason: 'ours' }],
      ['.starts.with.dot', { riskLevel: 'none', reason: 'ours' }],
      ['x'.repeat(256), { riskLevel: 'none', reason: 'ours' }],
    ] as const) {
      const answer = await call(h.host, 'PUT', `v1/console/app-rules/${name}`, admin, body);
      expect(answer.status, `${name} ${JSON.stringify(body)}`).toBe(400);
    }
    expect((await call(h.host, 'GET', 'v1/console/app-rules', admin)).body.items).toEqual([]);
    expect((await call(h.host, 'DELETE', 'v1/console/app-rules/com.example.none', admin)).status).toBe(404);
  });

  it('allows a flagged app and denies another: reports, previews and re-grades of open threats use the rules', async () => {
    const flagged = phone(2);
    const quiet = phone(3);
    for (const target of [flagged, quiet]) await h.seed(target);
    const flaggedCredential = await activate(h, flagged);
    const quietCredential = await activate(h, quiet);
    // RISKWARE (low) and SIDELOADED_APP (none) by default.
    expect((await call(h.host, 'POST', 'v1/device/threat-report', flaggedCredential, threatReport([{ id: 'r1', classification: 'TROJAN', packageName: 'com.example.fieldservice' }]))).status).toBe(202);
    expect((await call(h.host, 'POST', 'v1/device/threat-report', quietCredential, threatReport([{ id: 's1', classification: 'SIDELOADED_APP', packageName: 'com.example.game' }]))).status).toBe(202);
    await h.drain();
    await h.until(() => h.intuneState(flagged.deviceId) === 'highSeverity' && h.intuneState(quiet.deviceId) === 'secured');

    const preview = await call(h.host, 'POST', 'v1/console/app-rules/preview', reader, { packageName: 'com.example.fieldservice', riskLevel: 'none' });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ devicesChanged: 1, byChange: { 'high→none': 1 } });
    expect((await h.device(flagged.deviceId)).riskLevel).toBe('high');

    const allow = await call(h.host, 'PUT', 'v1/console/app-rules/com.example.fieldservice', admin, { riskLevel: 'none', reason: 'our own app' });
    expect(allow.status).toBe(200);
    expect(allow.body).toMatchObject({
      item: { packageName: 'com.example.fieldservice', riskLevel: 'none', reason: 'our own app', updatedBy: 'admin' },
      regrade: { status: 'running', packages: ['com.example.fieldservice'] },
    });
    const deny = await call(h.host, 'PUT', 'v1/console/app-rules/com.example.game', admin, { riskLevel: 'high', reason: 'not allowed here' });
    expect(deny.status).toBe(200);

    const allowJob = await followRegrade(h.host, String((allow.body.regrade as { id: string }).id));
    expect(allowJob).toMatchObject({ devicesChanged: 1, devicesTotal: 1 });
    await followRegrade(h.host, String((deny.body.regrade as { id: string }).id));
    await h.drain();
    await h.until(() => h.intuneState(flagged.deviceId) === 'secured' && h.intuneState(quiet.deviceId) === 'highSeverity');
    expect((await h.device(flagged.deviceId)).riskLevel).toBe('none');
    expect((await h.device(quiet.deviceId)).riskLevel).toBe('high');

    // The agent's next report is graded with the rules too.
    const again = await call(h.host, 'POST', 'v1/device/threat-report', flaggedCredential, threatReport([{ id: 'r1', classification: 'TROJAN', packageName: 'com.example.fieldservice' }, { id: 'r2', classification: 'ADWARE', packageName: 'com.example.game' }]));
    expect(again.body).toMatchObject({ riskLevel: 'high' });

    const listed = await call(h.host, 'GET', 'v1/console/app-rules', reader);
    expect((listed.body.items as { packageName: string }[]).map((rule) => rule.packageName)).toEqual(['com.example.fieldservice', 'com.example.game']);
    expect(await auditActions()).toContainEqual(expect.objectContaining({ action: 'appRule.put', target: 'com.example.game', outcome: 'applied' }));

    // Deleting the deny rule re-grades its devices back to the policy.
    const removed = await call(h.host, 'DELETE', 'v1/console/app-rules/com.example.game', admin);
    expect(removed.status).toBe(200);
    await followRegrade(h.host, String((removed.body.regrade as { id: string }).id));
    await h.drain();
    await h.until(() => h.intuneState(quiet.deviceId) === 'secured');
    expect((await h.device(flagged.deviceId)).riskLevel).toBe('low');
  });

  it(`holds at most ${maxAppRules} rules per tenant, also under concurrent writes`, async () => {
    // Rules up to 8 short of the limit, written as the rule writes leave them (rows and the tenant row's count).
    const existing = (await readTenantConfig(h.tables, h.tenantId)).appRuleCount;
    const seeded = maxAppRules - 8 - existing;
    const rows = Array.from({ length: seeded }, (_unused, index) => ({
      partitionKey: h.tenantId,
      rowKey: `com.example.seeded${index}`,
      packageName: `com.example.seeded${index}`,
      riskLevel: 'low',
      reason: 'seeded',
      updatedAt: new Date().toISOString(),
      updatedBy: 'admin',
    }));
    await submitInBatches(h.tables.table('appRules'), rows.map((row): TransactionAction => ['create', row]));
    await h.tables.table('tenants').updateEntity({ partitionKey: h.tenantId, rowKey: 'tenant', appRuleCount: existing + seeded }, 'Merge');

    // 20 new rules at once: exactly 8 fit.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_unused, index) => call(h.host, 'PUT', `v1/console/app-rules/com.example.new${index}`, admin, { riskLevel: 'low', reason: 'new' })),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(8);
    expect(statuses.filter((status) => status === 409)).toHaveLength(12);
    const refused = answers.find((answer) => answer.status === 409);
    expect(refused?.body).toMatchObject({ status: 409, detail: expect.stringContaining('1000') as string });
    const listed = await call(h.host, 'GET', 'v1/console/app-rules', admin);
    expect(listed.body.items as unknown[]).toHaveLength(maxAppRules);
    expect((await readTenantConfig(h.tables, h.tenantId)).appRuleCount).toBe(maxAppRules);
    // Replacing an existing rule is still allowed at the limit; a deletion makes room for one more.
    expect((await call(h.host, 'PUT', 'v1/console/app-rules/com.example.seeded0', admin, { riskLevel: 'medium', reason: 'changed' })).status).toBe(200);
    expect((await call(h.host, 'PUT', 'v1/console/app-rules/com.example.one-more', admin, { riskLevel: 'low', reason: 'new' })).status).toBe(409);
    expect((await call(h.host, 'DELETE', 'v1/console/app-rules/com.example.seeded1', admin)).status).toBe(200);
    expect((await call(h.host, 'PUT', 'v1/console/app-rules/com.example.one-more', admin, { riskLevel: 'low', reason: 'new' })).status).toBe(200);
    await h.drain();
  }, 120_000);
});

// Last: it restarts the host.
describe('risk override expiry', () => {
  it('ends at expiresAt through the due-time index, also when the host that set it has stopped', async () => {
    const target = phone(1);
    await h.seed(target);
    const credential = await activate(h, target);
    expect((await call(h.host, 'POST', 'v1/device/threat-report', credential, threatReport([{ id: 'a1', classification: 'ADWARE' }]))).status).toBe(202);
    await h.drain();
    await h.until(() => h.intuneState(target.deviceId) === 'lowSeverity');

    const expiresAt = new Date(Date.now() + 3_000).toISOString();
    const answer = await call(h.host, 'PUT', `v1/console/devices/${target.deviceId}/override`, admin, { riskLevel: 'high', reason: 'under investigation', expiresAt });
    expect(answer.status).toBe(200);
    await h.drain();
    await h.until(() => h.intuneState(target.deviceId) === 'highSeverity');
    // The tenant's expiry job is due when the override ends: nothing else keeps the schedule.
    expect((await readDue(h.tables, h.tenantId, 'override-expiry'))?.dueMs).toBe(Date.parse(expiresAt));

    // The host restarts: a new one on the same tables, nothing in memory.
    await h.host.close();
    const restarted = await h.stack.addHost();
    await h.until(() => Date.now() > Date.parse(expiresAt), 10_000);
    await restarted.host.fireTimer('overrideExpiry');
    await restarted.host.queues.get('tenant-jobs')?.drain({ timeoutMs: 20_000 });
    const ended = await h.device(target.deviceId);
    expect(ended).toMatchObject({ riskLevel: 'low', overrideEndedBy: 'expiry' });
    expect(ended.overrideRiskLevel).toBeUndefined();
    await restarted.host.queues.get('compliance-updates')?.drain({ timeoutMs: 20_000 });
    await h.until(() => h.intuneState(target.deviceId) === 'lowSeverity');
    await h.until(async () => (await events(restarted.host, 'device.override_ended')).some((event) => (event.data as { endedBy?: string }).endedBy === 'expiry'));
    // Nothing left due but parked: the job runs again only when another override is set.
    expect((await readDue(h.tables, h.tenantId, 'override-expiry'))?.dueMs).toBeGreaterThan(Date.now() + 86_400_000);
  });
});

/**
 * Changing a classification's risk level re-grades exactly the devices with an open threat of it (found through the
 * threat index), pushes only those whose level changed, alerts on a rise; the preview computes the same and
 * changes nothing.
 */
import { devicePartitionKey } from '../../../shared/devices/device.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activate, call, report, startComplianceHarness, type ComplianceHarness, type PhoneSpec } from '../compliance/harness.js';
import { readOverrides } from '../../../shared/tenants/tenantConfig.js';

let h: ComplianceHarness;

function regradeId(body: Record<string, unknown>): string {
  const regrade = body.regrade;
  const id = regrade && typeof regrade === 'object' && 'id' in regrade ? regrade.id : undefined;
  if (typeof id !== 'string') throw new Error(`no regrade id in ${JSON.stringify(body)}`);
  return id;
}

/** Polls `GET .../regrades/{id}` until the job is completed; returns its last answer. */
async function followRegrade(id: string, token: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await call(h.host, 'GET', `v1/console/threat-classifications/regrades/${id}`, token);
    expect(answer.status).toBe(200);
    if (answer.body.status === 'completed') return answer.body;
    if (Date.now() > deadline) throw new Error(`re-grade ${id} still running: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
let admin: string;
let ann: string;
let phones: { trojanAdware: PhoneSpec; adware: PhoneSpec; phishing: PhoneSpec; clean: PhoneSpec; resolved: PhoneSpec };

function at(index: number): PhoneSpec {
  const found = h.phones[index];
  if (!found) throw new Error(`no phone ${index}`);
  return found;
}

beforeAll(async () => {
  h = await startComplianceHarness({ phones: 5 });
  admin = await h.token('admin');
  ann = await h.token('ann');
  phones = { trojanAdware: at(0), adware: at(1), phishing: at(2), clean: at(3), resolved: at(4) };
  const threats: Record<keyof typeof phones, { id: string; classification: string }[][]> = {
    trojanAdware: [[{ id: 'a', classification: 'TROJAN' }, { id: 'b', classification: 'ADWARE' }]],
    adware: [[{ id: 'c', classification: 'ADWARE' }]],
    phishing: [[{ id: 'd', classification: 'PHISHING' }]],
    clean: [[]],
    // An ADWARE threat that was open once and is resolved now.
    resolved: [[{ id: 'e', classification: 'ADWARE' }], []],
  };
  for (const [name, reports] of Object.entries(threats) as [keyof typeof phones, { id: string; classification: string }[][]][]) {
    const phone = phones[name];
    await h.seed(phone);
    const token = await activate(h, phone);
    for (const threatSet of reports) {
      const answer = await call(h.host, 'POST', 'v1/device/threat-report', token, report(threatSet));
      expect(answer.status).toBe(202);
    }
  }
  await h.drain();
});

afterAll(async () => {
  await h?.close();
});

async function etags(): Promise<Record<string, string | undefined>> {
  const result: Record<string, string | undefined> = {};
  for (const phone of h.phones) result[phone.deviceId] = (await h.device(phone.deviceId)).etag;
  return result;
}

describe('threat classifications', () => {
  it('lists every classification with its current and default level, for any console user', async () => {
    const answer = await call(h.host, 'GET', 'v1/console/threat-classifications', admin);
    expect(answer.status).toBe(200);
    const items = answer.body.items as { classification: string; category: string; riskLevel: string; defaultRiskLevel: string }[];
    expect(items).toHaveLength(36);
    expect(items).toContainEqual({ classification: 'ADWARE', category: 'application', riskLevel: 'low', defaultRiskLevel: 'low' });
    expect(items).toContainEqual({ classification: 'DEVICE_INTEGRITY_FAILED', category: 'device', riskLevel: 'high', defaultRiskLevel: 'high' });
    expect(items).toContainEqual({ classification: 'DEVICE_INTEGRITY_UNVERIFIED', category: 'device', riskLevel: 'low', defaultRiskLevel: 'low' });
    expect((await call(h.host, 'GET', 'v1/console/threat-classifications', ann)).status).toBe(403);
  });

  it('previews a change without changing anything', async () => {
    const before = await etags();
    const answer = await call(h.host, 'POST', 'v1/console/threat-classifications/preview', admin, { changes: { ADWARE: 'high', PHISHING: 'medium' } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      devicesChanged: 1,
      byChange: { 'low→high': 1 },
      sample: [{ deviceId: phones.adware.deviceId, deviceName: 'phone', from: 'low', to: 'high' }],
    });
    expect(await etags()).toEqual(before);
    expect(await readOverrides(h.tables, h.tenantId)).toEqual({});

    const bad = await call(h.host, 'POST', 'v1/console/threat-classifications/preview', admin, { changes: { NOT_A_THING: 'high' } });
    expect(bad.status).toBe(400);
  });

  it('re-grades only the devices with an open threat of the changed classification, pushes them and alerts on a rise', async () => {
    // A row whose stored level is stale but has no open threat of ADWARE: a re-grade through the index never sees it.
    await h.tables.table('devices').updateEntity({ partitionKey: devicePartitionKey(h.tenantId, phones.clean.deviceId), rowKey: phones.clean.deviceId, riskLevel: 'medium' }, 'Merge');
    const before = await etags();
    const writesBefore = h.intuneWrites();

    const restricted = await call(h.host, 'PUT', 'v1/console/threat-classifications/ADWARE', ann, { riskLevel: 'high' });
    expect(restricted.status).toBe(403);

    const answer = await call(h.host, 'PUT', 'v1/console/threat-classifications/ADWARE', admin, { riskLevel: 'high' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      item: { classification: 'ADWARE', category: 'application', riskLevel: 'high', defaultRiskLevel: 'low' },
      regrade: { id: expect.any(String) as string, status: 'running', devicesChanged: 0, devicesTotal: 0, classifications: ['ADWARE'], createdAt: expect.any(String) as string },
    });
    // The job, followed as the console does.
    const done = await followRegrade(regradeId(answer.body), admin);
    expect(done).toMatchObject({ status: 'completed', devicesChanged: 1, devicesTotal: 2, classifications: ['ADWARE'], completedAt: expect.any(String) as string });
    await h.drain();
    const after = await etags();
    expect(after[phones.adware.deviceId]).not.toBe(before[phones.adware.deviceId]);
    for (const phone of [phones.trojanAdware, phones.phishing, phones.clean, phones.resolved]) {
      expect(after[phone.deviceId], phone.deviceId).toBe(before[phone.deviceId]);
    }
    expect((await h.device(phones.adware.deviceId)).riskLevel).toBe('high');
    expect(h.intuneState(phones.adware.deviceId)).toBe('highSeverity');
    expect(h.entraAttribute(phones.adware, 'extensionAttribute5')).toBe('high');
    expect(h.intuneWrites() - writesBefore).toBe(1);

    const alerts = [];
    for await (const row of h.tables.table('notifications').listEntities()) {
      if (row.reason === 'regrade') alerts.push(row);
    }
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ deviceId: phones.adware.deviceId, classification: 'ADWARE', riskLevel: 'high' });

    const listed = await call(h.host, 'GET', 'v1/console/threat-classifications', admin);
    expect(listed.body.items).toContainEqual({ classification: 'ADWARE', category: 'application', riskLevel: 'high', defaultRiskLevel: 'low' });

    const audit = [];
    for await (const row of h.tables.table('auditLog').listEntities()) audit.push(row);
    expect(audit).toContainEqual(expect.objectContaining({ action: 'classification.update', target: 'ADWARE', outcome: 'applied' }));
  });

  it('answers 404 for a re-grade id the tenant does not have, and 400 for something that is no id', async () => {
    expect((await call(h.host, 'GET', 'v1/console/threat-classifications/regrades/rg-0000000000000-000000000000', admin)).status).toBe(404);
    expect((await call(h.host, 'GET', 'v1/console/threat-classifications/regrades/nope', admin)).status).toBe(400);
    expect((await call(h.host, 'GET', 'v1/console/threat-classifications/regrades/rg-0000000000000-000000000000', undefined)).status).toBe(401);
  });

  it('resets every classification to its default and re-grades back', async () => {
    const answer = await call(h.host, 'POST', 'v1/console/threat-classifications/reset', admin);
    expect(answer.status).toBe(200);
    expect(answer.body.regrade).toMatchObject({ status: 'running', classifications: ['ADWARE'] });
    expect(await followRegrade(regradeId(answer.body), admin)).toMatchObject({ status: 'completed', devicesChanged: 1 });
    await h.drain();
    expect((await h.device(phones.adware.deviceId)).riskLevel).toBe('low');
    expect(h.intuneState(phones.adware.deviceId)).toBe('lowSeverity');
    expect(await readOverrides(h.tables, h.tenantId)).toEqual({});
  });
});

/**
 * `GET /api/v1/console/health` through the local host, against the simulated tenant: a healthy tenant, consent
 * revoked (no app token: unhealthy) and granted again, a connector gone quiet (degraded well before Intune's
 * threshold, unhealthy past it), each change of the overall status delivered as a signed `connector.health_changed`
 * event and recorded in the error report the mail timer sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../dev/webhookReceiver.js';
import { tenantHealth } from '../../../shared/health/health.js';
import { createHealthRuntime } from '../../../shared/health/runtime.js';
import { updateTenantHealth } from '../../../shared/tenants/tenantRepository.js';
import { markDue } from '../../../shared/jobs/dueIndex.js';
import { verifiesWith } from '../../support/standardWebhooks.js';
import { call, startWebhookHarness, type WebhookHarness } from './harness.js';

let h: WebhookHarness;
let receiver: WebhookReceiver;
let secret: string;

interface Report {
  status: string;
  checks: { name: string; status: string; detail: string; checkedAt: string }[];
}

async function health(token = h.tokens.admin): Promise<Report> {
  const answer = await call(h.host, 'GET', 'v1/console/health', token);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as unknown as Report;
}

function check(report: Report, name: string) {
  return report.checks.find((item) => item.name === name);
}

function healthEvents(): { status: string; previous: string }[] {
  return receiver.received
    .filter((d) => (JSON.parse(d.body) as { type: string }).type === 'connector.health_changed')
    .map((d) => {
      expect(verifiesWith(secret, d.headers, d.body)).toBe(true);
      const event = JSON.parse(d.body) as { tenantId: string; data: { status: string; previous: string } };
      expect(event.tenantId).toBe(h.contoso);
      return { status: event.data.status, previous: event.data.previous };
    });
}

beforeAll(async () => {
  h = await startWebhookHarness({ healthTtlMs: 1 });
  receiver = await h.receiver();
  const now = new Date().toISOString();
  await updateTenantHealth(h.tables, h.contoso, { lastEnrollmentSyncAt: now, lastEnrollmentSyncResult: 'ok' });
  await h.tables.table('enrollmentGroups').upsertEntity({ partitionKey: h.contoso, rowKey: 'MTD-Pilot', displayName: 'MTD-Pilot', status: 'resolved', addedAt: now, addedBy: 'test' });
  h.sim.state.setConnector(h.contoso, { partnerState: 'enabled', lastHeartbeatDateTime: now });
  const settings = await call(h.host, 'PUT', 'v1/console/connector', h.tokens.admin, { errorReportRecipients: ['ops@contoso.test'] });
  expect(settings.status).toBe(200);
  const created = await call(h.host, 'POST', 'v1/console/webhooks', h.tokens.admin, { url: `${receiver.url}/health`, types: ['connector.health_changed'] });
  expect(created.status).toBe(201);
  secret = String(created.body.secret);
});

afterAll(async () => {
  await h?.close();
});

describe('connector health', () => {
  it('answers a console polling it from a brief cache, without asking Entra ID or Graph again', async () => {
    const services = h.stack.buildServices({ health: createHealthRuntime(h.stack.config, { ttlMs: 60_000 }) });
    const first = await tenantHealth(services, h.contoso);
    const before = h.sim.state.stats().total;
    const second = await tenantHealth(services, h.contoso);
    expect(second).toEqual(first);
    expect(h.sim.state.stats().total).toBe(before);
  });

  it('reports every check healthy for a tenant in good order, to both access levels', async () => {
    const report = await health(h.tokens.reader);
    expect(report.status, JSON.stringify(report)).toBe('healthy');
    expect(report.checks.map((item) => item.name)).toEqual(['consent', 'discovery', 'intuneConnector', 'pushBacklog', 'deadLetters', 'webhooks']);
    for (const item of report.checks) {
      expect(item.status, `${item.name}: ${item.detail}`).toBe('healthy');
      expect(Date.parse(item.checkedAt)).not.toBeNaN();
    }
    expect(check(report, 'intuneConnector')?.detail).toContain('7 days');
    expect(healthEvents()).toEqual([]);
  });

  it('turns unhealthy when consent is revoked and healthy again once granted, with an event and a mail each time', async () => {
    h.sim.state.revokeConsent(h.contoso);
    const revoked = await health();
    expect(revoked.status).toBe('unhealthy');
    expect(check(revoked, 'consent')).toMatchObject({ status: 'unhealthy', detail: expect.stringContaining('AADSTS700016') as unknown });
    await receiver.waitFor(() => healthEvents().length === 1);
    expect(healthEvents()).toEqual([{ status: 'unhealthy', previous: 'healthy' }]);
    // Polling again changes nothing more.
    expect((await health()).status).toBe('unhealthy');

    await h.host.fireTimer('mail');
    // The mail timer queues the tenants' mail jobs; a tenant-jobs worker sends them.
    await h.host.queues.get('tenant-jobs')?.drain({ timeoutMs: 20_000 });
    const mail = h.sim.state.sentMail().filter((m) => m.to.includes('ops@contoso.test'));
    expect(mail).toHaveLength(1);
    expect(`${mail[0]?.subject ?? ''} ${mail[0]?.text ?? ''}`).toContain('Connector health changes');
    expect(mail[0]?.text).toContain('healthy to unhealthy');

    h.sim.state.grantConsent(h.contoso);
    const granted = await health();
    expect(granted.status).toBe('healthy');
    await receiver.waitFor(() => healthEvents().length === 2);
    expect(healthEvents()).toEqual([
      { status: 'unhealthy', previous: 'healthy' },
      { status: 'healthy', previous: 'unhealthy' },
    ]);
    const reports = h.tables.table('errorReports').listEntities({ queryOptions: { filter: `PartitionKey eq '${h.contoso}'` } });
    const kinds: string[] = [];
    for await (const row of reports) kinds.push(`${String(row.kind)}:${String(row.count)}`);
    expect(kinds).toContain('connector-health:2');
  });

  it('reports consent unhealthy while the app is in the tenant without a permission it needs, naming it', async () => {
    const fabrikam = h.sim.state.findTenant(h.fabrikam)?.id ?? '';
    // Entra ID still issues the app tokens; their `roles` lack two permissions.
    h.sim.state.grantConsent(fabrikam, h.sim.state.appPermissions.filter((p) => p !== 'GroupMember.Read.All' && p !== 'DeviceManagementServiceConfig.ReadWrite.All'));
    try {
      const lacking = check(await health(h.tokens.fabrikamAdmin), 'consent');
      expect(lacking?.status).toBe('unhealthy');
      expect(lacking?.detail).toContain('GroupMember.Read.All, DeviceManagementServiceConfig.ReadWrite.All');
    } finally {
      h.sim.state.grantConsent(fabrikam);
    }
    expect(check(await health(h.tokens.fabrikamAdmin), 'consent')?.status).toBe('healthy');
  });

  it('warns well before Intune would stop using the data of a connector gone quiet, then turns unhealthy past the threshold', async () => {
    h.sim.state.setConnector(h.contoso, { lastHeartbeatDateTime: new Date(Date.now() - 5 * 3_600_000).toISOString() });
    const quiet = await health();
    expect(quiet.status).toBe('degraded');
    expect(check(quiet, 'intuneConnector')).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/No heartbeat for 5 h .*after 7 days/) as unknown });

    h.sim.state.setConnector(h.contoso, { lastHeartbeatDateTime: new Date(Date.now() - 8 * 24 * 3_600_000).toISOString() });
    expect(check(await health(), 'intuneConnector')?.status).toBe('unhealthy');
    h.sim.state.setConnector(h.contoso, { partnerState: 'unresponsive' });
    expect(check(await health(), 'intuneConnector')).toMatchObject({ status: 'unhealthy', detail: expect.stringContaining('unresponsive') as unknown });

    h.sim.state.setConnector(h.contoso, { partnerState: 'enabled', lastHeartbeatDateTime: new Date().toISOString() });
    expect((await health()).status).toBe('healthy');
    await receiver.waitFor(() => healthEvents().length === 5);
    expect(healthEvents().slice(2)).toEqual([
      { status: 'degraded', previous: 'healthy' },
      { status: 'unhealthy', previous: 'degraded' },
      { status: 'healthy', previous: 'unhealthy' },
    ]);
  });

  it('reports discovery, dead letters and failing webhooks as degraded', async () => {
    await h.tables.table('enrollmentGroups').upsertEntity({ partitionKey: h.contoso, rowKey: 'MTD-Gone', displayName: 'MTD-Gone', status: 'not-found', addedAt: new Date().toISOString(), addedBy: 'test' });
    await h.tables.table('deadLetters').upsertEntity({ partitionKey: h.contoso, rowKey: 'd1|3', deviceId: 'd1', version: 3, reason: 'x', at: new Date().toISOString(), deliveryCount: 10 });
    const listed = await call(h.host, 'GET', 'v1/console/webhooks', h.tokens.admin);
    const endpointId = (listed.body.items as { id: string }[])[0]?.id ?? '';
    await h.tables.table('webhooks').updateEntity({ partitionKey: h.contoso, rowKey: endpointId, failingSince: new Date().toISOString(), lastFailure: '500: answered 500' }, 'Merge');
    // A device nudged 40 minutes ago and still waiting, as its pending-push index row says.
    const nudged = String(Date.now() - 40 * 60_000).padStart(13, '0');
    await h.tables.table('devices').upsertEntity({ partitionKey: `${h.contoso}|de`, rowKey: `~p|${nudged}|de000000-0000-4000-8000-000000000001`, deviceId: 'de000000-0000-4000-8000-000000000001', version: 2 });
    const report = await health();
    expect(report.status).toBe('degraded');
    expect(check(report, 'pushBacklog')).toMatchObject({ status: 'degraded', detail: '1 device is waiting for a push; the oldest was nudged 40 min ago.' });
    expect(check(report, 'discovery')).toMatchObject({ status: 'degraded', detail: expect.stringContaining('"MTD-Gone" (not-found)') as unknown });
    expect(check(report, 'deadLetters')).toMatchObject({ status: 'degraded', detail: expect.stringContaining('1 device update was dead-lettered') as unknown });
    expect(check(report, 'webhooks')).toMatchObject({ status: 'degraded', detail: expect.stringContaining('500: answered 500') as unknown });
    // Another tenant's health knows nothing of it.
    const other = await health(h.tokens.fabrikamAdmin);
    expect(check(other, 'deadLetters')?.status).toBe('healthy');
    expect(check(other, 'webhooks')?.detail).toBe('No webhook endpoints.');
  });
});

describe('connector health changes as events', () => {
  /** The tenant's `connector.health_changed` events in the feed, oldest first. */
  async function feedChanges(): Promise<{ id: string; status: string; previous: string }[]> {
    const answer = await call(h.host, 'GET', 'v1/events?types=connector.health_changed&limit=1000', h.tokens.admin);
    expect(answer.status).toBe(200);
    const items = answer.body.items as { id: string; tenantId: string; data: { status: string; previous: string } }[];
    expect(items.every((item) => item.tenantId === h.contoso)).toBe(true);
    return items.map((item) => ({ id: item.id, status: item.data.status, previous: item.data.previous }));
  }

  /** How many health changes the tenant's error report has counted. */
  async function healthReportCount(): Promise<number> {
    let count = 0;
    const rows = h.tables.table('errorReports').listEntities({ queryOptions: { filter: `PartitionKey eq '${h.contoso}'` } });
    for await (const row of rows) if (row.kind === 'connector-health') count += Number(row.count);
    return count;
  }

  function webhookIds(): string[] {
    return receiver.received
      .filter((d) => (JSON.parse(d.body) as { type: string }).type === 'connector.health_changed')
      .map((d) => d.headers['webhook-id'] ?? '');
  }

  it('turns degraded and back: each change once in the feed and at the webhook (same id), and in the error report', async () => {
    // Whatever the earlier tests left: start healthy.
    await h.tables.table('enrollmentGroups').deleteEntity(h.contoso, 'MTD-Gone').catch(() => undefined);
    await h.tables.table('deadLetters').deleteEntity(h.contoso, 'd1|3').catch(() => undefined);
    const nudgedRows = h.tables.table('devices').listEntities({ queryOptions: { filter: `PartitionKey eq '${h.contoso}|de'` } });
    for await (const row of nudgedRows) await h.tables.table('devices').deleteEntity(String(row.partitionKey), String(row.rowKey));
    const listed = await call(h.host, 'GET', 'v1/console/webhooks', h.tokens.admin);
    const endpointId = (listed.body.items as { id: string }[])[0]?.id ?? '';
    const endpoint = await h.tables.table('webhooks').getEntity(h.contoso, endpointId);
    const { failingSince: _since, lastFailure: _failure, ...rest } = endpoint;
    await h.tables.table('webhooks').updateEntity({ ...rest, partitionKey: h.contoso, rowKey: endpointId }, 'Replace');
    expect((await health()).status).toBe('healthy');
    await h.services.events.idle();
    const before = await feedChanges();
    const mailedBefore = h.sim.state.sentMail().length;
    const reportedBefore = await healthReportCount();

    // A dead-lettered device update: degraded.
    await h.tables.table('deadLetters').upsertEntity({ partitionKey: h.contoso, rowKey: 'd2|7', deviceId: 'd2', version: 7, reason: 'x', at: new Date().toISOString(), deliveryCount: 10 });
    expect((await health()).status).toBe('degraded');
    expect((await health()).status).toBe('degraded'); // looking again records nothing more
    await h.tables.table('deadLetters').deleteEntity(h.contoso, 'd2|7');
    expect((await health()).status).toBe('healthy');
    await h.services.events.idle();

    const changes = (await feedChanges()).slice(before.length);
    expect(changes.map(({ status, previous }) => ({ status, previous }))).toEqual([
      { status: 'degraded', previous: 'healthy' },
      { status: 'healthy', previous: 'degraded' },
    ]);
    await receiver.waitFor(() => changes.every((change) => webhookIds().includes(change.id)));
    for (const change of changes) expect(webhookIds().filter((id) => id === change.id)).toHaveLength(1);

    // Both changes are in the error report the mail job sends (one mail per kind and hour: the earlier test's mail
    // of this hour went out already, so these wait for the next one).
    expect((await healthReportCount()) - reportedBefore).toBe(2);
    await h.host.fireTimer('mail');
    await h.host.queues.get('tenant-jobs')?.drain({ timeoutMs: 20_000 });
    expect(h.sim.state.sentMail().length).toBe(mailedBefore);
  });

  it('reports a change whose process stopped before reporting it, once, with the id it was given', async () => {
    const before = await feedChanges();
    // As a process leaves it when it stops right after writing the row: the change's event is still on the row.
    const row = await h.tables.table('tenantHealth').getEntity<{ status: string }>(h.contoso, 'status');
    expect(row.status).toBe('healthy');
    const changedAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const stranded = {
      id: `evt_${String(Date.parse(changedAt)).padStart(13, '0')}00000000aabbccddeeff`,
      type: 'connector.health_changed',
      occurredAt: changedAt,
      tenantId: h.contoso,
      data: { status: 'healthy', previous: 'unhealthy', checks: [] },
    };
    await h.tables.table('tenantHealth').updateEntity(
      { partitionKey: h.contoso, rowKey: 'status', status: 'healthy', changedAt, checkedAt: changedAt, pendingEvent: JSON.stringify(stranded) },
      'Replace',
    );
    expect((await health()).status).toBe('healthy');
    expect((await health()).status).toBe('healthy');
    await h.services.events.idle();
    const after = (await feedChanges()).slice(before.length);
    expect(after).toEqual([{ id: stranded.id, status: 'healthy', previous: 'unhealthy' }]);
    const cleared = await h.tables.table('tenantHealth').getEntity<{ pendingEvent?: string }>(h.contoso, 'status');
    expect(cleared.pendingEvent).toBeUndefined();
  });

  it('is checked on each hourly connector-heartbeat job too, so a change is reported with no console looking', async () => {
    const before = healthEvents().length;
    const runHeartbeatJob = async (): Promise<void> => {
      await markDue(h.tables, h.contoso, 'connector-heartbeat', Date.now());
      await h.host.fireTimer('heartbeatCheck');
      await h.host.queues.get('tenant-jobs')?.drain({ timeoutMs: 20_000 });
      await h.services.events.idle();
    };
    h.sim.state.revokeConsent(h.contoso);
    await runHeartbeatJob();
    await receiver.waitFor(() => healthEvents().length === before + 1);
    expect(healthEvents().slice(before)).toEqual([{ status: 'unhealthy', previous: 'healthy' }]);
    h.sim.state.grantConsent(h.contoso);
    await runHeartbeatJob();
    await receiver.waitFor(() => healthEvents().length === before + 2);
    expect(healthEvents().slice(before)).toEqual([
      { status: 'unhealthy', previous: 'healthy' },
      { status: 'healthy', previous: 'unhealthy' },
    ]);
  });
});

/**
 * Error reports by mail through the simulator's SendGrid: grouped by kind, deduplicated per hour, to the tenant's
 * `errorReportRecipients` only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { errorReportRowKey, errorReportSchema, recordError } from '../../../shared/errorReports/errorReports.js';
import { readEntity } from '../../../shared/storage/index.js';
import { control, startTestSimulator } from '../sim/simFixture.js';
import { quietLog } from '../enrollment/harness.js';
import { startMailHarness, type MailHarness } from './harness.js';
import { updateTenantConfig } from '../../../shared/tenants/tenantConfig.js';
import { connectorSettingsSchema } from '../../../shared/domain/index.js';

const minute = 60_000;

let sim: Simulator;

beforeAll(async () => {
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await control(sim, 'DELETE', '/_sim/faults');
});

async function setRecipients(h: MailHarness, recipients: string[]): Promise<void> {
  await updateTenantConfig(h.tables, h.tenantId, () => ({ settings: connectorSettingsSchema.parse({ errorReportRecipients: recipients }) }));
}

function record(h: MailHarness, kind: Parameters<typeof recordError>[2]['kind'], message: string): Promise<void> {
  return recordError({ tables: h.tables, clock: h.clock, log: quietLog }, h.tenantId, { kind, message });
}

describe('error report mail', () => {
  it('mails the errors grouped by kind, with counts, times and the first examples, to every recipient', async () => {
    const h = await startMailHarness(sim, { start: '2026-03-01T09:10:00.000Z' });
    await setRecipients(h, [h.address('secops'), h.address('it')]);
    await record(h, 'dead-letter', 'Nudge d-1:4 dead-lettered after 10 deliveries');
    h.clock.advance(minute);
    await record(h, 'dead-letter', 'Nudge d-1:4 dead-lettered after 10 deliveries');
    h.clock.advance(minute);
    await record(h, 'dead-letter', 'Nudge d-2:7 dead-lettered after 10 deliveries');
    await record(h, 'token', 'Consent revoked: AADSTS65001 for Bearer eyJhbGciOi.abc.def');
    await record(h, 'enrollment-group', 'Enrollment group "Mobile <Users>" no longer resolves: not-found');

    const result = await h.run();

    expect(result.errorReports).toBe(1);
    const mail = h.mail();
    expect(mail).toHaveLength(1);
    const [report] = mail;
    expect(report?.to.sort()).toEqual([h.address('it'), h.address('secops')]);
    // One personalization per recipient: neither sees the other's address.
    expect(report?.request.personalizations).toHaveLength(2);
    expect(report?.subject).toBe('[MTD] 5 connector errors in Contoso');
    const text = report?.text ?? '';
    expect(text).toMatch(/Dead-lettered device updates \(dead-letter\)\nCount:\s+3\nFirst:\s+2026-03-01T09:10:00.000Z\nLast:\s+2026-03-01T09:12:00.000Z/);
    expect(text.match(/Nudge d-1:4 dead-lettered/g)).toHaveLength(1);
    expect(text).toContain('Nudge d-2:7 dead-lettered');
    expect(text).toMatch(/\(token\)\nCount:\s+1/);
    expect(text).toMatch(/\(enrollment-group\)\nCount:\s+1/);
    expect(text).not.toContain('eyJhbGciOi');
    expect(text).not.toContain('(graph)');
    expect(report?.html).toContain('Enrollment group &quot;Mobile &lt;Users&gt;&quot; no longer resolves');

    const row = await readEntity(h.tables.table('errorReports'), errorReportSchema, h.tenantId, errorReportRowKey('dead-letter', h.clock.now()));
    expect(row).toMatchObject({ count: 3, mailedCount: 3, mailedAt: '2026-03-01T09:12:00.000Z' });
  });

  it('mails each kind at most once an hour, and then only what is new', async () => {
    const h = await startMailHarness(sim, { start: '2026-03-01T09:05:00.000Z' });
    await setRecipients(h, [h.address('secops')]);
    await record(h, 'graph', 'Graph 503 on /deviceManagement/managedDevices');
    await h.run();
    expect(h.mail()).toHaveLength(1);

    // Nothing new: nothing sent.
    h.clock.advance(minute);
    await h.run();
    expect(h.mail()).toHaveLength(1);

    // More of the same kind within the hour: held back.
    h.clock.advance(10 * minute);
    await record(h, 'graph', 'Graph 503 on /deviceManagement/managedDevices');
    await record(h, 'graph', 'Graph 504 on /groups');
    await h.run();
    expect(h.mail()).toHaveLength(1);

    // A different kind is not held back by it.
    await record(h, 'connector-heartbeat', 'Connector heartbeat failed: HTTP 500');
    await h.run();
    expect(h.mail()).toHaveLength(2);
    expect(h.mail()[1]?.text).not.toContain('(graph)');
    expect(h.mail()[1]?.text).toContain('(connector-heartbeat)');

    // An hour after the first report: the growth, counted from what was already reported (an error in the next hour too).
    h.clock.set('2026-03-01T10:04:00.000Z');
    await record(h, 'graph', 'Graph 429 on $batch');
    h.clock.set('2026-03-01T10:05:30.000Z');
    await h.run();
    const mail = h.mail();
    expect(mail).toHaveLength(3);
    expect(mail[2]?.subject).toBe('[MTD] 3 connector errors in Contoso');
    expect(mail[2]?.text).toMatch(/\(graph\)\nCount:\s+3/);
    expect(mail[2]?.text).toContain('Graph 504 on /groups');
    expect(mail[2]?.text).toContain('Graph 429 on $batch');
    expect(mail[2]?.text).not.toContain('(connector-heartbeat)');
  });

  it('sends nothing without recipients', async () => {
    const h = await startMailHarness(sim);
    await record(h, 'dead-letter', 'Nudge d-1:1 dead-lettered');
    const result = await h.run();
    expect(result.errorReports).toBe(0);
    expect(h.mail()).toEqual([]);
  });

  it('keeps the report for the next run while SendGrid is down', async () => {
    const h = await startMailHarness(sim);
    await setRecipients(h, [h.address('secops')]);
    await record(h, 'compliance', 'Intune write failed: HTTP 500');
    await control(sim, 'POST', '/_sim/faults', { method: 'POST', path: '^/v3/mail/send$', status: 502, count: 4 });

    const down = await h.run();
    expect(down.mailUnavailable).toBe(true);
    expect(h.mail()).toEqual([]);

    h.clock.advance(minute);
    await h.run();
    expect(h.mail()).toHaveLength(1);
    expect(h.mail()[0]?.text).toMatch(/\(compliance\)\nCount:\s+1/);
  });
});

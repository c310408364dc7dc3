/**
 * Threat alert mail end to end through the local host: an agent reports a high threat, the admin who asked for high
 * alerts gets a mail when the `mail` timer fires (`POST /_dev/timers/mail`), read back from the simulator's SendGrid.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { odata } from '../../../shared/storage/index.js';
import { seedDevice } from '../../integration/devices/deviceRows.js';
import { activation, id, post, startDeviceHarness, type DeviceHarness } from '../devices/harness.js';

let h: DeviceHarness;

beforeAll(async () => {
  h = await startDeviceHarness();
});

afterAll(async () => {
  await h?.close();
});

const sentMailList = z.object({
  value: z.array(z.object({ to: z.array(z.string()), subject: z.string(), text: z.string(), html: z.string() })),
});

/** The mail timer sends a `mail` job for each tenant with something to mail; the tenant-jobs queue runs them. */
async function fireMailTimer(): Promise<number> {
  const headers = { 'x-functions-key': 'test-key' };
  const response = await fetch(`${h.host.url}/_dev/timers/mail`, { method: 'POST', headers });
  if (response.status !== 200) return response.status;
  const drained = await fetch(`${h.host.url}/_dev/queues/tenant-jobs/drain`, { method: 'POST', headers });
  return drained.status === 404 ? 200 : drained.status;
}

async function sentMail() {
  const response = await fetch(`${h.sim.url}/_sim/mail`);
  return sentMailList.parse(await response.json()).value;
}

async function alertQueued(deviceId: string): Promise<void> {
  for (let tries = 0; tries < 100; tries += 1) {
    for await (const row of h.tables.table('notifications').listEntities({ queryOptions: { filter: odata`PartitionKey eq ${h.contoso}` } })) {
      if (row.deviceId === deviceId) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no alert was queued');
}

describe('mail timer through the host', () => {
  it('mails a new high threat to the admin who turned high alerts on, escaped, and only once', async () => {
    const deviceId = randomUUID();
    const deviceName = 'Ann <b>iPhone</b>';
    await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann'), deviceName, userPrincipalName: 'ann@contoso.test' });
    const activated = await post(h.host, 'v1/device/activate', await h.token(h.contoso, 'ann'), activation(deviceId));
    expect(activated.status).toBe(200);
    await h.tables.table('notificationPreferences').upsertEntity({
      partitionKey: h.contoso,
      rowKey: id('ben'),
      email: 'ben@contoso.test',
      low: false,
      medium: false,
      high: true,
    });
    await h.tables.table('notificationPreferences').upsertEntity({
      partitionKey: h.contoso,
      rowKey: id('ann'),
      email: 'ann@contoso.test',
      low: true,
      medium: true,
      high: false,
    });

    const report = await post(h.host, 'v1/device/threat-report', String(activated.body.deviceToken), {
      reportId: randomUUID(),
      sequence: 1,
      observedAt: new Date().toISOString(),
      threats: [{ id: 't1', classification: 'TROJAN', name: 'Fake <Bank> App', detectedAt: '2026-03-01T09:00:00.000Z' }],
    });
    expect(report.status).toBe(202);
    // The alert is queued from the published `threat.detected` event, moments after the report.
    await alertQueued(deviceId);
    // The report only queued the alert: no mail until the timer runs.
    expect((await sentMail()).filter((mail) => mail.text.includes(deviceId))).toEqual([]);

    expect(await fireMailTimer()).toBe(200);
    const mail = (await sentMail()).filter((m) => m.text.includes(deviceId));
    expect(mail).toHaveLength(1);
    expect(mail[0]?.to).toEqual(['ben@contoso.test']);
    expect(mail[0]?.subject).toBe('[MTD] High threat on Ann <b>iPhone</b>');
    expect(mail[0]?.text).toContain('Fake <Bank> App');
    expect(mail[0]?.html).toContain('Ann &lt;b&gt;iPhone&lt;/b&gt;');
    expect(mail[0]?.html).toContain('Fake &lt;Bank&gt; App');
    expect(mail[0]?.html).toContain(`/api/v1/console/devices/${deviceId}`);

    expect(await fireMailTimer()).toBe(200);
    expect((await sentMail()).filter((m) => m.text.includes(deviceId))).toHaveLength(1);
  });

  it('skips a user who left the console groups and removes their preferences', async () => {
    const deviceId = randomUUID();
    await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann'), deviceName: 'Ann phone', userPrincipalName: 'ann@contoso.test' });
    const activated = await post(h.host, 'v1/device/activate', await h.token(h.contoso, 'ann'), activation(deviceId));
    expect(activated.status).toBe(200);
    for (const name of ['ann', 'ben']) {
      await h.tables.table('notificationPreferences').upsertEntity({
        partitionKey: h.contoso,
        rowKey: id(name),
        email: `${name}@contoso.test`,
        low: false,
        medium: false,
        high: true,
      });
    }
    // Ben leaves the console group before the mail runs.
    h.sim.state.removeGroupMember(h.contoso, h.consoleGroupId, id('ben'));
    try {
      const report = await post(h.host, 'v1/device/threat-report', String(activated.body.deviceToken), {
        reportId: randomUUID(),
        sequence: 1,
        observedAt: new Date().toISOString(),
        threats: [{ id: 't1', classification: 'TROJAN', detectedAt: '2026-03-01T09:00:00.000Z' }],
      });
      expect(report.status).toBe(202);
      await alertQueued(deviceId);
      expect(await fireMailTimer()).toBe(200);
      const mail = (await sentMail()).filter((m) => m.text.includes(deviceId));
      expect(mail.map((m) => m.to)).toEqual([['ann@contoso.test']]);
      const prefs: string[] = [];
      for await (const row of h.tables.table('notificationPreferences').listEntities({ queryOptions: { filter: `PartitionKey eq '${h.contoso}'` } })) {
        prefs.push(String(row.rowKey));
      }
      expect(prefs).toEqual([id('ann')]);
    } finally {
      h.sim.state.addGroupMember(h.contoso, h.consoleGroupId, id('ben'));
    }
  });
});

/**
 * Threat alerts by mail through the simulator's SendGrid: who gets what, quiet periods, the summary for a mass
 * re-grade, escaping, and SendGrid failures.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../../dev/sim/server.js';
import { quietPeriodMs, summaryThreshold } from '../../../shared/mail/alerts.js';
import { runMail } from '../../../shared/mail/run.js';
import { MailSendError, type MailSender } from '../../../shared/sendgrid/sendgrid.js';
import { pendingAlertRowKey } from '../../../shared/alerts/pendingAlerts.js';
import { quietLog } from '../enrollment/harness.js';
import { control, startTestSimulator } from '../sim/simFixture.js';
import { publicBaseUrl, startMailHarness } from './harness.js';

const ann = '0a0a0a0a-0000-4000-8000-00000000000a';
const ben = '0b0b0b0b-0000-4000-8000-00000000000b';
const cat = '0c0c0c0c-0000-4000-8000-00000000000c';
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

describe('threat alert mail', () => {
  it('mails each admin who turned the level on, with the device, user, threat and console route', async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    await h.setPreferences(ben, 'ben', { low: true, medium: true }); // high off
    await h.setPreferences(cat, 'cat', { medium: true });
    await h.queue([
      {
        deviceId: 'd-1',
        deviceName: 'Ann iPhone',
        userPrincipalName: 'ann@contoso.test',
        classification: 'TROJAN',
        threatName: 'Evil.Dropper',
        riskLevel: 'high',
        at: '2026-03-01T09:58:00.000Z',
      },
    ]);

    const result = await h.run();

    expect(result.alertMails).toBe(1);
    const mail = h.mail();
    expect(mail).toHaveLength(1);
    const [sent] = mail;
    expect(sent?.to).toEqual([h.address('ann')]);
    expect(sent?.from).toBe('mtd@connector.test');
    expect(sent?.subject).toBe('[MTD] High threat on Ann iPhone');
    for (const body of [sent?.text ?? '', sent?.html ?? '']) {
      expect(body).toContain('Ann iPhone');
      expect(body).toContain('ann@contoso.test');
      expect(body).toContain('TROJAN');
      expect(body).toContain('Evil.Dropper');
      expect(body).toContain('high');
      expect(body).toContain('2026-03-01T09:58:00.000Z');
      expect(body).toContain(`${publicBaseUrl}/api/v1/console/devices/d-1`);
    }
    expect(sent?.request.content).toEqual([
      { type: 'text/plain', value: sent?.text },
      { type: 'text/html', value: sent?.html },
    ]);
    expect(await h.pendingRows()).toEqual([]);
  });

  it('sends nothing for level none or a level nobody turned on, and clears those alerts', async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    await h.setPreferences(ben, 'ben', {});
    await h.queue([{ riskLevel: 'low' }, { riskLevel: 'medium' }]);
    // `queueAlerts` never queues level none; a row written by anything else is still never mailed.
    const at = h.clock.now().toISOString();
    await h.tables.table('notifications').createEntity({
      partitionKey: h.tenantId,
      rowKey: pendingAlertRowKey(h.clock.now()),
      reason: 'regrade',
      deviceId: 'd-none',
      classification: 'OS_OUTDATED',
      riskLevel: 'none',
      at,
      queuedAt: at,
    });

    const result = await h.run();

    expect(result.alertMails + result.summaries).toBe(0);
    expect(h.mail()).toEqual([]);
    expect(await h.pendingRows()).toEqual([]);
  });

  it('mails one admin at most once per device in the quiet period', async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { medium: true, high: true });
    await h.queue([
      { deviceId: 'd-1', deviceName: 'Phone A', threatName: 'First' },
      { deviceId: 'd-1', deviceName: 'Phone A', threatName: 'Second', riskLevel: 'medium' },
    ]);
    await h.run();
    // Two threats in one run on one device: one mail listing both.
    expect(h.mail()).toHaveLength(1);
    expect(h.mail()[0]?.text).toContain('First');
    expect(h.mail()[0]?.text).toContain('Second');

    h.clock.advance(10 * minute);
    await h.queue([
      { deviceId: 'd-1', deviceName: 'Phone A', threatName: 'Third' },
      { deviceId: 'd-2', deviceName: 'Phone B', threatName: 'Other device' },
    ]);
    const quiet = await h.run();
    expect(quiet.suppressed).toBe(1);
    expect(h.mail().map((mail) => mail.subject)).toEqual(['[MTD] High threat on Phone A', '[MTD] High threat on Phone B']);
    expect(await h.pendingRows()).toEqual([]);

    h.clock.advance(quietPeriodMs - 10 * minute + 1_000);
    await h.queue([{ deviceId: 'd-1', deviceName: 'Phone A', threatName: 'Fourth' }]);
    await h.run();
    const all = h.mail();
    expect(all).toHaveLength(3);
    expect(all[2]?.text).toContain('Fourth');
    expect(all.some((mail) => mail.text?.includes('Third'))).toBe(false);
  });

  it('sends one summary instead of many mails for a mass re-grade', async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { medium: true, high: true });
    await h.setPreferences(ben, 'ben', { high: true });
    const devices = 60;
    await h.queue(
      Array.from({ length: devices }, (_, index) => ({
        reason: 'regrade' as const,
        deviceId: `d-${index}`,
        deviceName: `Phone ${index}`,
        riskLevel: index % 3 === 0 ? ('high' as const) : ('medium' as const),
        threatName: '',
      })),
    );

    const result = await h.run();

    expect(result.summaries).toBe(2);
    expect(result.alertMails).toBe(0);
    const mail = h.mail();
    expect(mail.map((m) => m.to)).toEqual([[h.address('ann')], [h.address('ben')]]);
    const [forAnn, forBen] = mail;
    expect(forAnn?.subject).toContain('60 devices');
    expect(forAnn?.text).toMatch(/High:\s+20/);
    expect(forAnn?.text).toMatch(/Medium:\s+40/);
    expect(forAnn?.text).toContain('... and 40 more.');
    expect(forBen?.subject).toContain('20 devices');
    expect(forBen?.text).not.toMatch(/Medium:/);
    expect(await h.pendingRows()).toEqual([]);

    // The summary started the quiet period of every device in it.
    await h.queue([{ deviceId: 'd-0', deviceName: 'Phone 0' }]);
    await h.run();
    expect(h.mail()).toHaveLength(2);
  });

  it(`sends individual mails up to ${summaryThreshold} devices`, async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    await h.queue(Array.from({ length: summaryThreshold }, (_, index) => ({ deviceId: `d-${index}`, deviceName: `Phone ${index}` })));
    const result = await h.run();
    expect(result.alertMails).toBe(summaryThreshold);
    expect(h.mail()).toHaveLength(summaryThreshold);
  });

  it('escapes a device name with HTML in it: data, never markup', async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    const deviceName = '<img src=x onerror="alert(1)">Phone & <b>co</b>';
    const threatName = '<script>steal()</script>';
    await h.queue([{ deviceId: 'd-x', deviceName, threatName, userPrincipalName: "o'brien@contoso.test" }]);

    await h.run();

    const [sent] = h.mail();
    const html = sent?.html ?? '';
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Phone &amp; &lt;b&gt;co&lt;/b&gt;');
    expect(html).toContain('&lt;script&gt;steal()&lt;/script&gt;');
    expect(html).toContain('o&#39;brien@contoso.test');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<b>co');
    // Plain text carries the name as it is.
    expect(sent?.text).toContain(deviceName);
  });

  it('retries a SendGrid 5xx and delivers once', async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    await h.queue([{ deviceId: 'd-1', deviceName: 'Phone A' }]);
    await control(sim, 'POST', '/_sim/faults', { method: 'POST', path: '^/v3/mail/send$', status: 503, count: 1 });

    const result = await h.run();

    expect(result.mailUnavailable).toBe(false);
    expect(h.sleeps).toHaveLength(1);
    expect(h.mail()).toHaveLength(1);
    expect(await h.pendingRows()).toEqual([]);
  });

  it("waits out a 429's Retry-After before the next attempt", async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    await h.queue([{ deviceId: 'd-1' }]);
    await control(sim, 'POST', '/_sim/faults', { method: 'POST', path: '^/v3/mail/send$', status: 429, retryAfterSeconds: 3, count: 1 });

    await h.run();

    expect(h.sleeps[0]).toBeGreaterThanOrEqual(3_000);
    expect(h.mail()).toHaveLength(1);
  });

  it('keeps the alerts when SendGrid stays down, and sends them on a later run', async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    await h.setPreferences(ben, 'ben', { high: true });
    await h.queue([{ deviceId: 'd-1' }, { deviceId: 'd-2' }]);
    await control(sim, 'POST', '/_sim/faults', { method: 'POST', path: '^/v3/mail/send$', status: 500, count: 4 });

    const down = await h.run();

    expect(down.mailUnavailable).toBe(true);
    expect(h.mail()).toEqual([]);
    expect(await h.pendingRows()).toHaveLength(2);
    // Four attempts for the first mail, then the run stopped sending.
    expect(h.sleeps).toHaveLength(3);

    h.clock.advance(minute);
    const up = await h.run();
    expect(up.alertMails).toBe(4);
    expect(h.mail().map((m) => m.to[0]).sort()).toEqual([h.address('ann'), h.address('ann'), h.address('ben'), h.address('ben')]);
    expect(await h.pendingRows()).toEqual([]);
  });

  it("does not mail an admin twice when another admin's mail failed", async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    await h.setPreferences(ben, 'ben', { high: true });
    await h.queue([{ deviceId: 'd-1' }]);
    // Ann's mail goes through; Ben's fails in the first run (as after the sender's own retries).
    let benFailures = 1;
    const flaky: MailSender = {
      async send(message) {
        if (message.to.includes(h.address('ben')) && benFailures-- > 0) {
          throw new MailSendError('SendGrid is unavailable: HTTP 503', true, 503);
        }
        await h.sender.send(message);
      },
    };
    const deps = { tables: h.tables, clock: h.clock, log: quietLog, mail: flaky, publicBaseUrl };

    const first = await runMail(deps);

    expect(first.mailUnavailable).toBe(true);
    expect(h.mail().map((m) => m.to)).toEqual([[h.address('ann')]]);
    const [kept] = await h.pendingRows();
    expect(kept?.mailedTo).toBe(JSON.stringify([ann]));

    // Past the quiet period, so only the record on the row keeps Ann from a second mail.
    h.clock.advance(quietPeriodMs + minute);
    await runMail(deps);
    expect(h.mail().map((m) => m.to)).toEqual([[h.address('ann')], [h.address('ben')]]);
    expect(await h.pendingRows()).toEqual([]);
  });

  it('drops a mail SendGrid refuses for good (4xx) instead of retrying it every run', async () => {
    const h = await startMailHarness(sim);
    await h.setPreferences(ann, 'ann', { high: true });
    await h.queue([{ deviceId: 'd-1' }]);
    await control(sim, 'POST', '/_sim/faults', {
      method: 'POST',
      path: '^/v3/mail/send$',
      status: 400,
      count: 1,
      body: { errors: [{ message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email', help: null }] },
    });

    const result = await h.run();

    expect(result.mailUnavailable).toBe(false);
    expect(h.sleeps).toEqual([]);
    expect(h.mail()).toEqual([]);
    expect(await h.pendingRows()).toEqual([]);
    const refusal = h.logs.find((line) => line.includes('HTTP 400'));
    expect(refusal).toContain('Does not contain a valid address.');
    expect(h.logs.join('\n')).not.toContain('SG.sim-api-key');
  });
});

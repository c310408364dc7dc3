import { describe, expect, it } from 'vitest';
import { alertMail, errorReportMail, escapeHtml, oneLine, summaryMail } from '../../../shared/mail/templates.js';
import type { PendingAlert } from '../../../shared/alerts/pendingAlerts.js';

const base: PendingAlert = {
  reason: 'threat',
  deviceId: 'd-1',
  deviceName: 'Phone',
  userPrincipalName: 'ann@contoso.test',
  classification: 'TROJAN',
  threatName: 'Evil',
  riskLevel: 'medium',
  at: '2026-03-01T10:00:00.000Z',
  queuedAt: '2026-03-01T10:00:00.000Z',
};

describe('mail templates', () => {
  it('escapes every markup character', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('keeps subjects to one short line', () => {
    expect(oneLine('Bad\r\nBcc: evil@x.test\tname', 200)).toBe('Bad Bcc: evil@x.test name');
    expect(oneLine('x'.repeat(100), 10)).toHaveLength(10);
  });

  it('names the highest level of a device in the subject, and the tenant escaped in HTML', () => {
    const mail = alertMail({
      tenantName: 'Contoso <Ltd>',
      alerts: [base, { ...base, riskLevel: 'high', threatName: 'Worse' }],
      publicBaseUrl: 'https://mtd.test',
      quietMinutes: 30,
    });
    expect(mail.subject).toBe('[MTD] High threat on Phone');
    expect(mail.html).toContain('Contoso &lt;Ltd&gt;');
    expect(mail.text).toContain('Console: https://mtd.test/api/v1/console/devices/d-1');
  });

  it('says a re-grade raised the risk when every alert is one', () => {
    const mail = alertMail({ tenantName: 'Contoso', alerts: [{ ...base, reason: 'regrade', threatName: '' }], publicBaseUrl: 'https://mtd.test', quietMinutes: 30 });
    expect(mail.subject).toBe('[MTD] Medium risk after a re-grade on Phone');
    expect(mail.text).toMatch(/Threat:\s+-/);
  });

  it('counts devices once in a summary, at their highest level', () => {
    const mail = summaryMail({
      tenantName: 'Contoso',
      alerts: [base, { ...base, riskLevel: 'high' }, { ...base, deviceId: 'd-2', riskLevel: 'low' }],
      publicBaseUrl: 'https://mtd.test',
      listed: 1,
    });
    expect(mail.subject).toBe('[MTD] 2 devices with new threats in Contoso');
    expect(mail.text).toMatch(/High:\s+1\nLow:\s+1/);
    expect(mail.text).toContain('... and 1 more.');
  });

  it('writes one error for one error', () => {
    const mail = errorReportMail({
      tenantName: 'Contoso',
      groups: [{ kind: 'token', count: 1, firstAt: 'a', lastAt: 'b', examples: ['<x>'] }],
    });
    expect(mail.subject).toBe('[MTD] 1 connector error in Contoso');
    expect(mail.html).toContain('<li>&lt;x&gt;</li>');
  });
});

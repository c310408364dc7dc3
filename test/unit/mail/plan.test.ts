import { describe, expect, it } from 'vitest';
import { planForAdmin, quietPeriodMs, summaryThreshold, type Admin, type StoredAlert } from '../../../shared/mail/alerts.js';
import { dueGroups } from '../../../shared/mail/errorReportMail.js';
import { retryAfterMs } from '../../../shared/sendgrid/sendgrid.js';
import type { ErrorReportRow } from '../../../shared/errorReports/errorReports.js';
import type { StoredEntity } from '../../../shared/storage/index.js';

const now = new Date('2026-03-01T10:00:00.000Z');

function alert(deviceId: string, overrides: Partial<StoredAlert> = {}): StoredAlert {
  return {
    rowKey: `a|${deviceId}|${Math.random()}`,
    mailedTo: [],
    reason: 'threat',
    deviceId,
    deviceName: deviceId,
    userPrincipalName: 'ann@contoso.test',
    classification: 'TROJAN',
    threatName: 'x',
    riskLevel: 'high',
    at: now.toISOString(),
    queuedAt: now.toISOString(),
    ...overrides,
  };
}

const admin = (levels: Partial<Admin['prefs']['levels']>, userId = 'u1'): Admin => ({
  userId,
  prefs: { email: `${userId}@contoso.test`, levels: { low: false, medium: false, high: false, ...levels } },
});

describe('planForAdmin', () => {
  it('keeps the levels the admin turned on, one mail per device', () => {
    const plan = planForAdmin(
      admin({ high: true }),
      [alert('d1'), alert('d1'), alert('d2', { riskLevel: 'medium' }), alert('d3', { riskLevel: 'none' })],
      new Map(),
      now,
    );
    expect(plan.mails.map((mail) => [mail.kind, mail.deviceIds, mail.alerts.length])).toEqual([['alert', ['d1'], 2]]);
  });

  it('holds back devices mailed within the quiet period, and only those', () => {
    const quiet = new Map([
      ['d1', now.getTime() - quietPeriodMs + 1],
      ['d2', now.getTime() - quietPeriodMs],
    ]);
    const plan = planForAdmin(admin({ high: true }), [alert('d1'), alert('d2')], quiet, now);
    expect(plan.suppressed.map((a) => a.deviceId)).toEqual(['d1']);
    expect(plan.mails.map((mail) => mail.deviceIds)).toEqual([['d2']]);
  });

  it('skips alerts already mailed to this admin', () => {
    const plan = planForAdmin(admin({ high: true }), [alert('d1', { mailedTo: ['u1'] }), alert('d2', { mailedTo: ['u2'] })], new Map(), now);
    expect(plan.mails.map((mail) => mail.deviceIds)).toEqual([['d2']]);
  });

  it(`summarises more than ${summaryThreshold} devices in one mail`, () => {
    const alerts = Array.from({ length: summaryThreshold + 1 }, (_, i) => alert(`d${i}`));
    const plan = planForAdmin(admin({ high: true }), alerts, new Map(), now);
    expect(plan.mails).toHaveLength(1);
    expect(plan.mails[0]?.kind).toBe('summary');
    expect(plan.mails[0]?.deviceIds).toHaveLength(summaryThreshold + 1);
  });
});

function row(overrides: Partial<ErrorReportRow>): StoredEntity<ErrorReportRow> {
  const hour = overrides.hour ?? '2026-03-01T09';
  const kind = overrides.kind ?? 'graph';
  return {
    partitionKey: 't',
    rowKey: `${kind}|${hour}`,
    etag: '*',
    kind,
    hour,
    count: 1,
    firstAt: `${hour}:10:00.000Z`,
    lastAt: `${hour}:20:00.000Z`,
    examples: JSON.stringify(['boom']),
    ...overrides,
  };
}

describe('dueGroups', () => {
  it('reports what is new since the last mail, not what was reported', () => {
    const { groups } = dueGroups([row({ count: 5, mailedCount: 2, mailedAt: '2026-03-01T08:59:00.000Z' })], now);
    expect(groups).toEqual([expect.objectContaining({ kind: 'graph', count: 3 })]);
  });

  it('holds a kind mailed within the hour', () => {
    expect(dueGroups([row({ count: 5, mailedCount: 2, mailedAt: '2026-03-01T09:01:00.000Z' })], now).groups).toEqual([]);
  });

  it('dedups examples across hours and ignores unparsable ones', () => {
    const { groups } = dueGroups(
      [row({ examples: JSON.stringify(['a', 'b']) }), row({ hour: '2026-03-01T10', examples: JSON.stringify(['b', 'c']) }), row({ kind: 'token', examples: 'not json' })],
      now,
    );
    expect(groups.map((g) => [g.kind, g.count, g.examples])).toEqual([
      ['graph', 2, ['a', 'b', 'c']],
      ['token', 1, []],
    ]);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('7')).toBe(7_000);
    expect(retryAfterMs(new Date(now.getTime() + 5_000).toUTCString(), now.getTime())).toBe(5_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});

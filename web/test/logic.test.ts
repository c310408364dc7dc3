import { describe, expect, it } from 'vitest';
import { compareWithIntune } from '../src/intuneView.js';
import {
  countBy,
  currentCursor,
  describeRegrade,
  explainRisk,
  firstPage,
  matchesSearch,
  nextPage,
  pageNumber,
  parseRecipients,
  policyChangesToDefaults,
  previousPage,
  regradeFrom,
} from '../src/logic.js';
import { checkDraft } from '../src/pages/Settings.js';
import { ApiError, describeError, toApiError } from '../src/api/client.js';
import { deviceListParams, type DeviceDetail } from '../src/api/devices.js';
import type { ClassificationItem } from '../src/api/classifications.js';

const policy: ClassificationItem[] = [
  { classification: 'TROJAN', category: 'application', riskLevel: 'high', defaultRiskLevel: 'high' },
  { classification: 'ADWARE', category: 'application', riskLevel: 'low', defaultRiskLevel: 'low' },
  { classification: 'SIDELOADED_APP', category: 'application', riskLevel: 'none', defaultRiskLevel: 'none' },
];

function detail(riskLevel: DeviceDetail['device']['riskLevel'], classifications: string[], status: DeviceDetail['device']['status'] = 'active'): DeviceDetail {
  return {
    device: {
      deviceId: 'd1', intuneDeviceId: 'd1', azureAdDeviceId: null, deviceName: "Adele's iPhone", platform: 'ios', osVersion: '17.5', appVersion: '1.0',
      userId: 'u1', userPrincipalName: 'adele@contoso.test', status, statusChangedAt: '2026-01-01T00:00:00Z', discoveredAt: '2026-01-01T00:00:00Z',
      activatedAt: null, deactivatedAt: null, deactivationReason: null, lastCheckInAt: null, lastReportAt: '2026-01-01T00:00:00Z', riskLevel,
      activeThreatCount: classifications.length, version: 1, syncPending: false, deadLetteredVersion: null,
    },
    activeThreats: classifications.map((classification, i) => ({
      threatId: `t${i}`, classification, name: null, packageName: null, detectedAt: '2026-01-01T00:00:00Z', firstSeenAt: null, lastSeenAt: null,
    })),
    trust: { keyBound: true, attestation: { format: 'android-key', status: 'verified', securityLevel: 'TrustedEnvironment', checkedAt: '2026-03-01T09:00:00.000Z' } },
    enforcement: {
      version: 1, syncPending: false, deadLetteredVersion: null,
      intune: { state: null, version: null, at: null, result: null },
      entra: { attribute: null, objectId: null, value: null, version: null, at: null, result: null },
    },
    intune: null,
    intuneUnavailable: 'not read in this test',
  };
}

describe('why a device has its risk level', () => {
  it('names the classifications that set the level, under the tenant policy', () => {
    const explained = explainRisk(detail('high', ['ADWARE', 'TROJAN']), policy);
    expect(explained.summary).toContain('Risk high because of TROJAN');
    expect(explained.reasons.map((r) => [r.classification, r.level, r.decisive])).toEqual([
      ['ADWARE', 'low', false],
      ['TROJAN', 'high', true],
    ]);
  });

  it('follows a changed policy: TROJAN rated low makes both threats decisive at low', () => {
    const lowered = policy.map((p) => (p.classification === 'TROJAN' ? { ...p, riskLevel: 'low' as const } : p));
    const explained = explainRisk(detail('low', ['ADWARE', 'TROJAN']), lowered);
    expect(explained.reasons.every((r) => r.decisive)).toBe(true);
    expect(explained.summary).toContain('ADWARE, TROJAN');
  });

  it('says when threats count as no risk, when the device is clean, and when it is not graded', () => {
    expect(explainRisk(detail('none', ['SIDELOADED_APP']), policy).summary).toContain('counts as no risk');
    expect(explainRisk(detail('none', []), policy).summary).toContain('reported the device clean');
    expect(explainRisk(detail('none', [], 'pending'), policy).summary).toContain('only active devices are graded');
  });

  it("grades a threat by its package's app rule first, and says when a risk override sets the level", () => {
    const withPackage = detail('none', ['TROJAN']);
    const threat = withPackage.activeThreats[0];
    if (!threat) throw new Error('no threat');
    const allowed: DeviceDetail = { ...withPackage, activeThreats: [{ ...threat, packageName: 'com.contoso.app' }] };
    const explained = explainRisk(allowed, policy, [{ packageName: 'com.contoso.app', riskLevel: 'none' }]);
    expect(explained.reasons.map((r) => r.level)).toEqual(['none']);
    expect(explained.summary).toContain('counts as no risk');

    const overridden: DeviceDetail = {
      ...detail('none', ['TROJAN']),
      override: { riskLevel: 'none', reason: 'travel', expiresAt: '2026-01-02T00:00:00Z', createdBy: 'Adele', createdAt: '2026-01-01T00:00:00Z' },
    };
    const summary = explainRisk(overridden, policy).summary;
    expect(summary).toContain('A risk override sets the level to none');
    expect(summary).toContain('Risk high because of TROJAN');
  });
});

describe('counting and search', () => {
  it('counts every key, zero included, in order', () => {
    expect(countBy(['high', 'low', 'high'], ['high', 'medium', 'low'])).toEqual([
      { key: 'high', count: 2 },
      { key: 'medium', count: 0 },
      { key: 'low', count: 1 },
    ]);
  });

  it('matches a device by its name or its user, ignoring case', () => {
    const device = { deviceName: "Adele's iPhone 15", userPrincipalName: 'adele.vance@contoso.test' };
    expect(matchesSearch(device, 'iphone')).toBe(true);
    expect(matchesSearch(device, 'ADELE.V')).toBe(true);
    expect(matchesSearch(device, 'pixel')).toBe(false);
    expect(matchesSearch(device, '  ')).toBe(true);
  });
});

describe('paging and the list query', () => {
  it('walks forward and back through cursors', () => {
    let trail = firstPage;
    expect(currentCursor(trail)).toBeNull();
    trail = nextPage(trail, 'c2');
    trail = nextPage(trail, 'c3');
    expect([currentCursor(trail), pageNumber(trail)]).toEqual(['c3', 3]);
    trail = previousPage(previousPage(previousPage(trail)));
    expect([currentCursor(trail), pageNumber(trail)]).toEqual([null, 1]);
  });

  it('sends only the filters that are set', () => {
    expect(deviceListParams({ status: 'active', riskLevel: '', platform: 'ios', cursor: 'a b', limit: 20 })).toEqual({ status: 'active', platform: 'ios', cursor: 'a b', limit: 20 });
    expect(deviceListParams({ status: 'sideways', cursor: null })).toEqual({ limit: 50 });
  });
});

describe('API errors in words', () => {
  it('reads problem+json: detail, title and field errors', () => {
    const error = toApiError(400, { type: 'x', title: 'Bad Request', status: 400, detail: 'The body is not valid.', errors: [{ path: 'heartbeatFrequencyMinutes', message: 'Too small: expected number to be >=5' }] });
    expect(error.title).toBe('Bad Request');
    expect(describeError(error)).toBe('The body is not valid. (heartbeatFrequencyMinutes: Too small: expected number to be >=5)');
  });

  it('says something useful for bodies that are not problems, and for network failures', () => {
    expect(describeError(toApiError(502, '<html>'))).toBe('The service answered HTTP 502.');
    expect(toApiError(404, {}).notAvailable).toBe(true);
    expect(new ApiError(403, 'Forbidden', 'x').notAvailable).toBe(false);
    expect(describeError(new TypeError('Failed to fetch'))).toContain('could not be reached');
  });
});

describe('policy changes and their re-grade', () => {
  it('resets only what differs from the defaults', () => {
    const changed = policy.map((p) => (p.classification === 'ADWARE' ? { ...p, riskLevel: 'high' as const } : p));
    expect(policyChangesToDefaults(changed)).toEqual({ ADWARE: 'low' });
    expect(policyChangesToDefaults(policy)).toEqual({});
  });

  it('follows a queued re-grade when the answer carries one, and copes with a synchronous answer', () => {
    expect(regradeFrom({ item: policy[0], devicesChanged: 3 })).toBeNull();
    const regrade = regradeFrom({ item: policy[0], regrade: { id: 'job-1', status: 'running', devicesChanged: 2, devicesTotal: 10 } });
    expect(regrade).toEqual({ id: 'job-1', status: 'running', devicesChanged: 2, devicesTotal: 10 });
    expect(describeRegrade(regrade ?? { id: '', status: '', devicesChanged: 0, devicesTotal: 0 })).toBe('Re-grading devices… 2 changed so far of 10 devices with open threats.');
    expect(describeRegrade({ id: 'job-1', status: 'completed', devicesChanged: 1, devicesTotal: 1 })).toBe(
      'Re-grading done: 1 device changed risk level of 1 device with open threats.',
    );
  });
});

describe('connector settings form', () => {
  const draft = {
    heartbeatFrequencyMinutes: '60',
    enrollmentPollMinutes: '5',
    disconnectedAfterDays: '7',
    deviceStatus: true,
    threatStatus: true,
    intunePartner: true,
    entraDeviceAttribute: '',
    recipients: 'ops@contoso.test\n  secops@contoso.test, ',
    keyBinding: 'optional' as const,
    attestation: 'report' as const,
    activationReminderDays: '0',
    agentInstallUrl: '',
  };

  it('builds the PUT body the API accepts', () => {
    expect(checkDraft(draft)).toEqual({
      body: {
        heartbeatFrequencyMinutes: 60,
        enrollmentPollMinutes: 5,
        disconnectedAfterDays: 7,
        stateSync: { deviceStatus: true, threatStatus: true },
        errorReportRecipients: ['ops@contoso.test', 'secops@contoso.test'],
        enforcement: { intunePartner: true, entraDeviceAttribute: null },
        agentTrust: { keyBinding: 'optional', attestation: 'report' },
        activationReminderDays: 0,
        agentInstallUrl: null,
      },
      errors: {},
    });
    expect(parseRecipients(' a@b.test ;c@d.test\n\n')).toEqual(['a@b.test', 'c@d.test']);
  });

  it('refuses out-of-range values and bad addresses with the API schema, field by field', () => {
    const checked = checkDraft({ ...draft, heartbeatFrequencyMinutes: '2', disconnectedAfterDays: '', recipients: 'ops@contoso.test\nnot-an-address' });
    expect(checked.body).toBeUndefined();
    expect(Object.keys(checked.errors).sort()).toEqual(['disconnectedAfterDays', 'errorReportRecipients', 'heartbeatFrequencyMinutes']);
    expect(checked.errors.errorReportRecipients).toContain('not-an-address');
    expect(checkDraft({ ...draft, recipients: Array.from({ length: 11 }, (_, i) => `u${i}@contoso.test`).join('\n') }).errors.errorReportRecipients).toBeDefined();
  });

  it('sends agent trust and reminders, an empty install link as none, and refuses a reminder past 30 days or a link that is not https', () => {
    const trusted = checkDraft({ ...draft, keyBinding: 'required', attestation: 'required', activationReminderDays: '3', agentInstallUrl: ' https://apps.contoso.test/agent ' });
    expect(trusted.body).toMatchObject({ agentTrust: { keyBinding: 'required', attestation: 'required' }, activationReminderDays: 3, agentInstallUrl: 'https://apps.contoso.test/agent' });
    const refused = checkDraft({ ...draft, activationReminderDays: '31', agentInstallUrl: 'http://apps.contoso.test/agent' });
    expect(refused.body).toBeUndefined();
    expect(Object.keys(refused.errors).sort()).toEqual(['activationReminderDays', 'agentInstallUrl']);
  });
});

describe("Intune's own view beside what we told it", () => {
  const told = (state: string | null, holds: string | null): Parameters<typeof compareWithIntune>[0] => ({
    enforcement: {
      version: 2, syncPending: false, deadLetteredVersion: null,
      intune: { state, version: 2, at: '2026-03-01T10:00:00.000Z', result: 'sent' },
      entra: { attribute: null, objectId: null, value: null, version: null, at: null, result: null },
    },
    intune: { complianceState: 'noncompliant', partnerReportedThreatState: holds, lastSyncDateTime: '2026-03-01T09:00:00.000Z', readAt: '2026-03-01T10:01:00.000Z' },
    intuneUnavailable: null,
  });

  it('says when Intune agrees', () => {
    expect(compareWithIntune(told('highSeverity', 'highSeverity'))).toEqual({ verdict: 'agrees', sentence: 'Intune holds "highSeverity", as we last told it.' });
  });

  it('says in words when Intune holds another state than the one last told', () => {
    const comparison = compareWithIntune(told('secured', 'highSeverity'));
    expect(comparison.verdict).toBe('differs');
    expect(comparison.sentence).toContain('Intune disagrees: it holds "highSeverity", but we last told it "secured" at 2026-03-01T10:00:00.000Z.');
  });

  it('says why the view is missing', () => {
    expect(compareWithIntune({ ...told('secured', null), intune: null, intuneUnavailable: 'Intune no longer has this device.' })).toEqual({ verdict: 'unknown', sentence: 'Intune no longer has this device.' });
  });
});

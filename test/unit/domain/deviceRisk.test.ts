import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifications, defaultPolicy, policyFrom } from '../../../shared/domain/classifications.js';
import type { Classification } from '../../../shared/domain/classifications.js';
import { deviceRiskLevel, effectiveRiskLevel, gradeDevice, overrideActive, threatAlertLevel, threatRiskLevel } from '../../../shared/domain/deviceRisk.js';
import { riskLevels, type RiskLevel } from '../../../shared/domain/risk.js';

const threats = (...names: Classification[]) => names.map((classification) => ({ classification }));
const noneGraded = classifications.filter((c) => defaultPolicy[c] === 'none');

describe('device risk level', () => {
  it('is none without active threats', () => {
    expect(deviceRiskLevel([], defaultPolicy)).toBe('none');
  });

  it('is the highest level among active threats', () => {
    expect(deviceRiskLevel(threats('ADWARE'), defaultPolicy)).toBe('low');
    expect(deviceRiskLevel(threats('ADWARE', 'PHISHING'), defaultPolicy)).toBe('medium');
    expect(deviceRiskLevel(threats('ADWARE', 'TROJAN', 'PHISHING'), defaultPolicy)).toBe('high');
    expect(deviceRiskLevel(threats('UNSECURED_WIFI', 'ROGUE_WIFI'), defaultPolicy)).toBe('medium');
  });

  it('is none when every active threat is graded none', () => {
    expect(noneGraded).toEqual(['SIDELOADED_APP', 'NON_APP_STORE_SIGNER', 'DEVELOPER_MODE', 'USB_DEBUGGING']);
    expect(deviceRiskLevel(threats(...noneGraded), defaultPolicy)).toBe('none');
  });

  it('never rises because of a threat graded none', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...classifications)),
        fc.array(fc.constantFrom(...noneGraded), { minLength: 1 }),
        (graded, ungraded) => {
          const without = deviceRiskLevel(threats(...graded), defaultPolicy);
          expect(deviceRiskLevel(threats(...graded, ...ungraded), defaultPolicy)).toBe(without);
        },
      ),
    );
  });

  it('follows the tenant policy', () => {
    const policy = policyFrom({ TROJAN: 'none', SIDELOADED_APP: 'medium' });
    expect(deviceRiskLevel(threats('TROJAN'), policy)).toBe('none');
    expect(deviceRiskLevel(threats('TROJAN', 'SIDELOADED_APP'), policy)).toBe('medium');
    expect(deviceRiskLevel(threats('TROJAN', 'SIDELOADED_APP', 'ADWARE'), policy)).toBe('medium');
  });
});

describe('threat alert level', () => {
  it('is the graded level, or null (no alert) for none', () => {
    expect(threatAlertLevel('TROJAN', defaultPolicy)).toBe('high');
    expect(threatAlertLevel('PHISHING', defaultPolicy)).toBe('medium');
    expect(threatAlertLevel('SPAM', defaultPolicy)).toBe('low');
    expect(threatAlertLevel('DEVELOPER_MODE', defaultPolicy)).toBeNull();
    expect(threatAlertLevel('TROJAN', policyFrom({ TROJAN: 'none' }))).toBeNull();
    expect(threatAlertLevel('DEVELOPER_MODE', policyFrom({ DEVELOPER_MODE: 'low' }))).toBe('low');
  });
});

describe('one precedence: override, then app rules, then the classification policy', () => {
  const now = new Date('2026-12-01T10:00:00.000Z');
  const later = '2026-12-01T11:00:00.000Z';
  const earlier = '2026-12-01T09:59:59.999Z';
  const rules = new Map<string, RiskLevel>([
    ['com.example.allowed', 'none'],
    ['com.example.denied', 'high'],
  ]);

  it('grades a threat by the app rule of its package instead of its classification', () => {
    expect(threatRiskLevel({ classification: 'TROJAN', packageName: 'com.example.allowed' }, defaultPolicy, rules)).toBe('none');
    expect(threatRiskLevel({ classification: 'ADWARE', packageName: 'com.example.denied' }, defaultPolicy, rules)).toBe('high');
    expect(threatRiskLevel({ classification: 'ADWARE', packageName: 'com.example.other' }, defaultPolicy, rules)).toBe('low');
    expect(threatRiskLevel({ classification: 'ADWARE' }, defaultPolicy, rules)).toBe('low');
  });

  it('matches package names exactly (case included)', () => {
    expect(threatRiskLevel({ classification: 'TROJAN', packageName: 'COM.EXAMPLE.ALLOWED' }, defaultPolicy, rules)).toBe('high');
  });

  it('an app rule wins over a changed classification level too', () => {
    const policy = policyFrom({ RISKWARE: 'high' });
    expect(deviceRiskLevel([{ classification: 'RISKWARE', packageName: 'com.example.allowed' }], policy, rules)).toBe('none');
  });

  it('the device level is the highest among its threats, each graded with the rules', () => {
    const open = [
      { classification: 'TROJAN' as const, packageName: 'com.example.allowed' },
      { classification: 'PHISHING' as const },
    ];
    expect(deviceRiskLevel(open, defaultPolicy, rules)).toBe('medium');
    expect(deviceRiskLevel(open, defaultPolicy)).toBe('high');
  });

  it('threats without a package are graded by the policy alone', () => {
    expect(deviceRiskLevel([{ classification: 'ROOTED_OR_JAILBROKEN' }], defaultPolicy, rules)).toBe('high');
  });

  it('an active override decides whatever the threats, and ends at expiresAt', () => {
    expect(effectiveRiskLevel('high', { riskLevel: 'none', expiresAt: later }, now)).toBe('none');
    expect(effectiveRiskLevel('none', { riskLevel: 'high', expiresAt: later }, now)).toBe('high');
    expect(effectiveRiskLevel('high', { riskLevel: 'none', expiresAt: earlier }, now)).toBe('high');
    expect(effectiveRiskLevel('high', { riskLevel: 'none', expiresAt: now.toISOString() }, now)).toBe('high');
    expect(effectiveRiskLevel('medium', undefined, now)).toBe('medium');
    expect(overrideActive({ riskLevel: 'low', expiresAt: 'not a time' }, now)).toBe(false);
  });

  it('keeps both halves: the threats\' level and the effective level', () => {
    const graded = gradeDevice({
      openThreats: [{ classification: 'TROJAN' }],
      policy: defaultPolicy,
      rules,
      override: { riskLevel: 'low', expiresAt: later },
      now,
    });
    expect(graded).toEqual({ threatRiskLevel: 'high', riskLevel: 'low' });
    expect(gradeDevice({ openThreats: [], policy: defaultPolicy, now })).toEqual({ threatRiskLevel: 'none', riskLevel: 'none' });
  });

  it('for any threats, rules and override, the override (when active) or the graded threats decide', () => {
    const level = fc.constantFrom(...riskLevels);
    fc.assert(
      fc.property(
        fc.array(fc.record({ classification: fc.constantFrom(...classifications), packageName: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }) })),
        fc.dictionary(fc.constantFrom('a', 'b'), level),
        fc.option(fc.record({ riskLevel: level, active: fc.boolean() }), { nil: undefined }),
        (open, ruleRecord, override) => {
          const ruleMap = new Map(Object.entries(ruleRecord));
          const stored = override ? { riskLevel: override.riskLevel, expiresAt: override.active ? later : earlier } : undefined;
          const graded = gradeDevice({ openThreats: open, policy: defaultPolicy, rules: ruleMap, override: stored, now });
          const expectedThreats = open.reduce<RiskLevel>((max, threat) => {
            const own = threat.packageName !== undefined && ruleMap.has(threat.packageName) ? (ruleMap.get(threat.packageName) ?? 'none') : defaultPolicy[threat.classification];
            return riskLevels.indexOf(own) > riskLevels.indexOf(max) ? own : max;
          }, 'none');
          expect(graded.threatRiskLevel).toBe(expectedThreats);
          expect(graded.riskLevel).toBe(override?.active ? override.riskLevel : expectedThreats);
        },
      ),
    );
  });

  it('alerts at the level the app rule gives', () => {
    expect(threatAlertLevel({ classification: 'TROJAN', packageName: 'com.example.allowed' }, defaultPolicy, rules)).toBeNull();
    expect(threatAlertLevel({ classification: 'SIDELOADED_APP', packageName: 'com.example.denied' }, defaultPolicy, rules)).toBe('high');
  });
});

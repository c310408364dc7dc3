import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifications, defaultPolicy, policyFrom } from '../../../shared/domain/classifications.js';
import type { Classification } from '../../../shared/domain/classifications.js';
import { deviceRiskLevel, threatAlertLevel } from '../../../shared/domain/deviceRisk.js';

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

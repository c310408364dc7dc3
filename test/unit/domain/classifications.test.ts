import { describe, expect, it } from 'vitest';
import {
  classificationCatalog,
  classificationSchema,
  classifications,
  defaultPolicy,
  policyFrom,
  policyRows,
  threatCategories,
} from '../../../shared/domain/classifications.js';

/** A literal copy of CONTRACT.md, "Threat classifications and default risk levels". */
const contractTable: Record<string, Record<string, string[]>> = {
  application: {
    high: ['TROJAN', 'SPY', 'SURVEILLANCE', 'BACKDOOR', 'BOT', 'EXPLOIT', 'ROOT_ENABLER', 'VIRUS', 'WORM'],
    medium: ['APP_DROPPER', 'CHARGEWARE', 'CLICK_FRAUD', 'TOLL_FRAUD', 'DATA_LEAK', 'DENYLISTED_APP'],
    low: ['ADWARE', 'RISKWARE', 'SPAM', 'VULNERABILITY'],
    none: ['SIDELOADED_APP', 'NON_APP_STORE_SIGNER'],
  },
  device: {
    high: ['ROOTED_OR_JAILBROKEN', 'DEVICE_INTEGRITY_FAILED'],
    medium: ['OS_VULNERABILITY'],
    low: ['DEVICE_INTEGRITY_UNVERIFIED', 'OUTDATED_OS', 'NO_DEVICE_LOCK', 'ENCRYPTION_DISABLED', 'UNKNOWN_SOURCES_ENABLED'],
    none: ['DEVELOPER_MODE', 'USB_DEBUGGING'],
  },
  network: {
    high: ['MAN_IN_THE_MIDDLE'],
    medium: ['ROGUE_WIFI'],
    low: ['UNSECURED_WIFI'],
  },
  web: {
    medium: ['PHISHING', 'MALICIOUS_URL'],
  },
};

const contractRows = Object.entries(contractTable).flatMap(([category, byLevel]) =>
  Object.entries(byLevel).flatMap(([level, names]) =>
    names.map((classification) => ({ classification, category, defaultRiskLevel: level })),
  ),
);

describe('classification catalog', () => {
  it('has the four categories', () => {
    expect(threatCategories).toEqual(['application', 'device', 'network', 'web']);
  });

  it('holds exactly the 36 classifications of the contract, each once', () => {
    expect(contractRows).toHaveLength(36);
    expect(classifications).toHaveLength(36);
    expect(new Set(classifications).size).toBe(36);
    expect([...classifications].sort()).toEqual(contractRows.map((r) => r.classification).sort());
    expect(classificationCatalog.map((e) => e.classification)).toEqual([...classifications]);
  });

  it.each(contractRows)('$classification is $category with default $defaultRiskLevel', (row) => {
    const entry = classificationCatalog.find((e) => e.classification === row.classification);
    expect(entry).toEqual(row);
    expect(defaultPolicy[classificationSchema.parse(row.classification)]).toBe(row.defaultRiskLevel);
  });

  it('rejects unknown or differently cased classifications', () => {
    expect(classificationSchema.safeParse('trojan').success).toBe(false);
    expect(classificationSchema.safeParse('RANSOMWARE').success).toBe(false);
    expect(classificationSchema.parse('TROJAN')).toBe('TROJAN');
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(defaultPolicy)).toBe(true);
    expect(Object.isFrozen(classificationCatalog)).toBe(true);
  });
});

describe('classification policy', () => {
  it('equals the defaults without overrides', () => {
    expect(policyFrom({})).toEqual(defaultPolicy);
  });

  it('applies overrides and leaves every other classification at its default', () => {
    const policy = policyFrom({ SIDELOADED_APP: 'high', TROJAN: 'low', PHISHING: 'none' });
    expect(policy.SIDELOADED_APP).toBe('high');
    expect(policy.TROJAN).toBe('low');
    expect(policy.PHISHING).toBe('none');
    const others = classifications.filter((c) => !['SIDELOADED_APP', 'TROJAN', 'PHISHING'].includes(c));
    expect(others).toHaveLength(33);
    for (const c of others) expect(policy[c]).toBe(defaultPolicy[c]);
  });

  it('lists rows for the console with current and default levels', () => {
    const rows = policyRows({ ADWARE: 'high' });
    expect(rows).toHaveLength(36);
    expect(rows[0]).toEqual({ classification: 'TROJAN', category: 'application', riskLevel: 'high', defaultRiskLevel: 'high' });
    expect(rows.find((r) => r.classification === 'ADWARE')).toEqual({
      classification: 'ADWARE',
      category: 'application',
      riskLevel: 'high',
      defaultRiskLevel: 'low',
    });
    expect(rows.find((r) => r.classification === 'USB_DEBUGGING')).toEqual({
      classification: 'USB_DEBUGGING',
      category: 'device',
      riskLevel: 'none',
      defaultRiskLevel: 'none',
    });
    expect(rows.filter((r) => r.riskLevel !== r.defaultRiskLevel).map((r) => r.classification)).toEqual(['ADWARE']);
  });
});

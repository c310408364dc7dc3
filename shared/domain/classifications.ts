import { z } from 'zod';
import type { RiskLevel } from './risk.js';

export const threatCategories = ['application', 'device', 'network', 'web'] as const;
export type ThreatCategory = (typeof threatCategories)[number];

/** Every threat classification, grouped by category (the service raises the `serviceClassifications` itself). */
export const classifications = [
  // application
  'TROJAN',
  'SPY',
  'SURVEILLANCE',
  'BACKDOOR',
  'BOT',
  'EXPLOIT',
  'ROOT_ENABLER',
  'VIRUS',
  'WORM',
  'APP_DROPPER',
  'CHARGEWARE',
  'CLICK_FRAUD',
  'TOLL_FRAUD',
  'DATA_LEAK',
  'DENYLISTED_APP',
  'ADWARE',
  'RISKWARE',
  'SPAM',
  'VULNERABILITY',
  'SIDELOADED_APP',
  'NON_APP_STORE_SIGNER',
  // device
  'ROOTED_OR_JAILBROKEN',
  'DEVICE_INTEGRITY_FAILED',
  'OS_VULNERABILITY',
  'DEVICE_INTEGRITY_UNVERIFIED',
  'OUTDATED_OS',
  'NO_DEVICE_LOCK',
  'ENCRYPTION_DISABLED',
  'UNKNOWN_SOURCES_ENABLED',
  'DEVELOPER_MODE',
  'USB_DEBUGGING',
  // network
  'MAN_IN_THE_MIDDLE',
  'ROGUE_WIFI',
  'UNSECURED_WIFI',
  // web
  'PHISHING',
  'MALICIOUS_URL',
] as const;
export type Classification = (typeof classifications)[number];
export const classificationSchema = z.enum(classifications);

/**
 * Raised by the service from the device's attestation verdict (CONTRACT.md, "Agent trust"), never by an agent: an
 * agent's report naming one is refused, and the agent's complete-set reports leave them alone.
 */
export const serviceClassifications = ['DEVICE_INTEGRITY_FAILED', 'DEVICE_INTEGRITY_UNVERIFIED'] as const satisfies readonly Classification[];
export type ServiceClassification = (typeof serviceClassifications)[number];

export function isServiceClassification(classification: Classification): classification is ServiceClassification {
  return (serviceClassifications as readonly Classification[]).includes(classification);
}

/** What an agent may report: every classification but the service's own. */
export const agentClassificationSchema = classificationSchema.refine((value): boolean => !isServiceClassification(value), {
  message: 'is raised by the service itself from the device\'s attestation and cannot be reported by the agent',
});

export interface ClassificationEntry {
  readonly classification: Classification;
  readonly category: ThreatCategory;
  readonly defaultRiskLevel: RiskLevel;
}

const catalogByClassification: Readonly<Record<Classification, Omit<ClassificationEntry, 'classification'>>> = {
  TROJAN: { category: 'application', defaultRiskLevel: 'high' },
  SPY: { category: 'application', defaultRiskLevel: 'high' },
  SURVEILLANCE: { category: 'application', defaultRiskLevel: 'high' },
  BACKDOOR: { category: 'application', defaultRiskLevel: 'high' },
  BOT: { category: 'application', defaultRiskLevel: 'high' },
  EXPLOIT: { category: 'application', defaultRiskLevel: 'high' },
  ROOT_ENABLER: { category: 'application', defaultRiskLevel: 'high' },
  VIRUS: { category: 'application', defaultRiskLevel: 'high' },
  WORM: { category: 'application', defaultRiskLevel: 'high' },
  APP_DROPPER: { category: 'application', defaultRiskLevel: 'medium' },
  CHARGEWARE: { category: 'application', defaultRiskLevel: 'medium' },
  CLICK_FRAUD: { category: 'application', defaultRiskLevel: 'medium' },
  TOLL_FRAUD: { category: 'application', defaultRiskLevel: 'medium' },
  DATA_LEAK: { category: 'application', defaultRiskLevel: 'medium' },
  DENYLISTED_APP: { category: 'application', defaultRiskLevel: 'medium' },
  ADWARE: { category: 'application', defaultRiskLevel: 'low' },
  RISKWARE: { category: 'application', defaultRiskLevel: 'low' },
  SPAM: { category: 'application', defaultRiskLevel: 'low' },
  VULNERABILITY: { category: 'application', defaultRiskLevel: 'low' },
  SIDELOADED_APP: { category: 'application', defaultRiskLevel: 'none' },
  NON_APP_STORE_SIGNER: { category: 'application', defaultRiskLevel: 'none' },
  ROOTED_OR_JAILBROKEN: { category: 'device', defaultRiskLevel: 'high' },
  DEVICE_INTEGRITY_FAILED: { category: 'device', defaultRiskLevel: 'high' },
  DEVICE_INTEGRITY_UNVERIFIED: { category: 'device', defaultRiskLevel: 'low' },
  OS_VULNERABILITY: { category: 'device', defaultRiskLevel: 'medium' },
  OUTDATED_OS: { category: 'device', defaultRiskLevel: 'low' },
  NO_DEVICE_LOCK: { category: 'device', defaultRiskLevel: 'low' },
  ENCRYPTION_DISABLED: { category: 'device', defaultRiskLevel: 'low' },
  UNKNOWN_SOURCES_ENABLED: { category: 'device', defaultRiskLevel: 'low' },
  DEVELOPER_MODE: { category: 'device', defaultRiskLevel: 'none' },
  USB_DEBUGGING: { category: 'device', defaultRiskLevel: 'none' },
  MAN_IN_THE_MIDDLE: { category: 'network', defaultRiskLevel: 'high' },
  ROGUE_WIFI: { category: 'network', defaultRiskLevel: 'medium' },
  UNSECURED_WIFI: { category: 'network', defaultRiskLevel: 'low' },
  PHISHING: { category: 'web', defaultRiskLevel: 'medium' },
  MALICIOUS_URL: { category: 'web', defaultRiskLevel: 'medium' },
};

/** The catalog, one entry per classification, in the order of `classifications`. */
export const classificationCatalog: readonly ClassificationEntry[] = Object.freeze(
  classifications.map((classification) => Object.freeze({ classification, ...catalogByClassification[classification] })),
);

/** A tenant's changes to the default risk levels; classifications not named keep their default. */
export type ClassificationOverrides = Partial<Record<Classification, RiskLevel>>;
/** The risk level of every classification for one tenant. */
export type ClassificationPolicy = Readonly<Record<Classification, RiskLevel>>;

function buildPolicy(overrides: ClassificationOverrides): ClassificationPolicy {
  const policy = {} as Record<Classification, RiskLevel>;
  for (const classification of classifications) {
    policy[classification] = overrides[classification] ?? catalogByClassification[classification].defaultRiskLevel;
  }
  return Object.freeze(policy);
}

export const defaultPolicy: ClassificationPolicy = buildPolicy({});

/** The full policy: each override applied over the defaults. */
export function policyFrom(overrides: ClassificationOverrides): ClassificationPolicy {
  return buildPolicy(overrides);
}

export interface PolicyRow {
  classification: Classification;
  category: ThreatCategory;
  riskLevel: RiskLevel;
  defaultRiskLevel: RiskLevel;
}

/** Every classification with its current and default risk level (the console's list). */
export function policyRows(overrides: ClassificationOverrides): PolicyRow[] {
  const policy = policyFrom(overrides);
  return classificationCatalog.map((entry) => ({
    classification: entry.classification,
    category: entry.category,
    riskLevel: policy[entry.classification],
    defaultRiskLevel: entry.defaultRiskLevel,
  }));
}

/**
 * The simulated tenants: users, groups (nested), Intune managed devices and their Entra device objects.
 * A scenario is plain JSON checked by this schema; `generate.ts` builds large ones for benchmarks.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
  message: 'must be a GUID',
});

export const PARTNER_THREAT_STATES = [
  'unknown',
  'activated',
  'deactivated',
  'secured',
  'lowSeverity',
  'mediumSeverity',
  'highSeverity',
  'unresponsive',
  'compromised',
  'misconfigured',
] as const;
export type PartnerThreatState = (typeof PARTNER_THREAT_STATES)[number];

export const MTD_PARTNER_STATES = [
  'unavailable',
  'available',
  'enabled',
  'unresponsive',
  'notSetUp',
  'error',
  'unknownFutureValue',
] as const;

/** Id of the MTD connector seeded in every tenant (Intune's connector for a partner has a fixed id per partner). */
export const DEFAULT_CONNECTOR_ID = 'fc780465-2017-40d4-a0c5-307022471b92';
export const DEFAULT_CLIENT_ID = '33333333-3333-4333-8333-333333333333';
export const DEFAULT_CLIENT_SECRET = 'sim-client-secret';
export const DEFAULT_SENDGRID_API_KEY = 'SG.sim-api-key';

export const userSchema = z.object({
  id: guid,
  userPrincipalName: z.string().min(3),
  displayName: z.string(),
  mail: z.string().nullable().default(null),
  givenName: z.string().nullable().default(null),
  surname: z.string().nullable().default(null),
  accountEnabled: z.boolean().default(true),
  /** App roles of the connector's API assigned to the user, e.g. `Provider.Support` in the provider's own tenant. */
  appRoles: z.array(z.string().min(1)).optional(),
});
export type ScenarioUser = z.infer<typeof userSchema>;

export const groupSchema = z.object({
  id: guid,
  displayName: z.string().min(1),
  description: z.string().nullable().default(null),
  securityEnabled: z.boolean().default(true),
  mailEnabled: z.boolean().default(false),
  /** Direct members: ids of users or of other groups in the same tenant. */
  members: z.array(guid).default([]),
});
export type ScenarioGroup = z.infer<typeof groupSchema>;

export const managedDeviceSchema = z.object({
  /** Intune managed device id. */
  id: guid,
  userId: guid,
  deviceName: z.string(),
  operatingSystem: z.enum(['iOS', 'Android', 'Windows', 'macOS']),
  osVersion: z.string(),
  /** The Entra device's `deviceId` (not its object id). */
  azureADDeviceId: guid,
  /** The Entra device's object `id` (distinct from `deviceId`). */
  entraObjectId: guid,
  managedDeviceOwnerType: z.enum(['company', 'personal', 'unknown']).default('company'),
  model: z.string().nullable().default(null),
  manufacturer: z.string().nullable().default(null),
  lastSyncDateTime: z.string().default('2025-01-01T00:00:00Z'),
  enrolledDateTime: z.string().default('2024-06-01T00:00:00Z'),
  partnerReportedThreatState: z.enum(PARTNER_THREAT_STATES).default('unknown'),
});
export type ScenarioManagedDevice = z.infer<typeof managedDeviceSchema>;

export const tenantSchema = z.object({
  id: guid,
  displayName: z.string(),
  /** Verified domain, e.g. contoso.onmicrosoft.com; usable in place of the id in Entra URLs. */
  domain: z.string().optional(),
  /**
   * Further domains of the tenant (Graph `/domains`), e.g. one added but not yet verified. Besides these, the tenant's
   * `domain` and the domains of its users' user principal names are verified domains (Entra ID allows no others there).
   */
  domains: z.array(z.object({ id: z.string().min(1), isVerified: z.boolean().default(true) })).default([]),
  users: z.array(userSchema).default([]),
  groups: z.array(groupSchema).default([]),
  managedDevices: z.array(managedDeviceSchema).default([]),
  /** The tenant's mobileThreatDefenseConnector (one per tenant). */
  connector: z
    .object({
      id: z.string().default(DEFAULT_CONNECTOR_ID),
      partnerState: z.enum(MTD_PARTNER_STATES).default('available'),
    })
    .prefault({}),
});
export type ScenarioTenant = z.infer<typeof tenantSchema>;

/** The application permissions of an onboarded Intune MTD partner's connector (docs/DEPLOY.md). */
export const DEFAULT_APP_PERMISSIONS: readonly string[] = [
  'GroupMember.Read.All',
  'User.ReadBasic.All',
  'DeviceManagementManagedDevices.Read.All',
  'Device.ReadWrite.All',
  'DeviceManagementManagedDevices.ReadWrite.All',
  'DeviceManagementServiceConfig.ReadWrite.All',
  'Domain.Read.All',
];

export const scenarioSchema = z.object({
  /** The multi-tenant connector app registration that calls Graph. */
  app: z
    .object({
      clientId: guid.default(DEFAULT_CLIENT_ID),
      clientSecret: z.string().min(1).default(DEFAULT_CLIENT_SECRET),
      /**
       * The Microsoft Graph application permissions the app registration asks for: what an admin consent grants, and
       * so the `roles` of the app's tokens in a consented tenant (default: those of an onboarded MTD partner).
       */
      permissions: z
        .array(z.string().min(1))
        .default(() => [...DEFAULT_APP_PERMISSIONS]),
    })
    .prefault({}),
  sendgrid: z.object({ apiKey: z.string().min(1).default(DEFAULT_SENDGRID_API_KEY) }).prefault({}),
  /** Tenants that have already granted admin consent to the app (default: none). */
  consentedTenants: z.array(guid).default([]),
  tenants: z.array(tenantSchema).min(1),
});
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export function parseScenario(value: unknown): Scenario {
  return scenarioSchema.parse(value);
}

export async function loadScenario(file: string): Promise<Scenario> {
  const text = await readFile(file, 'utf8');
  const value: unknown = JSON.parse(text);
  return parseScenario(value);
}

/** Path of the bundled default scenario. */
export const DEFAULT_SCENARIO_FILE = new URL('./scenarios/default.json', import.meta.url);

export async function loadDefaultScenario(): Promise<Scenario> {
  const text = await readFile(DEFAULT_SCENARIO_FILE, 'utf8');
  const value: unknown = JSON.parse(text);
  return parseScenario(value);
}

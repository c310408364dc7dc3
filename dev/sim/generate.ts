/**
 * Large generated scenarios for benchmarks: `users` users, about `devicesPerUser` iOS/Android managed devices
 * each (fractions spread evenly), and enrollment groups whose members cover every user (one nested group).
 */
import { DEFAULT_APP_PERMISSIONS, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_CONNECTOR_ID, DEFAULT_SENDGRID_API_KEY } from './scenario.js';
import type { Scenario, ScenarioGroup, ScenarioManagedDevice, ScenarioUser } from './scenario.js';

export interface GenerateOptions {
  tenantId: string;
  users: number;
  /** Average managed devices per user, e.g. 1.5. */
  devicesPerUser: number;
  /** Enrollment groups to create (default 1: "MTD-All" with everyone, through one nested group). */
  groups?: number;
  displayName?: string;
  /** Tenants consented from the start (default: the generated one). */
  consented?: boolean;
  clientId?: string;
  clientSecret?: string;
}

/**
 * A fast, deterministic GUID from two numbers (v4 layout). The first group is a scramble of both, so ids spread
 * over the whole range as Microsoft's random ids do (storage that partitions by an id prefix sees a realistic
 * spread); the numbers themselves sit in the later groups, which keeps every id unique.
 */
function seqGuid(kind: number, n: number): string {
  const scrambled = (Math.imul(n ^ Math.imul(kind, 0x9e3779b1), 0x85ebca6b) >>> 0).toString(16).padStart(8, '0');
  const hex = n.toString(16).padStart(12, '0');
  const k = kind.toString(16).padStart(4, '0');
  return `${scrambled}-${k}-4000-8000-${hex}`;
}

export function generateScenario(options: GenerateOptions): Scenario {
  const tenantId = options.tenantId.toLowerCase();
  const name = options.displayName ?? 'Generated';
  const domain = `${name.toLowerCase().replace(/[^a-z0-9]/g, '') || 'generated'}.onmicrosoft.com`;
  const groupCount = Math.max(1, options.groups ?? 1);
  const tag = parseInt(tenantId.slice(0, 4), 16) & 0x0fff;

  const users: ScenarioUser[] = new Array<ScenarioUser>(options.users);
  for (let i = 0; i < options.users; i++) {
    const upn = `user${i}@${domain}`;
    users[i] = {
      id: seqGuid(0x1000 + tag, i),
      userPrincipalName: upn,
      displayName: `User ${i}`,
      mail: upn,
      givenName: 'User',
      surname: String(i),
      accountEnabled: true,
    };
  }

  const devices: ScenarioManagedDevice[] = [];
  const total = Math.round(options.users * options.devicesPerUser);
  for (let n = 0; n < total; n++) {
    const user = users[n % options.users];
    if (!user) break;
    const ios = n % 2 === 0;
    devices.push({
      id: seqGuid(0x2000 + tag, n),
      userId: user.id,
      deviceName: `${user.displayName} ${ios ? 'iPhone' : 'Android'} ${Math.floor(n / options.users) + 1}`,
      operatingSystem: ios ? 'iOS' : 'Android',
      osVersion: ios ? '17.5.1' : '14',
      azureADDeviceId: seqGuid(0x3000 + tag, n),
      entraObjectId: seqGuid(0x4000 + tag, n),
      managedDeviceOwnerType: 'company',
      model: ios ? 'iPhone 15' : 'Pixel 8',
      manufacturer: ios ? 'Apple' : 'Google',
      lastSyncDateTime: '2025-01-01T00:00:00Z',
      enrolledDateTime: '2024-06-01T00:00:00Z',
      partnerReportedThreatState: 'unknown',
    });
  }

  // Group 0 "MTD-All" holds the first half of the users directly and the rest through "MTD-All-Nested";
  // further groups "MTD-Group-k" split the users into slices.
  const groups: ScenarioGroup[] = [];
  const half = Math.floor(options.users / 2);
  const nestedId = seqGuid(0x5000 + tag, 0xffff);
  groups.push({
    id: seqGuid(0x5000 + tag, 0),
    displayName: 'MTD-All',
    description: 'Every user (half nested)',
    securityEnabled: true,
    mailEnabled: false,
    members: [...users.slice(0, half).map((u) => u.id), nestedId],
  });
  groups.push({
    id: nestedId,
    displayName: 'MTD-All-Nested',
    description: 'Nested in MTD-All',
    securityEnabled: true,
    mailEnabled: false,
    members: users.slice(half).map((u) => u.id),
  });
  const slice = Math.ceil(options.users / Math.max(1, groupCount - 1));
  for (let k = 1; k < groupCount; k++) {
    groups.push({
      id: seqGuid(0x5000 + tag, k),
      displayName: `MTD-Group-${k}`,
      description: null,
      securityEnabled: true,
      mailEnabled: false,
      members: users.slice((k - 1) * slice, k * slice).map((u) => u.id),
    });
  }

  // Built complete and well-typed, so the (slow at this size) schema parse is skipped.
  return {
    app: { clientId: options.clientId ?? DEFAULT_CLIENT_ID, clientSecret: options.clientSecret ?? DEFAULT_CLIENT_SECRET, permissions: [...DEFAULT_APP_PERMISSIONS] },
    sendgrid: { apiKey: DEFAULT_SENDGRID_API_KEY },
    consentedTenants: options.consented === false ? [] : [tenantId],
    tenants: [
      {
        id: tenantId,
        displayName: name,
        domain,
        domains: [],
        users,
        groups,
        managedDevices: devices,
        connector: { id: DEFAULT_CONNECTOR_ID, partnerState: 'available' },
      },
    ],
  };
}

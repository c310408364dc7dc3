/**
 * One simulated tenant's data, held in Maps and indexes so that a 100k-user / 150k-device tenant serves
 * every page in constant time: users, groups with direct members and reverse (member → groups) edges,
 * Intune managed devices, Entra device objects, the MTD connector, and a change log for delta queries.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { PartnerThreatState, ScenarioGroup, ScenarioManagedDevice, ScenarioTenant, ScenarioUser } from './scenario.js';

export interface DirUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  mail: string | null;
  givenName: string | null;
  surname: string | null;
  accountEnabled: boolean;
}

export interface DirGroup {
  id: string;
  displayName: string;
  description: string | null;
  securityEnabled: boolean;
  mailEnabled: boolean;
  mailNickname: string;
  groupTypes: string[];
  createdDateTime: string;
  /** Direct member ids (users or groups), insertion ordered. */
  members: Set<string>;
}

export interface ManagedDevice {
  id: string;
  userId: string;
  userPrincipalName: string;
  userDisplayName: string;
  emailAddress: string;
  deviceName: string;
  operatingSystem: string;
  osVersion: string;
  azureADDeviceId: string;
  azureADRegistered: boolean;
  managedDeviceOwnerType: string;
  managementAgent: string;
  complianceState: string;
  deviceRegistrationState: string;
  model: string | null;
  manufacturer: string | null;
  enrolledDateTime: string;
  lastSyncDateTime: string;
  partnerReportedThreatState: PartnerThreatState;
}

export const EXTENSION_ATTRIBUTE_NAMES = Array.from({ length: 15 }, (_, i) => `extensionAttribute${i + 1}`);

export interface EntraDevice {
  id: string;
  deviceId: string;
  displayName: string;
  operatingSystem: string;
  operatingSystemVersion: string;
  accountEnabled: boolean;
  trustType: string;
  isManaged: boolean;
  isCompliant: boolean;
  extensionAttributes: Record<string, string | null>;
}

export interface MtdConnector {
  id: string;
  lastHeartbeatDateTime: string;
  partnerState: string;
  androidEnabled: boolean;
  iosEnabled: boolean;
  windowsEnabled: boolean;
  macEnabled: boolean;
  androidMobileApplicationManagementEnabled: boolean;
  iosMobileApplicationManagementEnabled: boolean;
  androidDeviceBlockedOnMissingPartnerData: boolean;
  iosDeviceBlockedOnMissingPartnerData: boolean;
  windowsDeviceBlockedOnMissingPartnerData: boolean;
  macDeviceBlockedOnMissingPartnerData: boolean;
  partnerUnsupportedOsVersionBlocked: boolean;
  partnerUnresponsivenessThresholdInDays: number;
  allowPartnerToCollectIOSApplicationMetadata: boolean;
  allowPartnerToCollectIOSPersonalApplicationMetadata: boolean;
  microsoftDefenderForEndpointAttachEnabled: boolean;
}

export type MemberRef = { type: 'user' | 'group'; id: string };

export type ChangeInput =
  | { kind: 'user'; id: string }
  | { kind: 'group'; id: string; member?: { id: string; type: 'user' | 'group'; removed: boolean } };
export type Change = ChangeInput & { seq: number };

export class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}

/** Deterministic GUID from a string (v4 layout). */
export function guidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  const variant = '89ab'.charAt(parseInt(h.charAt(16), 16) % 4);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function userRow(u: DirUser): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.user',
    id: u.id,
    businessPhones: [],
    displayName: u.displayName,
    givenName: u.givenName,
    jobTitle: null,
    mail: u.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    accountEnabled: u.accountEnabled,
  };
}

export function groupRow(g: DirGroup): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.group',
    id: g.id,
    createdDateTime: g.createdDateTime,
    description: g.description,
    displayName: g.displayName,
    groupTypes: g.groupTypes,
    mail: null,
    mailEnabled: g.mailEnabled,
    mailNickname: g.mailNickname,
    securityEnabled: g.securityEnabled,
  };
}

export class TenantDirectory {
  readonly id: string;
  displayName: string;
  readonly domain: string;
  readonly users = new Map<string, DirUser>();
  private readonly usersByUpn = new Map<string, DirUser>();
  readonly groups = new Map<string, DirGroup>();
  /** member id → ids of the groups it is a direct member of. */
  private readonly parents = new Map<string, Set<string>>();
  readonly managedDevices = new Map<string, ManagedDevice>();
  readonly entraDevices = new Map<string, EntraDevice>();
  private readonly entraByDeviceId = new Map<string, EntraDevice>();
  readonly connectors = new Map<string, MtdConnector>();
  /** Domains added to the tenant beyond its initial one, by name (lower case): whether each is verified. */
  readonly extraDomains = new Map<string, boolean>();
  /** User id → app roles of the connector's API assigned to the user (the `roles` of their delegated tokens). */
  readonly apiAppRoles = new Map<string, readonly string[]>();

  /** Bumped on every change to who exists or who belongs where; list caches key on it. */
  version = 0;
  private readonly caches = new Map<string, { version: number; value: unknown }>();

  /** Change log for delta queries, ordered by `seq`. */
  readonly changes: Change[] = [];
  seq = 0;
  /** Delta and skip tokens carry the epoch they were issued in; expiring tokens bumps it. */
  deltaEpoch = 0;

  constructor(t: ScenarioTenant) {
    this.id = t.id.toLowerCase();
    this.displayName = t.displayName;
    this.domain = (t.domain ?? `${t.displayName.toLowerCase().replace(/[^a-z0-9]/g, '')}.onmicrosoft.com`).toLowerCase();
    for (const d of t.domains) this.extraDomains.set(d.id.toLowerCase(), d.isVerified);
    for (const u of t.users) this.putUser(u);
    for (const u of t.users) if (u.appRoles !== undefined && u.appRoles.length > 0) this.apiAppRoles.set(u.id.toLowerCase(), [...u.appRoles]);
    for (const g of t.groups) this.putGroup(g);
    for (const g of t.groups) {
      for (const m of g.members) {
        if (!this.users.has(m) && !this.groups.has(m)) {
          throw new Error(`tenant ${t.id}: group ${g.id} lists unknown member ${m}`);
        }
        this.link(g.id, m);
      }
    }
    for (const d of t.managedDevices) this.putManagedDevice(d);
    const c = t.connector;
    this.connectors.set(c.id, {
      id: c.id,
      lastHeartbeatDateTime: '0001-01-01T00:00:00Z',
      partnerState: c.partnerState,
      androidEnabled: true,
      iosEnabled: true,
      windowsEnabled: false,
      macEnabled: false,
      androidMobileApplicationManagementEnabled: false,
      iosMobileApplicationManagementEnabled: false,
      androidDeviceBlockedOnMissingPartnerData: true,
      iosDeviceBlockedOnMissingPartnerData: true,
      windowsDeviceBlockedOnMissingPartnerData: false,
      macDeviceBlockedOnMissingPartnerData: false,
      partnerUnsupportedOsVersionBlocked: false,
      partnerUnresponsivenessThresholdInDays: 7,
      allowPartnerToCollectIOSApplicationMetadata: false,
      allowPartnerToCollectIOSPersonalApplicationMetadata: false,
      microsoftDefenderForEndpointAttachEnabled: false,
    });
  }

  // ---- lookups ---------------------------------------------------------------------------------

  /**
   * The tenant's domains as Graph's `/domains` lists them: the initial one, those of its users' user principal names
   * (verified: Entra ID allows a UPN only in a verified domain) and any added in the scenario or later.
   */
  domainList(): { id: string; isVerified: boolean; isInitial: boolean; isDefault: boolean }[] {
    const verified = new Map<string, boolean>([[this.domain, true]]);
    for (const user of this.users.values()) {
      const at = user.userPrincipalName.lastIndexOf('@');
      if (at > 0) verified.set(user.userPrincipalName.slice(at + 1).toLowerCase(), true);
    }
    for (const [id, isVerified] of this.extraDomains) if (!verified.has(id)) verified.set(id, isVerified);
    return [...verified].map(([id, isVerified]) => ({ id, isVerified, isInitial: id === this.domain, isDefault: id === this.domain }));
  }

  /** A user by object id or user principal name, as Graph's `/users/{id | userPrincipalName}`. */
  findUser(key: string): DirUser | undefined {
    const lower = key.toLowerCase();
    return this.users.get(lower) ?? this.usersByUpn.get(lower);
  }

  entraByDevice(deviceId: string): EntraDevice | undefined {
    return this.entraByDeviceId.get(deviceId.toLowerCase());
  }

  /** Cached derived value, recomputed after any structural change. */
  cached<T>(key: string, compute: () => T): T {
    const hit = this.caches.get(key);
    if (hit && hit.version === this.version) return hit.value as T;
    const value = compute();
    if (this.caches.size >= 2000) this.caches.clear();
    this.caches.set(key, { version: this.version, value });
    return value;
  }

  /** Groups by lower-cased display name (Graph's `eq` on displayName ignores case). */
  groupsByName(): Map<string, DirGroup[]> {
    return this.cached('groupsByName', () => {
      const map = new Map<string, DirGroup[]>();
      for (const g of this.groups.values()) {
        const key = g.displayName.toLowerCase();
        const list = map.get(key);
        if (list) list.push(g);
        else map.set(key, [g]);
      }
      return map;
    });
  }

  /** Managed devices grouped by a (lower-cased) property value. */
  managedDevicesBy(property: 'azureADDeviceId' | 'userId'): Map<string, ManagedDevice[]> {
    return this.cached(`managedDevicesBy:${property}`, () => {
      const map = new Map<string, ManagedDevice[]>();
      for (const d of this.managedDevices.values()) {
        const key = d[property].toLowerCase();
        const list = map.get(key);
        if (list) list.push(d);
        else map.set(key, [d]);
      }
      return map;
    });
  }

  userList(): DirUser[] {
    return this.cached('users', () => [...this.users.values()]);
  }

  groupList(): DirGroup[] {
    return this.cached('groups', () => [...this.groups.values()]);
  }

  managedDeviceList(): ManagedDevice[] {
    return this.cached('managedDevices', () => [...this.managedDevices.values()]);
  }

  entraDeviceList(): EntraDevice[] {
    return this.cached('entraDevices', () => [...this.entraDevices.values()]);
  }

  memberType(id: string): 'user' | 'group' | undefined {
    if (this.users.has(id)) return 'user';
    if (this.groups.has(id)) return 'group';
    return undefined;
  }

  directMembers(groupId: string): MemberRef[] {
    return this.cached(`members:${groupId}`, () => {
      const g = this.groups.get(groupId);
      if (!g) return [];
      const refs: MemberRef[] = [];
      for (const id of g.members) {
        const type = this.memberType(id);
        if (type) refs.push({ type, id });
      }
      return refs;
    });
  }

  /** Every user and group below a group, each once, nested groups followed (cycles tolerated). */
  transitiveMembers(groupId: string): MemberRef[] {
    return this.cached(`transitive:${groupId}`, () => {
      const seen = new Set<string>([groupId]);
      const out: MemberRef[] = [];
      const stack = [groupId];
      while (stack.length > 0) {
        const current = this.groups.get(stack.pop() ?? '');
        if (!current) continue;
        for (const id of current.members) {
          if (seen.has(id)) continue;
          seen.add(id);
          const type = this.memberType(id);
          if (!type) continue;
          out.push({ type, id });
          if (type === 'group') stack.push(id);
        }
      }
      return out;
    });
  }

  /** Ids of every group a user or group belongs to, directly or through nesting. */
  transitiveGroupsOf(memberId: string): string[] {
    const seen = new Set<string>();
    const stack = [memberId];
    while (stack.length > 0) {
      const parents = this.parents.get(stack.pop() ?? '');
      if (!parents) continue;
      for (const p of parents) {
        if (seen.has(p) || p === memberId) continue;
        seen.add(p);
        stack.push(p);
      }
    }
    return [...seen];
  }

  memberRow(ref: MemberRef): Record<string, unknown> | undefined {
    if (ref.type === 'user') {
      const u = this.users.get(ref.id);
      return u ? userRow(u) : undefined;
    }
    const g = this.groups.get(ref.id);
    return g ? groupRow(g) : undefined;
  }

  // ---- mutations (each logged for delta and bumping the version) --------------------------------

  private log(change: ChangeInput): void {
    this.seq += 1;
    this.changes.push({ ...change, seq: this.seq });
  }

  private putUser(u: ScenarioUser): DirUser {
    const user: DirUser = {
      id: u.id.toLowerCase(),
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName,
      mail: u.mail,
      givenName: u.givenName,
      surname: u.surname,
      accountEnabled: u.accountEnabled,
    };
    if (this.users.has(user.id) || this.groups.has(user.id)) throw new SimError(409, 'Request_BadRequest', `object ${user.id} already exists`);
    if (this.usersByUpn.has(user.userPrincipalName.toLowerCase())) {
      throw new SimError(409, 'Request_BadRequest', `userPrincipalName ${user.userPrincipalName} already exists`);
    }
    this.users.set(user.id, user);
    this.usersByUpn.set(user.userPrincipalName.toLowerCase(), user);
    return user;
  }

  private putGroup(g: ScenarioGroup): DirGroup {
    const group: DirGroup = {
      id: g.id.toLowerCase(),
      displayName: g.displayName,
      description: g.description,
      securityEnabled: g.securityEnabled,
      mailEnabled: g.mailEnabled,
      mailNickname: g.displayName.replace(/[^A-Za-z0-9]/g, '') || 'group',
      groupTypes: [],
      createdDateTime: '2024-01-15T09:00:00Z',
      members: new Set(),
    };
    if (this.users.has(group.id) || this.groups.has(group.id)) throw new SimError(409, 'Request_BadRequest', `object ${group.id} already exists`);
    this.groups.set(group.id, group);
    return group;
  }

  private link(groupId: string, memberId: string): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    g.members.add(memberId);
    let set = this.parents.get(memberId);
    if (!set) {
      set = new Set();
      this.parents.set(memberId, set);
    }
    set.add(groupId);
  }

  private unlink(groupId: string, memberId: string): boolean {
    const g = this.groups.get(groupId);
    if (!g?.members.delete(memberId)) return false;
    this.parents.get(memberId)?.delete(groupId);
    return true;
  }

  putManagedDevice(d: ScenarioManagedDevice): ManagedDevice {
    const user = this.users.get(d.userId.toLowerCase());
    if (!user) throw new SimError(400, 'BadRequest', `managed device ${d.id}: unknown user ${d.userId}`);
    const id = d.id.toLowerCase();
    if (this.managedDevices.has(id)) throw new SimError(409, 'BadRequest', `managed device ${id} already exists`);
    const device: ManagedDevice = {
      id,
      userId: user.id,
      userPrincipalName: user.userPrincipalName,
      userDisplayName: user.displayName,
      emailAddress: user.mail ?? user.userPrincipalName,
      deviceName: d.deviceName,
      operatingSystem: d.operatingSystem,
      osVersion: d.osVersion,
      azureADDeviceId: d.azureADDeviceId.toLowerCase(),
      azureADRegistered: true,
      managedDeviceOwnerType: d.managedDeviceOwnerType,
      managementAgent: 'mdm',
      complianceState: 'compliant',
      deviceRegistrationState: 'registered',
      model: d.model,
      manufacturer: d.manufacturer,
      enrolledDateTime: d.enrolledDateTime,
      lastSyncDateTime: d.lastSyncDateTime,
      partnerReportedThreatState: d.partnerReportedThreatState,
    };
    this.managedDevices.set(id, device);
    if (!this.entraByDeviceId.has(device.azureADDeviceId)) {
      const entra: EntraDevice = {
        id: d.entraObjectId.toLowerCase(),
        deviceId: device.azureADDeviceId,
        displayName: d.deviceName,
        operatingSystem: d.operatingSystem,
        operatingSystemVersion: d.osVersion,
        accountEnabled: true,
        trustType: d.managedDeviceOwnerType === 'personal' ? 'Workplace' : 'AzureAd',
        isManaged: true,
        isCompliant: true,
        extensionAttributes: Object.fromEntries(EXTENSION_ATTRIBUTE_NAMES.map((n) => [n, null])),
      };
      this.entraDevices.set(entra.id, entra);
      this.entraByDeviceId.set(entra.deviceId, entra);
    }
    this.version++;
    return device;
  }

  addUser(u: ScenarioUser): DirUser {
    const user = this.putUser(u);
    this.version++;
    this.log({ kind: 'user', id: user.id });
    return user;
  }

  deleteUser(userId: string): void {
    const user = this.requireUser(userId);
    for (const groupId of [...(this.parents.get(user.id) ?? [])]) this.removeMember(groupId, user.id);
    this.users.delete(user.id);
    this.usersByUpn.delete(user.userPrincipalName.toLowerCase());
    this.parents.delete(user.id);
    this.version++;
    this.log({ kind: 'user', id: user.id });
  }

  createGroup(g: ScenarioGroup): DirGroup {
    const group = this.putGroup(g);
    this.version++;
    this.log({ kind: 'group', id: group.id });
    for (const m of g.members) this.addMember(group.id, m);
    return group;
  }

  addMember(groupId: string, memberId: string): void {
    const group = this.requireGroup(groupId);
    const id = memberId.toLowerCase();
    const type = this.memberType(id);
    if (!type) throw new SimError(404, 'Request_ResourceNotFound', `Resource '${memberId}' does not exist or one of its queried reference-property objects are not present.`);
    if (group.members.has(id)) {
      throw new SimError(400, 'Request_BadRequest', 'One or more added object references already exist for the following modified properties: \'members\'.');
    }
    this.link(group.id, id);
    this.version++;
    this.log({ kind: 'group', id: group.id, member: { id, type, removed: false } });
  }

  removeMember(groupId: string, memberId: string): void {
    const group = this.requireGroup(groupId);
    const id = memberId.toLowerCase();
    const type = this.memberType(id) ?? 'user';
    if (!this.unlink(group.id, id)) {
      throw new SimError(404, 'Request_ResourceNotFound', `Resource '${memberId}' does not exist or one of its queried reference-property objects are not present.`);
    }
    this.version++;
    this.log({ kind: 'group', id: group.id, member: { id, type, removed: true } });
  }

  renameGroup(groupId: string, displayName: string): DirGroup {
    const group = this.requireGroup(groupId);
    group.displayName = displayName;
    this.version++;
    this.log({ kind: 'group', id: group.id });
    return group;
  }

  deleteGroup(groupId: string): void {
    const group = this.requireGroup(groupId);
    for (const parent of [...(this.parents.get(group.id) ?? [])]) this.removeMember(parent, group.id);
    for (const member of [...group.members]) this.unlink(group.id, member);
    this.groups.delete(group.id);
    this.parents.delete(group.id);
    this.version++;
    this.log({ kind: 'group', id: group.id });
  }

  /** Retires (deletes) a managed device; its Entra device object stays, as in Intune. */
  retireManagedDevice(id: string): ManagedDevice {
    const device = this.managedDevices.get(id.toLowerCase());
    if (!device) throw new SimError(404, 'ResourceNotFound', `managed device ${id} not found`);
    this.managedDevices.delete(device.id);
    this.version++;
    return device;
  }

  changesSince(seq: number): Change[] {
    // Binary search for the first change after `seq`.
    let lo = 0;
    let hi = this.changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.changes[mid]?.seq ?? 0) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return this.changes.slice(lo);
  }

  requireUser(id: string): DirUser {
    const user = this.findUser(id);
    if (!user) throw new SimError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    return user;
  }

  requireGroup(id: string): DirGroup {
    const group = this.groups.get(id.toLowerCase());
    if (!group) throw new SimError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    return group;
  }

  newObjectId(): string {
    return randomUUID();
  }
}

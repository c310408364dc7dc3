/**
 * Everything the simulator knows, reachable in-process (`simulator.state`) and through the `/_sim/` control
 * API: tenants, consent, signing keys, throttling, fault injection, sent mail, Intune/Entra writes, stats.
 */
import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { guidFrom, SimError, TenantDirectory } from './directory.js';
import type { DirGroup, DirUser, EntraDevice, ManagedDevice, MtdConnector } from './directory.js';
import { KeyStore } from './keys.js';
import type { PartnerThreatState, Scenario } from './scenario.js';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** Entra puts at most this many groups in a JWT before switching to the overage claim. */
export const GROUPS_CLAIM_LIMIT = 200;

export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Regular expression tested against the request path (without query), e.g. `^/v1\\.0/deviceManagement/`. */
  path: string;
  /** How many matching requests it applies to (default 1). */
  count?: number;
  /** Answer with this status instead of handling the request. */
  status?: number;
  /** `Retry-After` header (seconds) on that answer. */
  retryAfterSeconds?: number;
  /** Body of that answer (default: a Graph error body). */
  body?: unknown;
  /** Delay before handling (or answering). */
  latencyMs?: number;
  /** Destroy the connection instead of answering. */
  drop?: boolean;
}

export interface Fault extends FaultSpec {
  id: string;
  remaining: number;
  regex: RegExp;
}

export interface WriteRecord {
  at: string;
  tenantId: string;
  kind: 'managedDevice' | 'connector' | 'entraDevice';
  targetId: string;
  body: Record<string, unknown>;
  viaBatch: boolean;
}

export interface SentMail {
  messageId: string;
  receivedAt: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string | undefined;
  html: string | undefined;
  /** The request body as received. */
  request: Record<string, unknown>;
}

export interface ThrottleRule {
  limit: number;
  windowSeconds: number;
}

export interface UserTokenOptions {
  tenantId: string;
  userId?: string;
  upn?: string;
  /** `aud` claim; defaults to the app's client id (the API's audience). */
  audience?: string;
  /** Force the groups overage form (`_claim_names`/`_claim_sources`, no `groups`). */
  groupsOverage?: boolean;
  /** Claims to add or override; `null` removes a claim. */
  claims?: Record<string, unknown>;
  /** `'unlisted'` signs with a key that is not in the JWKS. */
  signWith?: 'current' | 'unlisted';
  /** Lifetime in seconds (default 3600). */
  lifetimeSeconds?: number;
}

export interface ApiAppTokenOptions {
  tenantId: string;
  /** The calling application's id (`azp`); default: a new one. */
  clientId?: string;
  /** `aud` claim; defaults to the app's client id (the API's audience). */
  audience?: string;
  /** App roles granted to the calling application (`roles`), e.g. `Events.Read`. */
  roles?: string[];
  /** Claims to add or override; `null` removes a claim. */
  claims?: Record<string, unknown>;
  /** Lifetime in seconds (default 3600). */
  lifetimeSeconds?: number;
}

interface Stats {
  since: string;
  total: number;
  byRoute: Record<string, Record<string, number>>;
  throttled: number;
  faultsInjected: number;
  intuneWrites: number;
  entraWrites: number;
  tokensIssued: number;
  mailAccepted: number;
}

function emptyStats(): Stats {
  return {
    since: new Date().toISOString(),
    total: 0,
    byRoute: {},
    throttled: 0,
    faultsInjected: 0,
    intuneWrites: 0,
    entraWrites: 0,
    tokensIssued: 0,
    mailAccepted: 0,
  };
}

export interface DeltaSnapshot {
  id: string;
  tenantId: string;
  kind: 'users' | 'groups';
  epoch: number;
  /** The entries of this round, each with its cost (1 + member references) for page sizing. */
  entries: Record<string, unknown>[];
  /** `seq` to resume from with the delta link at the end of this round. */
  seq: number;
  select: string | null;
  filter: string | null;
}

const MAX_SNAPSHOTS = 200;

export class SimState {
  /** `https://localhost:<port>`: issuer host and Graph base of this simulator. */
  origin = 'https://localhost';
  readonly clientId: string;
  clientSecret: string;
  sendgridApiKey: string;
  readonly tenants = new Map<string, TenantDirectory>();
  private readonly tenantsByDomain = new Map<string, TenantDirectory>();
  private readonly consented = new Set<string>();
  /** The application permissions granted in each tenant where the app is (its tokens' `roles`). */
  private readonly granted = new Map<string, string[]>();
  /** What an admin consent grants: the permissions the app registration asks for. */
  readonly appPermissions: readonly string[];
  private readonly consentFailures = new Map<string, { error: string; description: string }>();

  faults: Fault[] = [];
  private throttleDefault: ThrottleRule = { limit: 200, windowSeconds: 20 };
  private readonly throttleByTenant = new Map<string, ThrottleRule>();
  private readonly writeWindows = new Map<string, number[]>();

  readonly writes: WriteRecord[] = [];
  mail: SentMail[] = [];
  private statsData: Stats = emptyStats();
  private readonly snapshots = new Map<string, DeltaSnapshot>();
  private readonly verified = new Map<string, { payload: JWTPayload; until: number }>();

  constructor(
    scenario: Scenario,
    readonly keys: KeyStore,
  ) {
    this.clientId = scenario.app.clientId.toLowerCase();
    this.clientSecret = scenario.app.clientSecret;
    this.sendgridApiKey = scenario.sendgrid.apiKey;
    this.appPermissions = [...scenario.app.permissions];
    for (const t of scenario.tenants) {
      const dir = new TenantDirectory(t);
      if (this.tenants.has(dir.id)) throw new Error(`duplicate tenant ${dir.id}`);
      this.tenants.set(dir.id, dir);
      this.tenantsByDomain.set(dir.domain, dir);
    }
    for (const id of scenario.consentedTenants) {
      this.consented.add(id.toLowerCase());
      this.granted.set(id.toLowerCase(), [...this.appPermissions]);
    }
  }

  static async create(scenario: Scenario): Promise<SimState> {
    return new SimState(scenario, await KeyStore.create());
  }

  // ---- tenants and consent -----------------------------------------------------------------------

  /** A tenant by id or verified domain. */
  findTenant(idOrDomain: string): TenantDirectory | undefined {
    const key = idOrDomain.toLowerCase();
    return this.tenants.get(key) ?? this.tenantsByDomain.get(key);
  }

  tenant(tenantId: string): TenantDirectory {
    const t = this.findTenant(tenantId);
    if (!t) throw new SimError(404, 'TenantNotFound', `tenant ${tenantId} is not in the scenario`);
    return t;
  }

  issuer(tenantId: string): string {
    return `${this.origin}/${tenantId}/v2.0`;
  }

  isConsented(tenantId: string): boolean {
    return this.consented.has(tenantId.toLowerCase());
  }

  /**
   * The app is in the tenant with these application permissions granted (default: all it asks for, as an admin
   * consent grants them). Fewer, or none, models an app present without the permissions: Entra ID still issues it
   * app-only tokens, whose `roles` hold only what was granted.
   */
  grantConsent(tenantId: string, permissions: readonly string[] = this.appPermissions): void {
    const id = this.tenant(tenantId).id;
    this.consented.add(id);
    this.granted.set(id, [...permissions]);
  }

  /** The application permissions granted in the tenant (none when the app is not there). */
  grantedPermissions(tenantId: string): string[] {
    const id = this.tenant(tenantId).id;
    return this.consented.has(id) ? [...(this.granted.get(id) ?? [])] : [];
  }

  revokeConsent(tenantId: string): void {
    const id = this.tenant(tenantId).id;
    this.consented.delete(id);
    this.granted.delete(id);
  }

  /** The next admin-consent attempt for this tenant redirects back with an error. */
  failNextConsent(tenantId: string, error = 'access_denied', description?: string): void {
    const t = this.tenant(tenantId);
    this.consentFailures.set(t.id, {
      error,
      description: description ?? 'AADSTS65004: User declined to consent to access the app.',
    });
  }

  /** Applies an admin-consent attempt: the failure armed for it, or consent granted. */
  takeConsentAttempt(tenantId: string): { error: string; description: string } | undefined {
    const t = this.tenant(tenantId);
    const failure = this.consentFailures.get(t.id);
    if (failure) {
      this.consentFailures.delete(t.id);
      return failure;
    }
    this.grantConsent(t.id);
    return undefined;
  }

  tenantSummaries(): { id: string; displayName: string; domain: string; consented: boolean; users: number; groups: number; managedDevices: number }[] {
    return [...this.tenants.values()].map((t) => ({
      id: t.id,
      displayName: t.displayName,
      domain: t.domain,
      consented: this.consented.has(t.id),
      users: t.users.size,
      groups: t.groups.size,
      managedDevices: t.managedDevices.size,
    }));
  }

  // ---- tokens --------------------------------------------------------------------------------------

  servicePrincipalId(tenantId: string): string {
    return guidFrom(`sp:${this.clientId}:${tenantId}`);
  }

  async mintAppToken(tenantId: string, lifetimeSeconds = 3600): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const t = this.tenant(tenantId);
    const roles = this.grantedPermissions(t.id);
    this.statsData.tokensIssued++;
    return this.keys.sign({
      aud: GRAPH_RESOURCE,
      iss: this.issuer(t.id),
      iat: now,
      nbf: now,
      exp: now + lifetimeSeconds,
      app_displayname: 'MTD Connector',
      appid: this.clientId,
      appidacr: '1',
      azp: this.clientId,
      idp: this.issuer(t.id),
      idtyp: 'app',
      oid: this.servicePrincipalId(t.id),
      sub: this.servicePrincipalId(t.id),
      // As Entra ID: the application permissions granted in the tenant, and no `roles` claim when there are none.
      ...(roles.length > 0 ? { roles } : {}),
      tid: t.id,
      uti: randomUUID().replace(/-/g, ''),
      ver: '2.0',
    });
  }

  /** A user access token as Entra ID v2 issues it for an API (`aud` = the API), for tests and demos. */
  /**
   * An app-only access token for our own API, as Entra ID issues it to any application of the tenant through client
   * credentials (`scope={api}/.default`): no `scp`, no user; `roles` only when the app was granted app roles. No
   * `idtyp` either, unless asked for: a default app registration does not emit that optional claim.
   */
  async mintApiAppToken(options: ApiAppTokenOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const t = this.tenant(options.tenantId);
    const appId = (options.clientId ?? randomUUID()).toLowerCase();
    const claims: Record<string, unknown> = {
      aud: options.audience ?? this.clientId,
      iss: this.issuer(t.id),
      iat: now,
      nbf: now,
      exp: now + (options.lifetimeSeconds ?? 3600),
      aio: randomUUID().replace(/-/g, ''),
      azp: appId,
      azpacr: '1',
      oid: guidFrom(`sp:${t.id}:${appId}`),
      rh: '0.sim',
      sub: guidFrom(`sp:${t.id}:${appId}`),
      tid: t.id,
      uti: randomUUID().replace(/-/g, ''),
      ver: '2.0',
    };
    if (options.roles && options.roles.length > 0) claims.roles = options.roles;
    for (const [name, value] of Object.entries(options.claims ?? {})) {
      if (value === null) delete claims[name];
      else claims[name] = value;
    }
    this.statsData.tokensIssued++;
    return this.keys.sign(claims);
  }

  async mintUserToken(options: UserTokenOptions): Promise<string> {
    const t = this.tenant(options.tenantId);
    const key = options.userId ?? options.upn;
    if (!key) throw new SimError(400, 'BadRequest', 'userId or upn is required');
    const user = t.requireUser(key);
    const groups = t.transitiveGroupsOf(user.id);
    const overage = options.groupsOverage === true || groups.length > GROUPS_CLAIM_LIMIT;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: options.audience ?? this.clientId,
      iss: this.issuer(t.id),
      iat: now,
      nbf: now,
      exp: now + (options.lifetimeSeconds ?? 3600),
      aio: randomUUID().replace(/-/g, ''),
      azp: this.clientId,
      azpacr: '0',
      name: user.displayName,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      upn: user.userPrincipalName,
      rh: '0.sim',
      scp: 'access_as_user',
      sub: guidFrom(`sub:${user.id}:${this.clientId}`).replace(/-/g, ''),
      tid: t.id,
      uti: randomUUID().replace(/-/g, ''),
      ver: '2.0',
    };
    // As Entra ID: the API's app roles assigned to the user, and no `roles` claim when there are none.
    const roles = t.apiAppRoles.get(user.id);
    if (roles !== undefined && roles.length > 0) claims.roles = [...roles];
    if (overage) {
      claims._claim_names = { groups: 'src1' };
      claims._claim_sources = { src1: { endpoint: `${this.origin}/v1.0/users/${user.id}/getMemberObjects` } };
    } else {
      claims.groups = groups;
    }
    for (const [name, value] of Object.entries(options.claims ?? {})) {
      if (value === null) delete claims[name];
      else claims[name] = value;
    }
    this.statsData.tokensIssued++;
    return this.keys.sign(claims, { unlisted: options.signWith === 'unlisted' });
  }

  /** Verifies a Graph bearer token (signature, `aud`, `exp`/`nbf`, issuer consistent with `tid`). */
  async verifyGraphToken(token: string): Promise<JWTPayload> {
    const now = Date.now();
    const hit = this.verified.get(token);
    if (hit && hit.until > now) return hit.payload;
    const payload = await this.keys.verify(token, GRAPH_RESOURCE);
    const tid = typeof payload.tid === 'string' ? payload.tid : '';
    if (!this.tenants.has(tid) || payload.iss !== this.issuer(tid)) throw new Error('issuer or tenant mismatch');
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(token, { payload, until: Math.min(now + 60_000, (payload.exp ?? 0) * 1000) });
    return payload;
  }

  async rotateKeys(retireOld = false): Promise<{ kid: string; retired: string[] }> {
    this.verified.clear();
    return this.keys.rotate(retireOld);
  }

  // ---- throttling ----------------------------------------------------------------------------------

  setThrottle(rule: ThrottleRule & { tenantId?: string }): void {
    const value = { limit: rule.limit, windowSeconds: rule.windowSeconds };
    if (rule.tenantId) this.throttleByTenant.set(this.tenant(rule.tenantId).id, value);
    else {
      this.throttleDefault = value;
      this.throttleByTenant.clear();
    }
    this.writeWindows.clear();
  }

  throttleRule(tenantId: string): ThrottleRule {
    return this.throttleByTenant.get(tenantId) ?? this.throttleDefault;
  }

  /**
   * Takes one Intune device write from the sliding window of (tenant, app). When the window is full,
   * answers how many seconds until a slot frees up.
   */
  takeIntuneWrite(tenantId: string, appId: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const rule = this.throttleRule(tenantId);
    const key = `${tenantId}|${appId}`;
    const now = Date.now();
    const windowMs = rule.windowSeconds * 1000;
    let times = this.writeWindows.get(key);
    if (!times) {
      times = [];
      this.writeWindows.set(key, times);
    }
    while (times.length > 0 && (times[0] ?? 0) <= now - windowMs) times.shift();
    if (times.length >= rule.limit) {
      this.statsData.throttled++;
      const oldest = times[0] ?? now;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)) };
    }
    times.push(now);
    return { ok: true };
  }

  countThrottled(): void {
    this.statsData.throttled++;
  }

  // ---- faults --------------------------------------------------------------------------------------

  addFault(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: randomUUID(), remaining: spec.count ?? 1, regex: new RegExp(spec.path) };
    this.faults.push(fault);
    return fault;
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The first fault matching this request, used up by one. */
  takeFault(method: string, path: string): Fault | undefined {
    const fault = this.faults.find((f) => (!f.method || f.method.toUpperCase() === method) && f.regex.test(path));
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    this.statsData.faultsInjected++;
    return fault;
  }

  // ---- Intune and Entra device writes --------------------------------------------------------------

  recordWrite(record: Omit<WriteRecord, 'at'>): void {
    this.writes.push({ ...record, at: new Date().toISOString() });
    if (record.kind === 'entraDevice') this.statsData.entraWrites++;
    else this.statsData.intuneWrites++;
  }

  intuneDevices(tenantId: string): ManagedDevice[] {
    return this.tenant(tenantId).managedDeviceList();
  }

  intuneWrites(tenantId?: string): WriteRecord[] {
    const id = tenantId ? this.tenant(tenantId).id : undefined;
    return this.writes.filter((w) => w.kind !== 'entraDevice' && (!id || w.tenantId === id));
  }

  entraWrites(tenantId?: string): WriteRecord[] {
    const id = tenantId ? this.tenant(tenantId).id : undefined;
    return this.writes.filter((w) => w.kind === 'entraDevice' && (!id || w.tenantId === id));
  }

  entraDevices(tenantId: string): EntraDevice[] {
    return this.tenant(tenantId).entraDeviceList();
  }

  connectors(tenantId: string): MtdConnector[] {
    return [...this.tenant(tenantId).connectors.values()];
  }

  /**
   * Changes a connector as Intune would on its own (a partner gone quiet, a threshold an admin changed): unlike the
   * partner's PATCH, this is not recorded as a write. Without `connectorId`, the tenant's only connector.
   */
  setConnector(
    tenantId: string,
    changes: Partial<Pick<MtdConnector, 'lastHeartbeatDateTime' | 'partnerState' | 'partnerUnresponsivenessThresholdInDays'>>,
    connectorId?: string,
  ): MtdConnector {
    const connectors = this.tenant(tenantId).connectors;
    const connector = connectorId ? connectors.get(connectorId) : [...connectors.values()][0];
    if (!connector) throw new SimError(404, 'NotFound', `No mobileThreatDefenseConnector ${connectorId ?? ''} in tenant ${tenantId}.`);
    Object.assign(connector, changes);
    return connector;
  }

  /** The last partnerReportedThreatState told for a managed device. */
  threatState(tenantId: string, managedDeviceId: string): PartnerThreatState | undefined {
    return this.tenant(tenantId).managedDevices.get(managedDeviceId.toLowerCase())?.partnerReportedThreatState;
  }

  // ---- scenario mutations --------------------------------------------------------------------------

  addUser(tenantId: string, user: { id?: string; userPrincipalName: string; displayName: string; mail?: string | null }): DirUser {
    const t = this.tenant(tenantId);
    return t.addUser({
      id: user.id ?? randomUUID(),
      userPrincipalName: user.userPrincipalName,
      displayName: user.displayName,
      mail: user.mail ?? user.userPrincipalName,
      givenName: null,
      surname: null,
      accountEnabled: true,
    });
  }

  deleteUser(tenantId: string, userId: string): void {
    this.tenant(tenantId).deleteUser(userId);
  }

  createGroup(tenantId: string, group: { id?: string; displayName: string; members?: string[] }): DirGroup {
    return this.tenant(tenantId).createGroup({
      id: group.id ?? randomUUID(),
      displayName: group.displayName,
      description: null,
      securityEnabled: true,
      mailEnabled: false,
      members: group.members ?? [],
    });
  }

  addGroupMember(tenantId: string, groupId: string, memberId: string): void {
    this.tenant(tenantId).addMember(groupId, memberId);
  }

  removeGroupMember(tenantId: string, groupId: string, memberId: string): void {
    this.tenant(tenantId).removeMember(groupId, memberId);
  }

  renameGroup(tenantId: string, groupId: string, displayName: string): DirGroup {
    return this.tenant(tenantId).renameGroup(groupId, displayName);
  }

  deleteGroup(tenantId: string, groupId: string): void {
    this.tenant(tenantId).deleteGroup(groupId);
  }

  addManagedDevice(
    tenantId: string,
    device: {
      id?: string;
      userId: string;
      deviceName?: string;
      operatingSystem?: 'iOS' | 'Android' | 'Windows' | 'macOS';
      osVersion?: string;
      azureADDeviceId?: string;
      entraObjectId?: string;
    },
  ): ManagedDevice {
    const t = this.tenant(tenantId);
    const user = t.requireUser(device.userId);
    const os = device.operatingSystem ?? 'iOS';
    return t.putManagedDevice({
      id: device.id ?? randomUUID(),
      userId: user.id,
      deviceName: device.deviceName ?? `${user.displayName}'s ${os === 'iOS' ? 'iPhone' : os} device`,
      operatingSystem: os,
      osVersion: device.osVersion ?? (os === 'iOS' ? '17.5.1' : '14'),
      azureADDeviceId: device.azureADDeviceId ?? randomUUID(),
      entraObjectId: device.entraObjectId ?? randomUUID(),
      managedDeviceOwnerType: 'company',
      model: null,
      manufacturer: null,
      lastSyncDateTime: new Date().toISOString(),
      enrolledDateTime: new Date().toISOString(),
      partnerReportedThreatState: 'unknown',
    });
  }

  retireManagedDevice(tenantId: string, managedDeviceId: string): ManagedDevice {
    return this.tenant(tenantId).retireManagedDevice(managedDeviceId);
  }

  /** Every delta and paging token issued so far (for one tenant or all) answers 410 from now on. */
  expireDeltaTokens(tenantId?: string): void {
    const targets = tenantId ? [this.tenant(tenantId)] : [...this.tenants.values()];
    for (const t of targets) t.deltaEpoch++;
  }

  // ---- delta snapshots -----------------------------------------------------------------------------

  saveSnapshot(snapshot: Omit<DeltaSnapshot, 'id'>): DeltaSnapshot {
    const saved = { ...snapshot, id: randomUUID() };
    this.snapshots.set(saved.id, saved);
    if (this.snapshots.size > MAX_SNAPSHOTS) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest !== undefined) this.snapshots.delete(oldest);
    }
    return saved;
  }

  snapshot(id: string): DeltaSnapshot | undefined {
    return this.snapshots.get(id);
  }

  // ---- mail ----------------------------------------------------------------------------------------

  acceptMail(mail: SentMail): void {
    this.mail.push(mail);
    this.statsData.mailAccepted++;
  }

  sentMail(): SentMail[] {
    return [...this.mail];
  }

  clearMail(): void {
    this.mail = [];
  }

  // ---- stats ---------------------------------------------------------------------------------------

  recordRequest(template: string, status: number): void {
    this.statsData.total++;
    const byStatus = (this.statsData.byRoute[template] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
  }

  stats(): Stats & { tooManyRequests: number } {
    const copy = structuredClone(this.statsData);
    const tooManyRequests = Object.values(copy.byRoute).reduce((sum, byStatus) => sum + (byStatus['429'] ?? 0), 0);
    return { ...copy, tooManyRequests };
  }

  resetStats(): void {
    this.statsData = emptyStats();
  }
}

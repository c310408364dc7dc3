/**
 * Microsoft Graph (directory and Intune) as the connector uses it: app-only bearer tokens, OData paging with
 * absolute `@odata.nextLink`, `$filter`/`$select`/`$top`/`$count` (with `ConsistencyLevel: eventual`), delta
 * queries for users and groups, Entra device extension attributes, the Intune partner device-health API and
 * the MTD connector, and `$batch`.
 */
import type { JWTPayload } from 'jose';
import { errors as joseErrors } from 'jose';
import { EXTENSION_ATTRIBUTE_NAMES, groupRow, SimError, userRow } from './directory.js';
import type { DirGroup, DirUser, EntraDevice, ManagedDevice, MemberRef, MtdConnector, TenantDirectory } from './directory.js';
import { graphError, isRecord, json, noContent, parseJsonBody, parseTarget, route, text } from './http.js';
import type { Params, Route, SimRequest, SimResponse } from './http.js';
import { compileFilter, decodeToken, encodeToken, ODataError, parseSelect, project } from './odata.js';
import type { Predicate, Row } from './odata.js';
import { MTD_PARTNER_STATES, PARTNER_THREAT_STATES } from './scenario.js';
import type { SimState } from './state.js';

export interface GraphContext {
  req: SimRequest;
  params: Params;
  tenant: TenantDirectory;
  appId: string;
  claims: JWTPayload;
  /** `v1.0` or `beta`. */
  version: string;
}

export type Dispatch = (req: SimRequest) => Promise<SimResponse>;

const USER_PROPS = [
  'id', 'businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation',
  'preferredLanguage', 'surname', 'userPrincipalName', 'accountEnabled',
];
const USER_FILTER = ['id', 'displayName', 'userPrincipalName', 'mail', 'givenName', 'surname', 'accountEnabled'];
const GROUP_PROPS = [
  'id', 'createdDateTime', 'description', 'displayName', 'groupTypes', 'mail', 'mailEnabled', 'mailNickname',
  'securityEnabled',
];
const GROUP_FILTER = ['id', 'displayName', 'mailEnabled', 'mailNickname', 'securityEnabled', 'description'];
const MEMBER_PROPS = [...new Set([...USER_PROPS, ...GROUP_PROPS])];
const MANAGED_DEVICE_PROPS = [
  'id', 'userId', 'userPrincipalName', 'userDisplayName', 'emailAddress', 'deviceName', 'operatingSystem',
  'osVersion', 'azureADDeviceId', 'azureADRegistered', 'managedDeviceOwnerType', 'managementAgent',
  'complianceState', 'deviceRegistrationState', 'model', 'manufacturer', 'enrolledDateTime', 'lastSyncDateTime',
  'partnerReportedThreatState',
];
const MANAGED_DEVICE_FILTER = [
  'id', 'userId', 'userPrincipalName', 'deviceName', 'operatingSystem', 'azureADDeviceId', 'managedDeviceOwnerType',
  'complianceState', 'managementAgent',
];
const ENTRA_DEVICE_PROPS = [
  'id', 'deviceId', 'displayName', 'operatingSystem', 'operatingSystemVersion', 'accountEnabled', 'trustType',
  'isManaged', 'isCompliant', 'extensionAttributes',
];
const ENTRA_DEVICE_FILTER = ['id', 'deviceId', 'displayName', 'operatingSystem', 'accountEnabled', 'trustType'];
const CONNECTOR_BOOLEANS = [
  'androidEnabled', 'iosEnabled', 'windowsEnabled', 'macEnabled', 'androidMobileApplicationManagementEnabled',
  'iosMobileApplicationManagementEnabled', 'androidDeviceBlockedOnMissingPartnerData',
  'iosDeviceBlockedOnMissingPartnerData', 'windowsDeviceBlockedOnMissingPartnerData',
  'macDeviceBlockedOnMissingPartnerData', 'partnerUnsupportedOsVersionBlocked',
  'allowPartnerToCollectIOSApplicationMetadata', 'allowPartnerToCollectIOSPersonalApplicationMetadata',
  'microsoftDefenderForEndpointAttachEnabled',
] as const;

const MAX_BATCH = 20;
const DELTA_CHUNK = 1000;
const DELTA_PAGE_REFS = 2000;

function managedDeviceRow(d: ManagedDevice): Row {
  return { '@odata.type': '#microsoft.graph.managedDevice', ...d };
}

function entraDeviceRow(d: EntraDevice): Row {
  return { '@odata.type': '#microsoft.graph.device', ...d, extensionAttributes: { ...d.extensionAttributes } };
}

function connectorRow(c: MtdConnector): Row {
  return { '@odata.type': '#microsoft.graph.mobileThreatDefenseConnector', ...c };
}

function wantsEventual(req: SimRequest): boolean {
  return (req.headers.consistencylevel ?? '').toLowerCase() === 'eventual';
}

function countNotSupported(req: SimRequest): SimResponse {
  return graphError(400, 'Request_BadRequest', 'Count is not currently supported.', req);
}

interface ListOptions<T> {
  ctx: GraphContext;
  /** Cache key of the full list (filter results are cached per tenant version under it). */
  cacheKey: string;
  items: () => T[];
  toRow: (item: T) => Row | undefined;
  selectable: readonly string[];
  filterable: readonly string[];
  typeName: string;
  resource: string;
  context: string;
  defaultTop: number;
  maxTop: number;
  /** Directory rejects `$top` above the maximum; Intune caps it. */
  strictTop: boolean;
  /** Drop `@odata.type` from rows (Graph omits it on non-polymorphic collections). */
  omitType?: boolean;
  /** Require `ConsistencyLevel: eventual` for `$count` (directory objects). */
  countNeedsEventual?: boolean;
  /** Index lookups for `prop eq 'value'` filters (lower-case property name → matches), instead of a scan. */
  indexes?: Record<string, (value: string) => T[]>;
}

const SIMPLE_EQ = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/i;

function filtered<T>(o: ListOptions<T>): T[] {
  const filter = o.ctx.req.query.get('$filter');
  if (filter === null || filter.trim() === '') return o.items();
  const eq = SIMPLE_EQ.exec(filter);
  const index = eq?.[1] ? o.indexes?.[eq[1].toLowerCase()] : undefined;
  if (eq && index) return index((eq[2] ?? '').replace(/''/g, "'"));
  const predicate: Predicate = compileFilter(filter, o.filterable, o.resource);
  return o.ctx.tenant.cached(`${o.cacheKey}|filter:${filter}`, () =>
    o.items().filter((item) => {
      const row = o.toRow(item);
      return row !== undefined && predicate(row);
    }),
  );
}

function found<T>(item: T | undefined): T[] {
  return item === undefined ? [] : [item];
}

function nextLinkFor(state: SimState, req: SimRequest, skiptoken: string): string {
  const params = new URLSearchParams(req.query);
  params.set('$skiptoken', skiptoken);
  return `${state.origin}${req.rawPath}?${params.toString().replace(/%24/g, '$')}`;
}

/** Application permissions that may list a tenant's domains (Graph: List domains). */
const DOMAIN_READ_ROLES = ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];

/** `GET /domains`: the tenant's domains (one page, as Graph answers it), with `$select`. */
function domainsList(state: SimState, ctx: GraphContext): SimResponse {
  const roles = Array.isArray(ctx.claims.roles) ? ctx.claims.roles : [];
  if (!roles.some((role) => typeof role === 'string' && DOMAIN_READ_ROLES.includes(role))) {
    return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', ctx.req);
  }
  const rows: Row[] = ctx.tenant.domainList().map((domain) => ({
    authenticationType: 'Managed',
    availabilityStatus: null,
    id: domain.id,
    isAdminManaged: true,
    isDefault: domain.isDefault,
    isInitial: domain.isInitial,
    isRoot: true,
    isVerified: domain.isVerified,
    passwordNotificationWindowInDays: 14,
    passwordValidityPeriodInDays: 2147483647,
    supportedServices: domain.isVerified ? ['Email', 'OfficeCommunicationsOnline'] : [],
    state: null,
  }));
  const selectParam = ctx.req.query.get('$select');
  const selected = selectParam ? selectParam.split(',').map((name) => name.trim()).filter((name) => name !== '') : undefined;
  const value = selected ? rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => key === 'id' || selected.includes(key)))) : rows;
  return json(200, { '@odata.context': `${state.origin}/${ctx.version}/$metadata#domains`, value });
}

function list<T>(state: SimState, o: ListOptions<T>): SimResponse {
  const { req } = o.ctx;
  const countParam = req.query.get('$count');
  const wantCount = countParam !== null && countParam.toLowerCase() === 'true';
  if (wantCount && o.countNeedsEventual !== false && !wantsEventual(req)) return countNotSupported(req);
  const select = parseSelect(req.query.get('$select'), o.selectable, o.typeName);
  const all = filtered(o);
  const topParam = req.query.get('$top');
  let top = o.defaultTop;
  if (topParam !== null) {
    const n = Number(topParam);
    if (!Number.isInteger(n) || n < 1 || (o.strictTop && n > o.maxTop)) {
      return graphError(400, 'Request_BadRequest', `Invalid page size specified: '${topParam}'. Must be between 1 and ${o.maxTop} inclusive.`, req);
    }
    top = Math.min(n, o.maxTop);
  }
  let offset = 0;
  const skip = req.query.get('$skiptoken');
  if (skip !== null) {
    const decoded = decodeToken(skip);
    if (!isRecord(decoded) || typeof decoded.o !== 'number') {
      return graphError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.', req);
    }
    offset = decoded.o;
  }
  const value: Row[] = [];
  for (const item of all.slice(offset, offset + top)) {
    const row = o.toRow(item);
    if (!row) continue;
    const projected = project(row, select);
    if (o.omitType) delete projected['@odata.type'];
    value.push(projected);
  }
  const body: Row = { '@odata.context': `${state.origin}/${o.ctx.version}/$metadata#${o.context}` };
  if (wantCount) body['@odata.count'] = all.length;
  if (offset + top < all.length) body['@odata.nextLink'] = nextLinkFor(state, req, encodeToken({ o: offset + top }));
  body.value = value;
  return json(200, body);
}

function countOf<T>(o: ListOptions<T>): SimResponse {
  if (o.countNeedsEventual !== false && !wantsEventual(o.ctx.req)) return countNotSupported(o.ctx.req);
  return text(200, String(filtered(o).length));
}

function single(state: SimState, ctx: GraphContext, row: Row, selectable: readonly string[], typeName: string, context: string, omitType = true): SimResponse {
  const select = parseSelect(ctx.req.query.get('$select'), selectable, typeName);
  const projected = project(row, select);
  if (omitType) delete projected['@odata.type'];
  return json(200, { '@odata.context': `${state.origin}/${ctx.version}/$metadata#${context}`, ...projected });
}

function readJsonObject(req: SimRequest): Record<string, unknown> {
  const parsed = parseJsonBody(req);
  if (!parsed.ok) throw new SimError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  if (!isRecord(parsed.value)) throw new SimError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
  return parsed.value;
}

function unknownProperty(name: string, type: string): SimError {
  return new SimError(
    400,
    'BadRequest',
    `The property '${name}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
  );
}

export function graphRoutes(state: SimState, dispatch: () => Dispatch): Route[] {
  /** Wraps a handler with bearer-token checks; the token's `tid` selects the tenant. */
  const authed = (handler: (ctx: GraphContext) => SimResponse | Promise<SimResponse>) =>
    async (req: SimRequest, params: Params): Promise<SimResponse> => {
      const header = req.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match?.[1]) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.', req);
      let claims: JWTPayload;
      try {
        claims = await state.verifyGraphToken(match[1]);
      } catch (error) {
        const message =
          error instanceof joseErrors.JWTExpired
            ? 'Lifetime validation failed, the token is expired.'
            : error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud'
              ? 'Access token validation failure. Invalid audience.'
              : 'Access token validation failure.';
        return graphError(401, 'InvalidAuthenticationToken', message, req);
      }
      const tenant = state.tenant(String(claims.tid));
      const appId = typeof claims.appid === 'string' ? claims.appid : typeof claims.azp === 'string' ? claims.azp : '';
      try {
        return await handler({ req, params, tenant, appId, claims, version: params.v ?? 'v1.0' });
      } catch (error) {
        if (error instanceof ODataError) return graphError(400, error.code, error.message, req);
        if (error instanceof SimError) return graphError(error.status, error.code, error.message, req);
        throw error;
      }
    };

  // ---- users -------------------------------------------------------------------------------------
  const usersList = (ctx: GraphContext): ListOptions<DirUser> => ({
    ctx,
    cacheKey: 'users',
    items: () => ctx.tenant.userList(),
    toRow: userRow,
    selectable: USER_PROPS,
    filterable: USER_FILTER,
    typeName: 'microsoft.graph.user',
    resource: 'User',
    context: 'users',
    defaultTop: 100,
    maxTop: 999,
    strictTop: true,
    omitType: true,
    indexes: {
      id: (v) => found(ctx.tenant.users.get(v.toLowerCase())),
      userprincipalname: (v) => found(ctx.tenant.findUser(v)),
    },
  });
  const groupsList = (ctx: GraphContext): ListOptions<DirGroup> => ({
    ctx,
    cacheKey: 'groups',
    items: () => ctx.tenant.groupList(),
    toRow: groupRow,
    selectable: GROUP_PROPS,
    filterable: GROUP_FILTER,
    typeName: 'microsoft.graph.group',
    resource: 'Group',
    context: 'groups',
    defaultTop: 100,
    maxTop: 999,
    strictTop: true,
    omitType: true,
    indexes: {
      id: (v) => found(ctx.tenant.groups.get(v.toLowerCase())),
      displayname: (v) => ctx.tenant.groupsByName().get(v.toLowerCase()) ?? [],
    },
  });
  const membersList = (ctx: GraphContext, transitive: boolean, cast?: 'user' | 'group'): ListOptions<MemberRef> => {
    const group = ctx.tenant.requireGroup(ctx.params.id ?? '');
    const relation = transitive ? 'transitiveMembers' : 'members';
    const refs = (): MemberRef[] => {
      const base = transitive ? ctx.tenant.transitiveMembers(group.id) : ctx.tenant.directMembers(group.id);
      if (!cast) return base;
      return ctx.tenant.cached(`${relation}:${group.id}:${cast}`, () => base.filter((r) => r.type === cast));
    };
    return {
      ctx,
      cacheKey: `${relation}:${group.id}:${cast ?? 'all'}`,
      items: refs,
      toRow: (ref) => ctx.tenant.memberRow(ref),
      selectable: cast === 'user' ? USER_PROPS : cast === 'group' ? GROUP_PROPS : MEMBER_PROPS,
      filterable: cast === 'group' ? GROUP_FILTER : USER_FILTER,
      typeName: cast ? `microsoft.graph.${cast}` : 'microsoft.graph.directoryObject',
      resource: cast === 'group' ? 'Group' : 'User',
      context: cast ? `${cast}s` : 'directoryObjects',
      defaultTop: 100,
      maxTop: 999,
      strictTop: true,
    };
  };
  const managedDevicesList = (ctx: GraphContext): ListOptions<ManagedDevice> => ({
    ctx,
    cacheKey: 'managedDevices',
    items: () => ctx.tenant.managedDeviceList(),
    toRow: managedDeviceRow,
    selectable: MANAGED_DEVICE_PROPS,
    filterable: MANAGED_DEVICE_FILTER,
    typeName: 'microsoft.graph.managedDevice',
    resource: 'managedDevice',
    context: 'deviceManagement/managedDevices',
    defaultTop: 1000,
    maxTop: 1000,
    strictTop: false,
    countNeedsEventual: false,
    indexes: {
      id: (v) => found(ctx.tenant.managedDevices.get(v.toLowerCase())),
      azureaddeviceid: (v) => ctx.tenant.managedDevicesBy('azureADDeviceId').get(v.toLowerCase()) ?? [],
      userid: (v) => ctx.tenant.managedDevicesBy('userId').get(v.toLowerCase()) ?? [],
    },
  });
  const entraDevicesList = (ctx: GraphContext): ListOptions<EntraDevice> => ({
    ctx,
    cacheKey: 'entraDevices',
    items: () => ctx.tenant.entraDeviceList(),
    toRow: entraDeviceRow,
    selectable: ENTRA_DEVICE_PROPS,
    filterable: ENTRA_DEVICE_FILTER,
    typeName: 'microsoft.graph.device',
    resource: 'Device',
    context: 'devices',
    defaultTop: 100,
    maxTop: 999,
    strictTop: true,
    omitType: true,
    indexes: {
      id: (v) => found(ctx.tenant.entraDevices.get(v.toLowerCase())),
      deviceid: (v) => found(ctx.tenant.entraByDevice(v)),
    },
  });

  const memberGroups = (ctx: GraphContext, securityEnabledOnly: boolean): string[] => {
    const user = ctx.tenant.requireUser(ctx.params.id ?? '');
    const ids = ctx.tenant.transitiveGroupsOf(user.id);
    return securityEnabledOnly ? ids.filter((id) => ctx.tenant.groups.get(id)?.securityEnabled === true) : ids;
  };

  const routes: Route[] = [
    route('GET', '/{v}/domains', authed((ctx) => domainsList(state, ctx))),
    route('GET', '/{v}/users', authed((ctx) => list(state, usersList(ctx)))),
    route('GET', '/{v}/users/$count', authed((ctx) => countOf(usersList(ctx)))),
    route('GET', '/{v}/users/delta', authed((ctx) => delta(state, ctx, 'users'))),
    route('GET', '/{v}/users/{id}', authed((ctx) =>
      single(state, ctx, userRow(ctx.tenant.requireUser(ctx.params.id ?? '')), USER_PROPS, 'microsoft.graph.user', 'users/$entity'))),
    route('POST', '/{v}/users/{id}/checkMemberGroups', authed((ctx) => {
      const body = readJsonObject(ctx.req);
      const ids = body.groupIds;
      if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) {
        throw new SimError(400, 'Request_BadRequest', "Invalid value specified for property 'groupIds'.");
      }
      if (ids.length > 20) throw new SimError(400, 'Request_BadRequest', 'The number of group ids exceeds the limit of 20.');
      const mine = new Set(memberGroups(ctx, false));
      const value = (ids as string[]).filter((id) => mine.has(id.toLowerCase()));
      return json(200, { '@odata.context': `${state.origin}/${ctx.version}/$metadata#Collection(Edm.String)`, value });
    })),
    ...['getMemberObjects', 'getMemberGroups'].map((action) =>
      route('POST', `/{v}/users/{id}/${action}`, authed((ctx) => {
        const body = readJsonObject(ctx.req);
        if (typeof body.securityEnabledOnly !== 'boolean') {
          throw new SimError(400, 'Request_BadRequest', "Invalid value specified for property 'securityEnabledOnly'.");
        }
        const value = memberGroups(ctx, body.securityEnabledOnly);
        return json(200, { '@odata.context': `${state.origin}/${ctx.version}/$metadata#Collection(Edm.String)`, value });
      })),
    ),
    route('GET', '/{v}/users/{id}/transitiveMemberOf', authed((ctx) => {
      const ids = memberGroups(ctx, false);
      return list<string>(state, {
        ctx,
        cacheKey: `transitiveMemberOf:${ids.join(',')}`,
        items: () => ids,
        toRow: (id) => {
          const g = ctx.tenant.groups.get(id);
          return g ? groupRow(g) : undefined;
        },
        selectable: GROUP_PROPS,
        filterable: GROUP_FILTER,
        typeName: 'microsoft.graph.group',
        resource: 'Group',
        context: 'directoryObjects',
        defaultTop: 100,
        maxTop: 999,
        strictTop: true,
      });
    })),

    // ---- groups ----------------------------------------------------------------------------------
    route('GET', '/{v}/groups', authed((ctx) => list(state, groupsList(ctx)))),
    route('GET', '/{v}/groups/$count', authed((ctx) => countOf(groupsList(ctx)))),
    route('GET', '/{v}/groups/delta', authed((ctx) => delta(state, ctx, 'groups'))),
    route('GET', '/{v}/groups/{id}', authed((ctx) =>
      single(state, ctx, groupRow(ctx.tenant.requireGroup(ctx.params.id ?? '')), GROUP_PROPS, 'microsoft.graph.group', 'groups/$entity'))),
  ];
  for (const relation of ['members', 'transitiveMembers'] as const) {
    const transitive = relation === 'transitiveMembers';
    routes.push(
      route('GET', `/{v}/groups/{id}/${relation}`, authed((ctx) => list(state, membersList(ctx, transitive)))),
      route('GET', `/{v}/groups/{id}/${relation}/$count`, authed((ctx) => countOf(membersList(ctx, transitive)))),
    );
    for (const cast of ['user', 'group'] as const) {
      routes.push(
        route('GET', `/{v}/groups/{id}/${relation}/microsoft.graph.${cast}`, authed((ctx) => list(state, membersList(ctx, transitive, cast)))),
        route('GET', `/{v}/groups/{id}/${relation}/microsoft.graph.${cast}/$count`, authed((ctx) => countOf(membersList(ctx, transitive, cast)))),
      );
    }
  }

  routes.push(
    // ---- Entra devices ---------------------------------------------------------------------------
    route('GET', '/{v}/devices', authed((ctx) => list(state, entraDevicesList(ctx)))),
    route('GET', '/{v}/devices/$count', authed((ctx) => countOf(entraDevicesList(ctx)))),
    route('GET', '/{v}/devices/{id}', authed((ctx) => {
      const device = ctx.tenant.entraDevices.get((ctx.params.id ?? '').toLowerCase());
      if (!device) throw new SimError(404, 'Request_ResourceNotFound', `Resource '${ctx.params.id ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
      return single(state, ctx, entraDeviceRow(device), ENTRA_DEVICE_PROPS, 'microsoft.graph.device', 'devices/$entity');
    })),
    route('PATCH', '/{v}/devices/{id}', authed((ctx) => {
      const device = ctx.tenant.entraDevices.get((ctx.params.id ?? '').toLowerCase());
      if (!device) throw new SimError(404, 'Request_ResourceNotFound', `Resource '${ctx.params.id ?? ''}' does not exist or one of its queried reference-property objects are not present.`);
      const body = readJsonObject(ctx.req);
      const updates: Record<string, string | null> = {};
      let accountEnabled: boolean | undefined;
      for (const [name, value] of Object.entries(body)) {
        if (name === 'extensionAttributes') {
          if (!isRecord(value)) throw new SimError(400, 'Request_BadRequest', "Invalid value specified for property 'extensionAttributes' of resource 'Device'.");
          for (const [attr, attrValue] of Object.entries(value)) {
            if (!EXTENSION_ATTRIBUTE_NAMES.includes(attr)) throw unknownProperty(attr, 'microsoft.graph.onPremisesExtensionAttributes');
            if (attrValue !== null && (typeof attrValue !== 'string' || attrValue.length > 1024)) {
              throw new SimError(400, 'Request_BadRequest', `Invalid value specified for property '${attr}' of resource 'Device'.`);
            }
            updates[attr] = attrValue;
          }
        } else if (name === 'accountEnabled') {
          if (typeof value !== 'boolean') throw new SimError(400, 'Request_BadRequest', "Invalid value specified for property 'accountEnabled' of resource 'Device'.");
          accountEnabled = value;
        } else if (!name.startsWith('@odata.')) {
          throw unknownProperty(name, 'microsoft.graph.device');
        }
      }
      Object.assign(device.extensionAttributes, updates);
      if (accountEnabled !== undefined) device.accountEnabled = accountEnabled;
      state.recordWrite({ tenantId: ctx.tenant.id, kind: 'entraDevice', targetId: device.id, body, viaBatch: ctx.req.inBatch });
      return noContent();
    })),

    // ---- Intune ----------------------------------------------------------------------------------
    route('GET', '/{v}/deviceManagement/managedDevices', authed((ctx) => list(state, managedDevicesList(ctx)))),
    route('GET', '/{v}/deviceManagement/managedDevices/{id}', authed((ctx) => {
      const device = ctx.tenant.managedDevices.get((ctx.params.id ?? '').toLowerCase());
      if (!device) throw new SimError(404, 'ResourceNotFound', `Resource not found: managedDevice '${ctx.params.id ?? ''}'.`);
      return single(state, ctx, managedDeviceRow(device), MANAGED_DEVICE_PROPS, 'microsoft.graph.managedDevice', 'deviceManagement/managedDevices/$entity', false);
    })),
    route('PATCH', '/{v}/deviceManagement/managedDevices/{id}', authed((ctx) => {
      const taken = state.takeIntuneWrite(ctx.tenant.id, ctx.appId);
      if (!taken.ok) {
        return graphError(429, 'TooManyRequests', 'Too many requests: the device write limit for this application in this tenant was exceeded. Please retry after the interval in the Retry-After header.', ctx.req, {
          'retry-after': String(taken.retryAfterSeconds),
        });
      }
      const device = ctx.tenant.managedDevices.get((ctx.params.id ?? '').toLowerCase());
      if (!device) throw new SimError(404, 'ResourceNotFound', `Resource not found: managedDevice '${ctx.params.id ?? ''}'.`);
      const body = readJsonObject(ctx.req);
      let next: (typeof PARTNER_THREAT_STATES)[number] | undefined;
      for (const [name, value] of Object.entries(body)) {
        if (name === 'partnerReportedThreatState') {
          const found = PARTNER_THREAT_STATES.find((s) => s === value);
          if (!found) {
            throw new SimError(400, 'BadRequest', `Cannot convert the literal '${String(value)}' to the expected type 'microsoft.graph.managedDevicePartnerReportedHealthState'.`);
          }
          next = found;
        } else if (!name.startsWith('@odata.')) {
          throw unknownProperty(name, 'microsoft.graph.managedDevice');
        }
      }
      if (next === undefined) throw new SimError(400, 'BadRequest', 'No writable property was given.');
      device.partnerReportedThreatState = next;
      state.recordWrite({ tenantId: ctx.tenant.id, kind: 'managedDevice', targetId: device.id, body, viaBatch: ctx.req.inBatch });
      return noContent();
    })),
    route('GET', '/{v}/deviceManagement/mobileThreatDefenseConnectors', authed((ctx) =>
      list<MtdConnector>(state, {
        ctx,
        cacheKey: 'connectors',
        items: () => [...ctx.tenant.connectors.values()],
        toRow: connectorRow,
        selectable: Object.keys(connectorRow([...ctx.tenant.connectors.values()][0] ?? ({} as MtdConnector))),
        filterable: ['id', 'partnerState'],
        typeName: 'microsoft.graph.mobileThreatDefenseConnector',
        resource: 'mobileThreatDefenseConnector',
        context: 'deviceManagement/mobileThreatDefenseConnectors',
        defaultTop: 100,
        maxTop: 100,
        strictTop: false,
        countNeedsEventual: false,
      }))),
    route('GET', '/{v}/deviceManagement/mobileThreatDefenseConnectors/{id}', authed((ctx) => {
      const connector = ctx.tenant.connectors.get(ctx.params.id ?? '');
      if (!connector) throw new SimError(404, 'ResourceNotFound', `Resource not found: mobileThreatDefenseConnector '${ctx.params.id ?? ''}'.`);
      return single(state, ctx, connectorRow(connector), Object.keys(connectorRow(connector)), 'microsoft.graph.mobileThreatDefenseConnector', 'deviceManagement/mobileThreatDefenseConnectors/$entity', false);
    })),
    route('PATCH', '/{v}/deviceManagement/mobileThreatDefenseConnectors/{id}', authed((ctx) => {
      const connector = ctx.tenant.connectors.get(ctx.params.id ?? '');
      if (!connector) throw new SimError(404, 'ResourceNotFound', `Resource not found: mobileThreatDefenseConnector '${ctx.params.id ?? ''}'.`);
      const body = readJsonObject(ctx.req);
      const next: Partial<MtdConnector> = {};
      for (const [name, value] of Object.entries(body)) {
        if (name === 'lastHeartbeatDateTime') {
          if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
            throw new SimError(400, 'BadRequest', `Cannot convert the literal '${String(value)}' to the expected type 'Edm.DateTimeOffset'.`);
          }
          next.lastHeartbeatDateTime = value;
        } else if (name === 'partnerState') {
          const found = MTD_PARTNER_STATES.find((s) => s === value);
          if (!found) throw new SimError(400, 'BadRequest', `Cannot convert the literal '${String(value)}' to the expected type 'microsoft.graph.mobileThreatPartnerTenantState'.`);
          next.partnerState = found;
        } else if (name === 'partnerUnresponsivenessThresholdInDays') {
          if (!Number.isInteger(value)) throw new SimError(400, 'BadRequest', `Cannot convert the literal '${String(value)}' to the expected type 'Edm.Int32'.`);
          next.partnerUnresponsivenessThresholdInDays = value as number;
        } else if ((CONNECTOR_BOOLEANS as readonly string[]).includes(name)) {
          if (typeof value !== 'boolean') throw new SimError(400, 'BadRequest', `Cannot convert the literal '${String(value)}' to the expected type 'Edm.Boolean'.`);
          (next as Record<string, unknown>)[name] = value;
        } else if (name !== 'id' && !name.startsWith('@odata.')) {
          throw unknownProperty(name, 'microsoft.graph.mobileThreatDefenseConnector');
        }
      }
      Object.assign(connector, next);
      state.recordWrite({ tenantId: ctx.tenant.id, kind: 'connector', targetId: connector.id, body, viaBatch: ctx.req.inBatch });
      return json(200, { '@odata.context': `${state.origin}/${ctx.version}/$metadata#deviceManagement/mobileThreatDefenseConnectors/$entity`, ...connectorRow(connector) });
    })),

    // ---- $batch ----------------------------------------------------------------------------------
    route('POST', '/{v}/$batch', (req, params) => batch(req, params.v ?? 'v1.0', dispatch())),
  );
  return routes;
}

// ---- delta -----------------------------------------------------------------------------------------

function deltaRows(tenant: TenantDirectory, kind: 'users' | 'groups', ids: Iterable<string>, select: string[] | undefined, withMembers: boolean,
  memberChanges: Map<string, Map<string, { type: 'user' | 'group'; removed: boolean }>> | undefined): Row[] {
  const rows: Row[] = [];
  for (const id of ids) {
    if (kind === 'users') {
      const user = tenant.users.get(id);
      if (!user) {
        rows.push({ id, '@removed': { reason: 'changed' } });
        continue;
      }
      const row = project(userRow(user), select);
      delete row['@odata.type'];
      rows.push(row);
      continue;
    }
    const group = tenant.groups.get(id);
    if (!group) {
      rows.push({ id, '@removed': { reason: 'changed' } });
      continue;
    }
    const row = project(groupRow(group), select);
    delete row['@odata.type'];
    if (!withMembers) {
      rows.push(row);
      continue;
    }
    const refs: Row[] = [];
    if (memberChanges) {
      for (const [memberId, change] of memberChanges.get(id) ?? []) {
        const ref: Row = { '@odata.type': `#microsoft.graph.${change.type}`, id: memberId };
        if (change.removed) ref['@removed'] = { reason: 'deleted' };
        refs.push(ref);
      }
    } else {
      for (const ref of tenant.directMembers(id)) refs.push({ '@odata.type': `#microsoft.graph.${ref.type}`, id: ref.id });
    }
    if (refs.length <= DELTA_CHUNK) {
      rows.push({ ...row, 'members@delta': refs });
    } else {
      // Large groups are split over several entries (the same group repeated), as Graph does.
      for (let i = 0; i < refs.length; i += DELTA_CHUNK) rows.push({ ...row, 'members@delta': refs.slice(i, i + DELTA_CHUNK) });
    }
  }
  return rows;
}

function delta(state: SimState, ctx: GraphContext, kind: 'users' | 'groups'): SimResponse {
  const { req, tenant } = ctx;
  const basePath = `${state.origin}/${ctx.version}/${kind}/delta`;
  const restartLink = (select: string | null, filter: string | null): string => {
    const p = new URLSearchParams();
    if (select) p.set('$select', select);
    if (filter) p.set('$filter', filter);
    const qs = p.toString().replace(/%24/g, '$');
    return qs ? `${basePath}?${qs}` : basePath;
  };
  const gone = (select: string | null, filter: string | null): SimResponse =>
    graphError(410, 'syncStateNotFound', 'The sync state generation is not found or has expired. Restart the sync from the beginning without a delta or skip token.', req, {
      location: restartLink(select, filter),
    });

  const maxPage = /odata\.maxpagesize=(\d+)/i.exec(req.headers.prefer ?? '');
  const pageSize = Math.min(Math.max(Number(maxPage?.[1] ?? 200), 1), 999);

  let snapshot;
  let offset = 0;
  const skip = req.query.get('$skiptoken');
  const deltaToken = req.query.get('$deltatoken');
  if (skip !== null) {
    const decoded = decodeToken(skip);
    if (!isRecord(decoded) || typeof decoded.snap !== 'string' || typeof decoded.o !== 'number') {
      return graphError(400, 'Request_BadRequest', 'Invalid skip token.', req);
    }
    snapshot = state.snapshot(decoded.snap);
    if (!snapshot || snapshot.epoch !== tenant.deltaEpoch || snapshot.tenantId !== tenant.id || snapshot.kind !== kind) {
      return gone(snapshot?.select ?? null, snapshot?.filter ?? null);
    }
    offset = decoded.o;
  } else {
    let selectRaw = req.query.get('$select');
    let filterRaw = req.query.get('$filter');
    let since: number | undefined;
    if (deltaToken !== null && deltaToken !== 'latest') {
      const decoded = decodeToken(deltaToken);
      if (!isRecord(decoded) || typeof decoded.s !== 'number' || typeof decoded.e !== 'number') {
        return graphError(400, 'Request_BadRequest', 'Invalid delta token.', req);
      }
      selectRaw = typeof decoded.sel === 'string' ? decoded.sel : null;
      filterRaw = typeof decoded.f === 'string' ? decoded.f : null;
      if (decoded.e !== tenant.deltaEpoch) return gone(selectRaw, filterRaw);
      since = decoded.s;
    }
    const props = kind === 'users' ? USER_PROPS : [...GROUP_PROPS, 'members'];
    const selected = parseSelect(selectRaw, props, `microsoft.graph.${kind === 'users' ? 'user' : 'group'}`);
    const withMembers = kind === 'groups' && (selected?.includes('members') ?? false);
    const select = selected?.filter((s) => s !== 'members');
    const predicate = filterRaw ? compileFilter(filterRaw, ['id'], kind === 'users' ? 'User' : 'Group') : undefined;
    let entries: Row[];
    if (deltaToken === 'latest') {
      entries = [];
    } else if (since === undefined) {
      const ids = kind === 'users' ? tenant.userList().map((u) => u.id) : tenant.groupList().map((g) => g.id);
      const wanted = predicate ? ids.filter((id) => predicate({ id })) : ids;
      entries = deltaRows(tenant, kind, wanted, select, withMembers, undefined);
    } else {
      // Each changed object once, in the order of its latest change, with its net member changes.
      const changed = new Map<string, Map<string, { type: 'user' | 'group'; removed: boolean }>>();
      for (const change of tenant.changesSince(since)) {
        if ((change.kind === 'user') !== (kind === 'users')) continue;
        if (predicate && !predicate({ id: change.id })) continue;
        const members = changed.get(change.id) ?? new Map<string, { type: 'user' | 'group'; removed: boolean }>();
        changed.delete(change.id);
        changed.set(change.id, members);
        if (change.kind === 'group' && change.member) {
          members.delete(change.member.id);
          members.set(change.member.id, { type: change.member.type, removed: change.member.removed });
        }
      }
      entries = deltaRows(tenant, kind, changed.keys(), select, withMembers, changed);
    }
    snapshot = state.saveSnapshot({ tenantId: tenant.id, kind, epoch: tenant.deltaEpoch, entries, seq: tenant.seq, select: selectRaw, filter: filterRaw });
  }

  const value: Row[] = [];
  let refs = 0;
  let index = offset;
  while (index < snapshot.entries.length && value.length < pageSize) {
    const entry = snapshot.entries[index];
    if (!entry) break;
    const cost = Array.isArray(entry['members@delta']) ? entry['members@delta'].length : 0;
    if (value.length > 0 && refs + cost > DELTA_PAGE_REFS) break;
    refs += cost;
    value.push(entry);
    index++;
  }
  const body: Row = { '@odata.context': `${state.origin}/${ctx.version}/$metadata#${kind}` };
  if (index < snapshot.entries.length) {
    body['@odata.nextLink'] = `${basePath}?$skiptoken=${encodeToken({ snap: snapshot.id, o: index })}`;
  } else {
    const token = encodeToken({ e: snapshot.epoch, s: snapshot.seq, sel: snapshot.select, f: snapshot.filter });
    body['@odata.deltaLink'] = `${basePath}?$deltatoken=${token}`;
  }
  body.value = value;
  return json(200, body);
}

// ---- $batch ----------------------------------------------------------------------------------------

async function batch(req: SimRequest, version: string, dispatch: Dispatch): Promise<SimResponse> {
  const parsed = parseJsonBody(req);
  if (!parsed.ok || !isRecord(parsed.value) || !Array.isArray(parsed.value.requests)) {
    return graphError(400, 'BadRequest', 'Invalid batch payload format.', req);
  }
  const requests: unknown[] = parsed.value.requests;
  if (requests.length === 0) return graphError(400, 'BadRequest', 'Invalid batch payload format: the batch contains no requests.', req);
  if (requests.length > MAX_BATCH) {
    return graphError(400, 'BadRequest', `Too many requests in the batch: ${requests.length}. The maximum number of requests in a batch is ${MAX_BATCH}.`, req);
  }
  const ids = new Set<string>();
  interface Sub { id: string; method: string; url: string; headers: Record<string, string>; body: unknown; dependsOn: string[] }
  const subs: Sub[] = [];
  for (const item of requests) {
    if (!isRecord(item) || typeof item.id !== 'string' || item.id === '' || typeof item.method !== 'string' || typeof item.url !== 'string') {
      return graphError(400, 'BadRequest', 'Invalid batch payload format: every request needs an id, a method and a url.', req);
    }
    if (ids.has(item.id)) return graphError(400, 'BadRequest', `Batch request contains a duplicate request id: '${item.id}'.`, req);
    if (/^[a-z]+:\/\//i.test(item.url)) return graphError(400, 'BadRequest', 'Invalid request URL: batch request URLs must be relative.', req);
    const dependsOn = Array.isArray(item.dependsOn) ? item.dependsOn.filter((d): d is string => typeof d === 'string') : [];
    for (const d of dependsOn) {
      if (!ids.has(d)) return graphError(400, 'BadRequest', `Request '${item.id}' depends on '${d}', which is not an earlier request in the batch.`, req);
    }
    const headers: Record<string, string> = {};
    if (isRecord(item.headers)) for (const [k, v] of Object.entries(item.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    ids.add(item.id);
    subs.push({ id: item.id, method: item.method.toUpperCase(), url: item.url, headers, body: item.body, dependsOn });
  }

  const statusById = new Map<string, number>();
  const responses: Row[] = [];
  for (const sub of subs) {
    if (sub.dependsOn.some((d) => (statusById.get(d) ?? 500) >= 400)) {
      statusById.set(sub.id, 424);
      responses.push({ id: sub.id, status: 424, headers: { 'Content-Type': 'application/json' }, body: { error: { code: 'FailedDependency', message: 'A request this request depends on failed.' } } });
      continue;
    }
    // URLs are relative to the batch's version; a leading `/v1.0/` or `/beta/` (as the JS client sends) is kept.
    const relative = sub.url.startsWith('/') ? sub.url : `/${sub.url}`;
    const target = parseTarget(/^\/(v1\.0|beta)\//i.test(relative) ? relative : `/${version}${relative}`);
    const headers: Record<string, string> = { ...sub.headers };
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const rawBody = sub.body === undefined ? '' : typeof sub.body === 'string' ? Buffer.from(sub.body, 'base64').toString('utf8') : JSON.stringify(sub.body);
    const res = await dispatch({ method: sub.method, path: target.path, rawPath: target.rawPath, query: target.query, headers, rawBody, inBatch: true });
    if (res.drop) return res;
    statusById.set(sub.id, res.status);
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers ?? {})) {
      const name = k.toLowerCase() === 'content-type' ? 'Content-Type' : k.toLowerCase() === 'retry-after' ? 'Retry-After' : k;
      outHeaders[name] = v;
    }
    const entry: Row = { id: sub.id, status: res.status, headers: outHeaders };
    if (res.body !== undefined) entry.body = res.body;
    responses.push(entry);
  }
  return json(200, { responses });
}

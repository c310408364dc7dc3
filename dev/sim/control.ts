/**
 * The control API under `/_sim/` (plain JSON, no auth): read what the connector told Intune and Entra,
 * read sent mail, mint user tokens, inject faults, tighten throttling, and change the scenario.
 * Every operation is also a method of `SimState`.
 */
import { z } from 'zod';
import { SimError } from './directory.js';
import { json, noContent, parseJsonBody, route } from './http.js';
import type { Params, Route, SimRequest, SimResponse } from './http.js';
import type { SimState } from './state.js';

const userTokenBody = z
  .object({
    tenantId: z.string(),
    userId: z.string().optional(),
    upn: z.string().optional(),
    audience: z.string().optional(),
    groupsOverage: z.boolean().optional(),
    claims: z.record(z.string(), z.unknown()).optional(),
    signWith: z.enum(['current', 'unlisted']).optional(),
    lifetimeSeconds: z.number().int().positive().optional(),
  })
  .refine((b) => b.userId !== undefined || b.upn !== undefined, { message: 'userId or upn is required' });

const faultBody = z.object({
  method: z.string().optional(),
  path: z.string().min(1),
  count: z.number().int().positive().optional(),
  status: z.number().int().min(100).max(599).optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  body: z.unknown().optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  drop: z.boolean().optional(),
});

const throttleBody = z.object({
  tenantId: z.string().optional(),
  limit: z.number().int().positive(),
  windowSeconds: z.number().positive(),
});

const userBody = z.object({
  id: z.string().optional(),
  userPrincipalName: z.string().min(3),
  displayName: z.string().min(1),
  mail: z.string().nullable().optional(),
});

const groupBody = z.object({ id: z.string().optional(), displayName: z.string().min(1), members: z.array(z.string()).optional() });
const renameBody = z.object({ displayName: z.string().min(1) });
const memberBody = z.object({ memberId: z.string().min(1) });
const deviceBody = z.object({
  id: z.string().optional(),
  userId: z.string(),
  deviceName: z.string().optional(),
  operatingSystem: z.enum(['iOS', 'Android', 'Windows', 'macOS']).optional(),
  osVersion: z.string().optional(),
  azureADDeviceId: z.string().optional(),
  entraObjectId: z.string().optional(),
});
const expireBody = z.object({ tenantId: z.string().optional() });
const rotateBody = z.object({ retireOld: z.boolean().optional() });
const consentFailBody = z.object({ error: z.string().optional(), description: z.string().optional() });
/** `permissions`: the application permissions granted (default: all the app asks for; `[]`: the app without any). */
const consentBody = z.object({ permissions: z.array(z.string().min(1)).optional() });
const appTokenBody = z.object({ tenantId: z.string() });
const connectorBody = z.strictObject({
  lastHeartbeatDateTime: z.iso.datetime({ offset: true }).optional(),
  partnerState: z.enum(['unavailable', 'available', 'enabled', 'unresponsive', 'notSetUp', 'error']).optional(),
  partnerUnresponsivenessThresholdInDays: z.number().int().min(0).optional(),
});

const apiAppTokenBody = z
  .object({
    tenantId: z.string(),
    clientId: z.string().optional(),
    audience: z.string().optional(),
    roles: z.array(z.string()).optional(),
    claims: z.record(z.string(), z.unknown()).optional(),
    lifetimeSeconds: z.number().int().positive().optional(),
  })
  .strict();

function body<T>(schema: z.ZodType<T>, req: SimRequest): T {
  const parsed = parseJsonBody(req);
  if (!parsed.ok) throw new SimError(400, 'InvalidJson', 'The body is not valid JSON.');
  const result = schema.safeParse(parsed.value ?? {});
  if (!result.success) {
    throw new SimError(400, 'InvalidBody', result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  }
  return result.data;
}

function handle(fn: (req: SimRequest, p: Params) => SimResponse | Promise<SimResponse>) {
  return async (req: SimRequest, p: Params): Promise<SimResponse> => {
    try {
      return await fn(req, p);
    } catch (error) {
      if (error instanceof SimError) return json(error.status, { error: { code: error.code, message: error.message } });
      if (error instanceof SyntaxError) return json(400, { error: { code: 'InvalidPattern', message: error.message } });
      throw error;
    }
  };
}

export function controlRoutes(state: SimState): Route[] {
  const p = (params: Params, key: string): string => params[key] ?? '';
  return [
    route('GET', '/_sim/tenants', handle(() => json(200, { value: state.tenantSummaries(), clientId: state.clientId }))),
    route('POST', '/_sim/tokens/user', handle(async (req) => json(200, { token: await state.mintUserToken(body(userTokenBody, req)) }))),
    route('POST', '/_sim/tokens/app', handle(async (req) => json(200, { token: await state.mintAppToken(body(appTokenBody, req).tenantId) }))),
    route('POST', '/_sim/tokens/api-app', handle(async (req) => json(200, { token: await state.mintApiAppToken(body(apiAppTokenBody, req)) }))),

    route('GET', '/_sim/intune/devices/{tenantId}', handle((_r, ps) => json(200, { value: state.intuneDevices(p(ps, 'tenantId')) }))),
    route('POST', '/_sim/intune/devices/{tenantId}', handle((req, ps) => json(201, state.addManagedDevice(p(ps, 'tenantId'), body(deviceBody, req))))),
    route('DELETE', '/_sim/intune/devices/{tenantId}/{deviceId}', handle((_r, ps) => {
      state.retireManagedDevice(p(ps, 'tenantId'), p(ps, 'deviceId'));
      return noContent();
    })),
    route('GET', '/_sim/intune/writes', handle((req) => json(200, { value: state.intuneWrites(req.query.get('tenantId') ?? undefined) }))),
    route('GET', '/_sim/intune/connectors/{tenantId}', handle((_r, ps) => json(200, { value: state.connectors(p(ps, 'tenantId')) }))),
    route('PATCH', '/_sim/intune/connectors/{tenantId}', handle((req, ps) => json(200, state.setConnector(p(ps, 'tenantId'), body(connectorBody, req))))),
    route('GET', '/_sim/entra/devices/{tenantId}', handle((_r, ps) => json(200, { value: state.entraDevices(p(ps, 'tenantId')) }))),
    route('GET', '/_sim/entra/writes', handle((req) => json(200, { value: state.entraWrites(req.query.get('tenantId') ?? undefined) }))),

    route('GET', '/_sim/mail', handle(() => json(200, { value: state.sentMail() }))),
    route('DELETE', '/_sim/mail', handle(() => {
      state.clearMail();
      return noContent();
    })),

    route('GET', '/_sim/faults', handle(() =>
      json(200, { value: state.faults.map((f) => ({ ...f, regex: undefined })) }))),
    route('POST', '/_sim/faults', handle((req) => {
      const fault = state.addFault(body(faultBody, req));
      return json(201, { id: fault.id });
    })),
    route('DELETE', '/_sim/faults', handle(() => {
      state.clearFaults();
      return noContent();
    })),
    route('POST', '/_sim/throttle', handle((req) => {
      state.setThrottle(body(throttleBody, req));
      return noContent();
    })),

    route('POST', '/_sim/users/{tenantId}', handle((req, ps) => json(201, state.addUser(p(ps, 'tenantId'), body(userBody, req))))),
    route('DELETE', '/_sim/users/{tenantId}/{userId}', handle((_r, ps) => {
      state.deleteUser(p(ps, 'tenantId'), p(ps, 'userId'));
      return noContent();
    })),
    route('POST', '/_sim/groups/{tenantId}', handle((req, ps) => {
      const g = state.createGroup(p(ps, 'tenantId'), body(groupBody, req));
      return json(201, { id: g.id, displayName: g.displayName, members: [...g.members] });
    })),
    route('PATCH', '/_sim/groups/{tenantId}/{groupId}', handle((req, ps) => {
      const g = state.renameGroup(p(ps, 'tenantId'), p(ps, 'groupId'), body(renameBody, req).displayName);
      return json(200, { id: g.id, displayName: g.displayName });
    })),
    route('DELETE', '/_sim/groups/{tenantId}/{groupId}', handle((_r, ps) => {
      state.deleteGroup(p(ps, 'tenantId'), p(ps, 'groupId'));
      return noContent();
    })),
    route('POST', '/_sim/groups/{tenantId}/{groupId}/members', handle((req, ps) => {
      state.addGroupMember(p(ps, 'tenantId'), p(ps, 'groupId'), body(memberBody, req).memberId);
      return noContent();
    })),
    route('DELETE', '/_sim/groups/{tenantId}/{groupId}/members/{memberId}', handle((_r, ps) => {
      state.removeGroupMember(p(ps, 'tenantId'), p(ps, 'groupId'), p(ps, 'memberId'));
      return noContent();
    })),

    route('POST', '/_sim/delta/expire', handle((req) => {
      state.expireDeltaTokens(body(expireBody, req).tenantId);
      return noContent();
    })),
    route('POST', '/_sim/keys/rotate', handle(async (req) => json(200, await state.rotateKeys(body(rotateBody, req).retireOld ?? false)))),
    route('POST', '/_sim/consent/{tenantId}', handle((req, ps) => {
      const permissions = body(consentBody, req).permissions;
      state.grantConsent(p(ps, 'tenantId'), permissions);
      return noContent();
    })),
    route('DELETE', '/_sim/consent/{tenantId}', handle((_r, ps) => {
      state.revokeConsent(p(ps, 'tenantId'));
      return noContent();
    })),
    route('POST', '/_sim/consent/{tenantId}/fail-next', handle((req, ps) => {
      const b = body(consentFailBody, req);
      state.failNextConsent(p(ps, 'tenantId'), b.error, b.description);
      return noContent();
    })),

    route('GET', '/_sim/stats', handle(() => json(200, state.stats()))),
    route('POST', '/_sim/stats/reset', handle(() => {
      state.resetStats();
      return noContent();
    })),
  ];
}

/**
 * Onboarding a customer tenant: provider support provisions it, the tenant's administrator grants admin consent,
 * and from then on the tenant is `active`.
 */
import { z } from 'zod';
import { audited, type AuditDeps } from '../audit/auditLog.js';
import { providerActor, providerAuditActor, type ProviderPrincipal } from '../auth/provider.js';
import { recordProviderAudit } from '../audit/providerAudit.js';
import { readDeviceCounts } from '../devices/deviceCounters.js';
import { updateTenantIndex } from '../tenants/providerIndex.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';
import { anyEntity, listAll, odata } from '../storage/index.js';
import { ConsentStateError, consentStatesFor } from '../tenants/consentState.js';
import type { ConsentStates } from '../tenants/consentState.js';
import { activateTenant, createTenant, getTenant, guidSchema, TenantExists, tenantStatusSchema } from '../tenants/tenantRepository.js';
import type { Tenant } from '../tenants/tenantRepository.js';
import { createTenantDueRows, makeTenantJobsDue } from '../jobs/request.js';
import { missingPermissions, requiredPermissions } from './permissions.js';

export const provisionTenantBodySchema = z.strictObject({
  tenantId: guidSchema.describe("The customer's Entra ID tenant id (GUID)."),
  displayName: z.string().trim().min(1).max(256).describe("The customer's name as support staff know it."),
  fullAccessGroupId: guidSchema.describe('Object id of the Entra group whose members get full console access.'),
  restrictedAccessGroupId: guidSchema
    .optional()
    .describe('Object id of the Entra group whose members get read-only (restricted) console access.'),
  primaryContactEmail: z.email().max(320).describe("The customer's primary contact."),
});
export type ProvisionTenantBody = z.output<typeof provisionTenantBodySchema>;

export const provisionTenantResponseSchema = z.object({
  tenantId: z.string(),
  status: z.literal('provisioned'),
  consentUrl: z.string().describe("Send this link to the customer's administrator to grant admin consent."),
});

const syncResult = z.enum(['ok', 'partial', 'failed']);

export const tenantDetailsSchema = z.object({
  tenantId: z.string(),
  displayName: z.string(),
  fullAccessGroupId: z.string(),
  restrictedAccessGroupId: z.string().nullable(),
  primaryContactEmail: z.string(),
  status: tenantStatusSchema,
  createdAt: z.string(),
  consentUrl: z.string(),
  health: z.object({
    consent: z.object({
      granted: z.boolean(),
      at: z.string().nullable(),
      by: z.string().nullable(),
    }),
    lastEnrollmentSync: z.object({ at: z.string(), result: syncResult.nullable() }).nullable(),
    lastConnectorHeartbeat: z.object({ at: z.string(), result: z.string().nullable() }).nullable(),
    lastError: z.object({ at: z.string(), kind: z.string().nullable(), message: z.string().nullable() }).nullable(),
  }),
  counts: z.object({
    enrollmentGroups: z.number().int(),
    devices: z.object({
      total: z.number().int(),
      pending: z.number().int(),
      active: z.number().int(),
      disconnected: z.number().int(),
      deactivated: z.number().int(),
    }),
  }),
});
export type TenantDetails = z.output<typeof tenantDetailsSchema>;


/** The tenant's consent link: it carries the signature that lets `/api/consent/start` begin consent for that tenant. */
export async function consentUrl(services: Pick<CorePorts, 'config' | 'tables' | 'secrets'>, tenantId: string): Promise<string> {
  const sig = await consentStatesFor(services.tables, services.secrets).linkSignature(tenantId);
  return `${services.config.PUBLIC_BASE_URL}/api/consent/start?tenantId=${encodeURIComponent(tenantId)}&sig=${sig}`;
}

type ProvisionDeps = AuditDeps & Pick<CorePorts, 'config' | 'queues' | 'secrets'>;

/** Provisions a tenant once: 409 when its id is already provisioned (whether or not consent is done). */
export async function provisionTenant(
  services: ProvisionDeps,
  body: ProvisionTenantBody,
  principal: ProviderPrincipal = { kind: 'functionKey' },
): Promise<z.output<typeof provisionTenantResponseSchema>> {
  const tenantId = body.tenantId;
  const conflict = () => new HttpError(409, `Tenant ${tenantId} is already provisioned; a tenant is provisioned once.`);
  // Refused before anything is written (the create below still refuses a concurrent duplicate).
  if (await getTenant(services.tables, tenantId)) throw conflict();
  try {
    await audited(
      services,
      providerActor(tenantId, principal),
      { action: 'tenant.provision', target: tenantId, request: body },
      async () => {
        const tenant = await createTenant(services.tables, tenantId, {
          displayName: body.displayName,
          fullAccessGroupId: body.fullAccessGroupId,
          ...(body.restrictedAccessGroupId ? { restrictedAccessGroupId: body.restrictedAccessGroupId } : {}),
          primaryContactEmail: body.primaryContactEmail,
          status: 'provisioned',
          createdAt: services.clock.now().toISOString(),
        });
        return { before: null, after: tenant };
      },
    );
  } catch (caught) {
    if (caught instanceof TenantExists) throw conflict();
    throw caught;
  }
  // The tenant's background jobs exist from the start, parked until consent makes them due.
  await createTenantDueRows(services, tenantId);
  // The provider's tenant list shows it from now on, and the provider's audit log names who provisioned it.
  const now = services.clock.now();
  await updateTenantIndex(services.tables, tenantId, { displayName: body.displayName, status: 'provisioned' }, now);
  await recordProviderAudit(services.tables, {
    at: now,
    action: 'tenant.provision',
    tenantId,
    tenantName: body.displayName,
    actor: providerAuditActor(principal),
    detail: 'Provisioned; waiting for admin consent.',
  });
  return { tenantId, status: 'provisioned', consentUrl: await consentUrl(services, tenantId) };
}

/** The tenant's record with its connection health and counts; 404 when never provisioned. */
export async function tenantDetails(services: Pick<CorePorts, 'config' | 'tables' | 'secrets'>, tenantId: string): Promise<TenantDetails> {
  const tenant = await getTenant(services.tables, tenantId);
  if (!tenant) throw new HttpError(404, `Tenant ${tenantId} is not provisioned.`);
  // From the device counters: a fixed number of reads whatever the fleet's size (never the devices themselves).
  const counted = await readDeviceCounts(services.tables, tenant.tenantId);
  const devices = { total: counted.total, ...counted.byStatus };
  const partition = odata`PartitionKey eq ${tenant.tenantId}`;
  let enrollmentGroups = 0;
  for await (const _row of listAll(services.tables.table('enrollmentGroups'), { schema: anyEntity, filter: partition, select: ['displayName'] })) {
    enrollmentGroups += 1;
  }
  return {
    tenantId: tenant.tenantId,
    displayName: tenant.displayName,
    fullAccessGroupId: tenant.fullAccessGroupId,
    restrictedAccessGroupId: tenant.restrictedAccessGroupId ?? null,
    primaryContactEmail: tenant.primaryContactEmail,
    status: tenant.status,
    createdAt: tenant.createdAt,
    consentUrl: await consentUrl(services, tenant.tenantId),
    health: {
      consent: { granted: tenant.status === 'active', at: tenant.consentedAt ?? null, by: tenant.consentedBy ?? null },
      lastEnrollmentSync: tenant.lastEnrollmentSyncAt
        ? { at: tenant.lastEnrollmentSyncAt, result: tenant.lastEnrollmentSyncResult ?? null }
        : null,
      lastConnectorHeartbeat: tenant.lastConnectorHeartbeatAt
        ? { at: tenant.lastConnectorHeartbeatAt, result: tenant.lastConnectorHeartbeatResult ?? null }
        : null,
      lastError: tenant.lastErrorAt
        ? { at: tenant.lastErrorAt, kind: tenant.lastErrorKind ?? null, message: tenant.lastErrorMessage ?? null }
        : null,
    },
    counts: { enrollmentGroups, devices },
  };
}

/** What a consent step shows the administrator's browser. */
export type ConsentOutcome =
  | { kind: 'redirect'; location: string }
  | { kind: 'page'; status: number; title: string; message: string };

const page = (status: number, title: string, message: string): ConsentOutcome => ({ kind: 'page', status, title, message });

const consentStartQuerySchema = z.object({ tenantId: z.string().optional(), sig: z.string().optional() });

/** The one answer to every start without a valid link, whatever the tenant id: it tells a stranger nothing. */
const noSuchLink = (): ConsentOutcome =>
  page(404, 'This consent link is not valid', 'Use the consent link your provider sent you, unchanged. If it still fails, ask your provider for it again.');

/**
 * `GET /api/consent/start?tenantId=&sig=`: only through the link provisioning handed out (its `sig` is checked before
 * any tenant is read), redirect to the tenant's adminconsent endpoint with a fresh state; once the tenant's consent
 * is complete, a 410 page instead.
 */
export async function startConsent(services: Pick<CorePorts, 'config' | 'tables' | 'clock'>, states: ConsentStates, query: unknown): Promise<ConsentOutcome> {
  const parsed = consentStartQuerySchema.safeParse(query);
  const raw = parsed.success ? parsed.data : {};
  const tenantId = guidSchema.safeParse(raw.tenantId ?? '');
  if (!tenantId.success || raw.sig === undefined) return noSuchLink();
  if (!(await states.isLinkSignature(tenantId.data, raw.sig))) return noSuchLink();
  const tenant = await getTenant(services.tables, tenantId.data);
  if (!tenant) return noSuchLink();
  // The link lasts until consent completes: after that it starts nothing (only its holder, who has the signature,
  // learns that the tenant is connected).
  if (tenant.status === 'active') {
    return page(
      410,
      'This consent link has been used',
      `${tenant.displayName} is already connected to this service, so this link no longer starts consent. Sign in to the console, or ask your provider if something is missing.`,
    );
  }
  const state = await states.issue(tenant.tenantId, services.clock.now());
  const config = services.config;
  const target = new URL(`${config.ENTRA_AUTHORITY_HOST}/${tenant.tenantId}/v2.0/adminconsent`);
  target.searchParams.set('client_id', config.CONNECTOR_CLIENT_ID);
  target.searchParams.set('scope', 'https://graph.microsoft.com/.default');
  target.searchParams.set('redirect_uri', `${config.PUBLIC_BASE_URL}/api/consent/callback`);
  target.searchParams.set('state', state);
  return { kind: 'redirect', location: target.toString() };
}

const callbackQuerySchema = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
  admin_consent: z.string().optional(),
  tenant: z.string().optional(),
  state: z.string().optional(),
});

const stateMessages: Record<ConsentStateError['reason'], string> = {
  malformed: 'The consent response is not one this service started.',
  forged: 'The consent response is not one this service started.',
  unknown: 'The consent response is not one this service started.',
  expired: 'The consent link expired (it is valid for 10 minutes). Start again from the link your provider sent.',
  replayed: 'This consent response was already used. Start again from the link your provider sent if needed.',
};

/** Completing consent asks Entra ID for an app token of the tenant, audits the change and makes the tenant's jobs due. */
type ConsentDeps = AuditDeps & Pick<CorePorts, 'graph' | 'queues' | 'config'>;

/** `GET /api/consent/callback`: checks error, then state, then the consent itself; marks the tenant active. */
export async function completeConsent(services: ConsentDeps, states: ConsentStates, query: unknown): Promise<ConsentOutcome> {
  const parsed = callbackQuerySchema.safeParse(query);
  if (!parsed.success) return page(400, 'Consent was not completed', 'The consent response is not valid.');
  const q = parsed.data;
  if (q.error !== undefined) {
    const description = q.error_description ? ` ${q.error_description.slice(0, 500)}` : '';
    return page(400, 'Consent was not granted', `Microsoft Entra ID answered "${q.error.slice(0, 100)}".${description} Nothing was changed.`);
  }
  if (!q.state) return page(400, 'Consent was not completed', `${stateMessages.malformed} Nothing was changed.`);
  const now = services.clock.now();
  let payload;
  try {
    payload = await states.verify(q.state, now);
  } catch (caught) {
    if (caught instanceof ConsentStateError) return page(400, 'Consent was not completed', `${stateMessages[caught.reason]} Nothing was changed.`);
    throw caught;
  }
  if (q.admin_consent !== 'True') return page(400, 'Consent was not granted', 'The administrator did not grant consent. Nothing was changed.');
  if (!q.tenant || q.tenant.toLowerCase() !== payload.t) {
    return page(400, 'Consent was not completed', 'Consent was granted in a different tenant than the one this link was made for. Nothing was changed.');
  }
  const tenant = await getTenant(services.tables, payload.t);
  if (!tenant) return page(400, 'Consent was not completed', `Tenant ${payload.t} is not provisioned for this service. Nothing was changed.`);
  await states.deleteExpired(tenant.tenantId, now);
  if (tenant.status !== 'active') {
    // The query string proves nothing: only Entra ID issuing the app a token for the tenant shows the consent is real.
    // The state is not consumed yet, so reloading this page retries once Entra ID has caught up.
    const access = await services.graph.confirmAppAccess(tenant.tenantId);
    if (access.kind === 'refused') {
      return page(
        400,
        'Consent was not confirmed',
        'Microsoft Entra ID does not confirm that this app was granted consent in your organization. If you just granted it, wait a minute and reload this page; otherwise start again from the link your provider sent. Nothing was changed.',
      );
    }
    if (access.kind === 'unavailable') {
      return page(503, 'Consent could not be checked', 'Microsoft Entra ID could not be reached to confirm the consent. Reload this page in a minute. Nothing was changed.');
    }
    // The app being in the tenant is not consent: its token must carry every permission the connector needs.
    const missing = missingPermissions(access.roles, requiredPermissions(services.config));
    if (missing.length > 0) {
      return page(
        400,
        'Consent is missing permissions',
        `The app is in your organization, but these Microsoft Graph application permissions were not granted: ${missing.join(', ')}. Start again from the link your provider sent and grant every permission asked for (or grant them in Enterprise applications → MTD Connector → Permissions), then reload this page. Nothing was changed.`,
      );
    }
  }
  try {
    await states.consume(payload, now);
  } catch (caught) {
    if (caught instanceof ConsentStateError) return page(400, 'Consent was not completed', `${stateMessages[caught.reason]} Nothing was changed.`);
    throw caught;
  }
  if (tenant.status === 'active') {
    return page(200, 'Already connected', `${tenant.displayName} was already connected to this service; its permissions are up to date.`);
  }
  const activated = await audited(
    services,
    { tenantId: tenant.tenantId, userId: 'admin-consent', name: 'Tenant administrator (admin consent)' },
    { action: 'tenant.consent', target: tenant.tenantId },
    async () => {
      const result = await activateTenant(services.tables, tenant.tenantId, { at: now.toISOString() });
      return { before: { status: tenant.status }, after: { status: result.tenant?.status ?? null, consentedAt: result.tenant?.consentedAt ?? null }, result };
    },
  );
  if (!activated.result.activated && activated.result.tenant?.status !== 'active') {
    return page(400, 'Consent was not completed', 'The tenant could not be connected. Nothing was changed.');
  }
  // Every job of the tenant is due now: its first discovery runs within a tick. (Should this fail, the first
  // settings change, sync now or the jobs' own schedule brings them; the tenant is connected either way.)
  try {
    await makeTenantJobsDue(services, tenant.tenantId);
  } catch (caught) {
    services.log.warn(`Tenant ${tenant.tenantId} consented, but its jobs were not made due: ${caught instanceof Error ? caught.message : 'error'}`);
  }
  try {
    await updateTenantIndex(services.tables, tenant.tenantId, { displayName: tenant.displayName, status: 'active' }, services.clock.now());
  } catch (caught) {
    // The tenant's first hourly job refreshes the provider's index anyway.
    services.log.warn(`Tenant ${tenant.tenantId} consented, but the provider's index was not updated: ${caught instanceof Error ? caught.message : 'error'}`);
  }
  return page(200, 'Connected', `${tenant.displayName} is now connected. You can close this window and sign in to the console.`);
}

export type { Tenant };

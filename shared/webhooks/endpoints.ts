/**
 * Webhook endpoints as the console manages them: at most 10 per tenant, each `{ url, types, description?, enabled }`
 * with a signing secret shown only when it is created or rotated. Rows: table `webhooks`, PartitionKey = tenant id,
 * RowKey = endpoint id (docs/DATA-MODEL.md, "Webhooks").
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { eventTypes, type EventRecorder } from '../events/event.js';
import { eventFormatSchema } from '../events/ocsf.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';
import { listAll, odata, readEntity, updateEntity, NO_CHANGE, type StoredEntity } from '../storage/index.js';
import { checkHost, urlProblem } from './addressGuard.js';
import { newWebhookSecret } from './signing.js';
import { openEndpointSecret, resealedSecrets, sealEndpointSecret, writeResealed } from './endpointSecrets.js';
import type { WebhookRuntime } from './runtime.js';
import { createCounted, deleteCounted, limitRowsFrom } from './limits.js';

/** Most endpoints per tenant. */
export const maxWebhookEndpoints = 10;

/** A rotated-out secret keeps signing this long. */
export const previousSecretLifetimeMs = 24 * 3_600_000;

/** The event types an endpoint can subscribe to: every type of the event model. */
export const webhookEventTypes = eventTypes;

/** The type of the event `POST .../{id}/test` sends; it goes to that endpoint whatever its `types`. */
export const testEventType = 'webhook.test';

const urlSchema = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .superRefine((value, ctx) => {
    const problem = urlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('Where deliveries are POSTed: https, a public host (or one in WEBHOOK_ALLOWED_PRIVATE_HOSTS).');

const typesSchema = z
  .array(z.enum(webhookEventTypes))
  .min(1, 'must list at least one event type')
  .max(webhookEventTypes.length)
  .refine((types) => new Set(types).size === types.length, { message: 'must not repeat a type' })
  .describe('The event types delivered to this endpoint.');

const descriptionSchema = z
  .string()
  .trim()
  .max(500, 'must be at most 500 characters')
  .refine((value) => !/\p{Cc}/u.test(value), { message: 'must not contain control characters' });

const formatDescription = 'The body of each delivery: `native` (default), our event; `ocsf`, the event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats").';

export const createWebhookBodySchema = z.strictObject({
  url: urlSchema,
  types: typesSchema,
  description: descriptionSchema.optional(),
  enabled: z.boolean().default(true),
  format: eventFormatSchema.default('native').describe(formatDescription),
});
export type CreateWebhookBody = z.output<typeof createWebhookBodySchema>;

export const updateWebhookBodySchema = z
  .strictObject({
    url: urlSchema.optional(),
    types: typesSchema.optional(),
    description: descriptionSchema.nullable().optional().describe('`null` removes it.'),
    enabled: z.boolean().optional().describe('`true` re-enables an endpoint that was disabled (by an admin or a 410).'),
    format: eventFormatSchema.optional().describe(formatDescription),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), { message: 'must change at least one field' });
export type UpdateWebhookBody = z.output<typeof updateWebhookBodySchema>;

export const webhookIdSchema = z.uuid({ message: 'must be a webhook id' }).transform((value) => value.toLowerCase());

export const webhookEndpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  types: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.boolean(),
  format: eventFormatSchema.describe(formatDescription),
  disabledReason: z.string().nullable().describe('Why the endpoint is disabled: an admin, or its answer of 410 Gone.'),
  disabledAt: z.string().nullable(),
  failingSince: z.string().nullable().describe('Set while the latest attempt failed: when the failures began.'),
  lastFailure: z.string().nullable().describe('The latest failed attempt: status code or error.'),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
  secretRotatedAt: z.string().nullable(),
  previousSecretExpiresAt: z.string().nullable().describe('Until then the previous secret signs too (a second signature).'),
});
export type WebhookEndpointView = z.output<typeof webhookEndpointSchema>;

export const createdWebhookSchema = webhookEndpointSchema.extend({
  secret: z.string().describe('The signing secret (`whsec_` + base64). Shown only now: store it.'),
});

export const rotatedSecretSchema = z.object({
  secret: z.string().describe('The new signing secret. Shown only now.'),
  previousSecretExpiresAt: z.string().describe('The previous secret also signs until then.'),
});

/** A `webhooks` row. `secret` is the current signing secret; it is never returned after creation or rotation. */
export const endpointRowSchema = z.object({
  url: z.string(),
  types: z.string(),
  description: z.string().optional(),
  enabled: z.boolean(),
  /** Absent on rows written before formats existed: `native`. */
  format: eventFormatSchema.optional(),
  disabledReason: z.string().optional(),
  disabledAt: z.string().optional(),
  secret: z.string(),
  previousSecret: z.string().optional(),
  previousSecretExpiresAt: z.string().optional(),
  secretRotatedAt: z.string().optional(),
  failingSince: z.string().optional(),
  lastFailure: z.string().optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  updatedAt: z.string(),
});
export type EndpointRow = z.output<typeof endpointRowSchema>;
export type StoredEndpoint = StoredEntity<EndpointRow>;

export function endpointTypes(row: Pick<EndpointRow, 'types'>): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.types);
  } catch {
    return [];
  }
  const types = z.array(z.string()).safeParse(parsed);
  return types.success ? types.data : [];
}

/** The secrets that sign now, as stored: the current one, then the previous one while it is still valid. */
export function signingSecrets(row: EndpointRow, now: Date): string[] {
  const previousValid =
    row.previousSecret !== undefined && row.previousSecretExpiresAt !== undefined && Date.parse(row.previousSecretExpiresAt) > now.getTime();
  return previousValid && row.previousSecret ? [row.secret, row.previousSecret] : [row.secret];
}

/**
 * The secrets that sign now, opened (shared/webhooks/endpointSecrets.ts). A row still holding a secret in clear, or
 * sealed under a replaced key, is written again sealed.
 */
export async function openSigningSecrets(deps: Pick<CorePorts, 'secrets' | 'tables' | 'log'>, row: StoredEndpoint, now: Date): Promise<string[]> {
  const secrets = await Promise.all(signingSecrets(row, now).map((stored) => openEndpointSecret(deps, row.partitionKey, row.rowKey, stored)));
  if (deps.secrets.needsReseal(row.secret) || (row.previousSecret !== undefined && deps.secrets.needsReseal(row.previousSecret))) {
    await writeResealed(deps, row);
  }
  return secrets;
}

export function endpointView(row: StoredEndpoint, now: Date): WebhookEndpointView {
  const previousValid = row.previousSecretExpiresAt !== undefined && Date.parse(row.previousSecretExpiresAt) > now.getTime();
  return {
    id: row.rowKey,
    url: row.url,
    types: endpointTypes(row),
    description: row.description ?? null,
    enabled: row.enabled,
    format: row.format ?? 'native',
    disabledReason: row.enabled ? null : (row.disabledReason ?? null),
    disabledAt: row.enabled ? null : (row.disabledAt ?? null),
    failingSince: row.failingSince ?? null,
    lastFailure: row.lastFailure ?? null,
    createdAt: row.createdAt,
    createdBy: row.createdBy,
    updatedAt: row.updatedAt,
    secretRotatedAt: row.secretRotatedAt ?? null,
    previousSecretExpiresAt: previousValid ? (row.previousSecretExpiresAt ?? null) : null,
  };
}

/** What an audit entry shows of an endpoint: never its secret. */
function audit(row: EndpointRow): Record<string, unknown> {
  return {
    url: row.url,
    types: endpointTypes(row),
    description: row.description ?? null,
    enabled: row.enabled,
    format: row.format ?? 'native',
    ...(row.enabled ? {} : { disabledReason: row.disabledReason ?? null }),
  };
}

/** 400 unless the URL's host is public or allowed: the same check a delivery makes before it connects. */
export async function assertDeliverableUrl(runtime: WebhookRuntime, allowedPrivateHosts: readonly string[], url: string): Promise<void> {
  const check = await checkHost(new URL(url), { resolver: runtime.resolver, allowedPrivateHosts });
  if (!check.ok) {
    throw new HttpError(400, `The webhook URL is refused: ${check.reason}.`, { errors: [{ path: 'url', message: check.reason }] });
  }
}

/** Reading endpoints. */
export type EndpointReadDeps = Pick<CorePorts, 'tables' | 'clock'>;
/** An audited change of an endpoint (`events` records the audit entry's event). */
export type EndpointChangeDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'secrets'> & { readonly events: EventRecorder };
/** A change that may name a new URL, checked as a delivery checks it. */
export type EndpointUrlDeps = EndpointChangeDeps & Pick<CorePorts, 'config'> & { readonly webhooks: WebhookRuntime };

export function endpointsTable(deps: Pick<CorePorts, 'tables'>) {
  return deps.tables.table('webhooks');
}

/** Every endpoint of a tenant (at most 10 rows: one query of one partition). */
export async function listEndpointRows(deps: Pick<CorePorts, 'tables'>, tenantId: string): Promise<StoredEndpoint[]> {
  const found: StoredEndpoint[] = [];
  // The limit rows (`~...`, limits.ts) sort after every endpoint.
  const filter = odata`PartitionKey eq ${tenantId} and RowKey lt ${limitRowsFrom}`;
  for await (const row of listAll(endpointsTable(deps), { schema: endpointRowSchema, filter })) found.push(row);
  return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.rowKey.localeCompare(b.rowKey));
}

export async function readEndpoint(deps: Pick<CorePorts, 'tables'>, tenantId: string, endpointId: string): Promise<StoredEndpoint | undefined> {
  return readEntity(endpointsTable(deps), endpointRowSchema, tenantId, endpointId);
}

function notFound(endpointId: string): HttpError {
  return new HttpError(404, `No webhook endpoint ${endpointId} exists in this tenant.`);
}

export async function listWebhooks(services: EndpointReadDeps, tenantId: string): Promise<WebhookEndpointView[]> {
  const now = services.clock.now();
  return (await listEndpointRows(services, tenantId)).map((row) => endpointView(row, now));
}

export async function getWebhook(services: EndpointReadDeps, tenantId: string, endpointId: string): Promise<WebhookEndpointView> {
  const row = await readEndpoint(services, tenantId, endpointId);
  if (!row) throw notFound(endpointId);
  return endpointView(row, services.clock.now());
}

/** Creates an endpoint (400 for a refused URL, 409 beyond 10), audited; the answer carries its secret, once. */
export async function createWebhook(services: EndpointUrlDeps, principal: ConsolePrincipal, body: CreateWebhookBody): Promise<z.output<typeof createdWebhookSchema>> {
  await assertDeliverableUrl(services.webhooks, services.config.WEBHOOK_ALLOWED_PRIVATE_HOSTS, body.url);
  const now = services.clock.now();
  const id = randomUUID();
  const secret = newWebhookSecret();
  const row: EndpointRow = {
    url: body.url,
    types: JSON.stringify(body.types),
    ...(body.description ? { description: body.description } : {}),
    enabled: body.enabled,
    format: body.format,
    ...(body.enabled ? {} : { disabledReason: `Disabled by ${principal.name}`, disabledAt: now.toISOString() }),
    // Stored sealed; the answer shows it once, in clear.
    secret: await sealEndpointSecret(services, principal.tenantId, id, secret),
    createdAt: now.toISOString(),
    createdBy: principal.upn || principal.userId,
    updatedAt: now.toISOString(),
  };
  await audited(services, principal, { action: 'webhook.create', target: id, request: body }, async () => {
    // Counted in the same transaction, so concurrent creates cannot pass the limit (409 beyond it).
    await createCounted(services, principal.tenantId, { ...row, partitionKey: principal.tenantId, rowKey: id }, maxWebhookEndpoints);
    return { before: null, after: audit(row) };
  });
  const view = endpointView({ ...row, partitionKey: principal.tenantId, rowKey: id, etag: '' }, now);
  return { ...view, secret };
}

/** Changes an endpoint, audited. A new URL is checked as at creation; `enabled: true` clears a disabled reason. */
export async function updateWebhook(services: EndpointUrlDeps, principal: ConsolePrincipal, endpointId: string, body: UpdateWebhookBody): Promise<WebhookEndpointView> {
  const current = await readEndpoint(services, principal.tenantId, endpointId);
  if (!current) throw notFound(endpointId);
  if (body.url !== undefined && body.url !== current.url) {
    await assertDeliverableUrl(services.webhooks, services.config.WEBHOOK_ALLOWED_PRIVATE_HOSTS, body.url);
  }
  const now = services.clock.now().toISOString();
  // A secret still stored in clear (or under a replaced key) is written sealed with the change.
  const resealed = await resealedSecrets(services, current);
  const result = await audited(services, principal, { action: 'webhook.update', target: endpointId, request: body }, async () => {
    const written = await updateEntity(
      endpointsTable(services),
      principal.tenantId,
      endpointId,
      (row) => {
        if (!row) return NO_CHANGE;
        const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = row;
        const next: EndpointRow = { ...rest, updatedAt: now };
        if (resealed.secret !== undefined && rest.secret === current.secret) next.secret = resealed.secret;
        if (resealed.previousSecret !== undefined && rest.previousSecret === current.previousSecret) next.previousSecret = resealed.previousSecret;
        if (body.url !== undefined) next.url = body.url;
        if (body.types !== undefined) next.types = JSON.stringify(body.types);
        if (body.format !== undefined) next.format = body.format;
        if (body.description === null) delete next.description;
        else if (body.description !== undefined) next.description = body.description;
        if (body.enabled === true && !rest.enabled) {
          next.enabled = true;
          delete next.disabledReason;
          delete next.disabledAt;
          delete next.failingSince;
          delete next.lastFailure;
        } else if (body.enabled === false && rest.enabled) {
          next.enabled = false;
          next.disabledReason = `Disabled by ${principal.name}`;
          next.disabledAt = now;
        }
        return next;
      },
      { schema: endpointRowSchema },
    );
    if (!written.entity) throw notFound(endpointId);
    return { before: audit(current), after: audit(written.entity), row: written.entity };
  });
  return endpointView(result.row, services.clock.now());
}

/** Deletes an endpoint, audited. Deliveries still scheduled for it find it gone and stop. */
export async function deleteWebhook(services: EndpointChangeDeps, principal: ConsolePrincipal, endpointId: string): Promise<void> {
  const current = await readEndpoint(services, principal.tenantId, endpointId);
  if (!current) throw notFound(endpointId);
  await audited(services, principal, { action: 'webhook.delete', target: endpointId }, async () => {
    if (!(await deleteCounted(services, principal.tenantId, endpointId))) throw notFound(endpointId);
    return { before: audit(current), after: null };
  });
}

/** A new secret, shown once; the previous one keeps signing for 24 h (a second signature). Audited without secrets. */
export async function rotateWebhookSecret(
  services: EndpointChangeDeps,
  principal: ConsolePrincipal,
  endpointId: string,
): Promise<z.output<typeof rotatedSecretSchema>> {
  const current = await readEndpoint(services, principal.tenantId, endpointId);
  if (!current) throw notFound(endpointId);
  const now = services.clock.now();
  const secret = newWebhookSecret();
  const sealed = await sealEndpointSecret(services, principal.tenantId, endpointId, secret);
  // The outgoing secret keeps signing for a while: sealed too if it was still stored in clear.
  const resealed = await resealedSecrets(services, current);
  const previousSecretExpiresAt = new Date(now.getTime() + previousSecretLifetimeMs).toISOString();
  await audited(services, principal, { action: 'webhook.rotateSecret', target: endpointId }, async () => {
    const written = await updateEntity(
      endpointsTable(services),
      principal.tenantId,
      endpointId,
      (row) => {
        if (!row) return NO_CHANGE;
        const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = row;
        return {
          ...rest,
          secret: sealed,
          previousSecret: resealed.secret !== undefined && rest.secret === current.secret ? resealed.secret : rest.secret,
          previousSecretExpiresAt,
          secretRotatedAt: now.toISOString(),
          updatedAt: now.toISOString(),
        };
      },
      { schema: endpointRowSchema },
    );
    if (!written.entity) throw notFound(endpointId);
    return { before: { secretRotatedAt: current.secretRotatedAt ?? null }, after: { secretRotatedAt: now.toISOString(), previousSecretExpiresAt } };
  });
  return { secret, previousSecretExpiresAt };
}

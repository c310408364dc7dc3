/**
 * The `tenants` table: one row per customer tenant (PartitionKey = tenant id, RowKey = `tenant`), holding its
 * provisioning record, consent and connection health.
 */
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { listAll, odata, readEntity, updateEntity, NO_CHANGE } from '../storage/index.js';
import type { StoredEntity, TableStore } from '../storage/index.js';
import { initialConfigFields } from './tenantConfig.js';

export const tenantRowKey = 'tenant';

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant or object id: a GUID, compared and stored in lower case. */
export const guidSchema = z
  .string()
  .trim()
  .regex(guidPattern, 'must be a GUID')
  .transform((value) => value.toLowerCase());

/** `offboarding`: the tenant is being removed (shared/provider/offboarding.ts); every request of it is refused. */
export const tenantStatusSchema = z.enum(['provisioned', 'active', 'offboarding']);
export type TenantStatus = z.output<typeof tenantStatusSchema>;

export const syncResultSchema = z.enum(['ok', 'partial', 'failed']);

/** What the row holds. Unknown properties (other capabilities' health fields) are kept on rewrite. */
export const tenantEntitySchema = z.looseObject({
  displayName: z.string(),
  fullAccessGroupId: z.string(),
  restrictedAccessGroupId: z.string().optional(),
  primaryContactEmail: z.string(),
  status: tenantStatusSchema,
  createdAt: z.string(),
  consentedAt: z.string().optional(),
  consentedBy: z.string().optional(),
  lastEnrollmentSyncAt: z.string().optional(),
  lastEnrollmentSyncResult: syncResultSchema.optional(),
  lastConnectorHeartbeatAt: z.string().optional(),
  lastConnectorHeartbeatResult: z.string().optional(),
  lastErrorAt: z.string().optional(),
  lastErrorKind: z.string().optional(),
  lastErrorMessage: z.string().optional(),
});
export type TenantEntity = z.output<typeof tenantEntitySchema>;

export interface Tenant extends TenantEntity {
  readonly tenantId: string;
}

/** The connection-health fields other capabilities report into. */
export interface TenantHealthUpdate {
  lastEnrollmentSyncAt?: string;
  lastEnrollmentSyncResult?: z.output<typeof syncResultSchema>;
  lastConnectorHeartbeatAt?: string;
  lastConnectorHeartbeatResult?: string;
  lastErrorAt?: string;
  lastErrorKind?: string;
  lastErrorMessage?: string;
}

export class TenantExists extends Error {
  readonly code = 'ERR_TENANT_EXISTS';
  constructor(readonly tenantId: string) {
    super(`Tenant ${tenantId} is already provisioned`);
    this.name = 'TenantExists';
  }
}

function toTenant(entity: StoredEntity<TenantEntity>): Tenant {
  const { partitionKey, rowKey: _rowKey, etag: _etag, timestamp: _timestamp, ...fields } = entity;
  return { ...fields, tenantId: partitionKey };
}

/** The tenant's row, or undefined when it was never provisioned. */
export async function getTenant(tables: TableStore, tenantId: string): Promise<Tenant | undefined> {
  const entity = await readEntity(tables.table('tenants'), tenantEntitySchema, tenantId.toLowerCase(), tenantRowKey);
  return entity ? toTenant(entity) : undefined;
}

/** Every tenant that has completed consent. */
export async function listActiveTenants(tables: TableStore): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  const filter = odata`RowKey eq ${tenantRowKey} and status eq ${'active'}`;
  for await (const entity of listAll(tables.table('tenants'), { schema: tenantEntitySchema, filter })) {
    tenants.push(toTenant(entity));
  }
  return tenants;
}

/** Creates the tenant's row; TenantExists when the id is already provisioned (whatever its status). */
export async function createTenant(tables: TableStore, tenantId: string, entity: TenantEntity): Promise<Tenant> {
  const partitionKey = tenantId.toLowerCase();
  try {
    await tables.table('tenants').createEntity({ ...withoutUndefined(entity), ...initialConfigFields, partitionKey, rowKey: tenantRowKey });
  } catch (caught) {
    if (statusOf(caught) === 409) throw new TenantExists(partitionKey);
    throw caught;
  }
  return { ...entity, tenantId: partitionKey };
}

/**
 * Records the tenant's consent: `provisioned` → `active` with when and who. A tenant already active is left as it is
 * (never re-associated); returns whether this call activated it, and the row after the call.
 */
export async function activateTenant(
  tables: TableStore,
  tenantId: string,
  consent: { at: string; by?: string },
): Promise<{ activated: boolean; tenant: Tenant | undefined }> {
  const result = await updateEntity(
    tables.table('tenants'),
    tenantId.toLowerCase(),
    tenantRowKey,
    (current) => {
      if (!current || current.status !== 'provisioned') return NO_CHANGE;
      const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...fields } = current;
      return withoutUndefined({
        ...fields,
        status: 'active' as const,
        consentedAt: consent.at,
        ...(consent.by ? { consentedBy: consent.by } : {}),
      });
    },
    { schema: tenantEntitySchema },
  );
  return { activated: result.changed, tenant: result.entity ? toTenant(result.entity) : undefined };
}

/**
 * Marks the tenant `offboarding` (from any status), so every request of it is refused from now on; returns the row
 * before the change, or undefined when the tenant does not exist.
 */
export async function markTenantOffboarding(tables: TableStore, tenantId: string): Promise<Tenant | undefined> {
  let before: Tenant | undefined;
  await updateEntity(
    tables.table('tenants'),
    tenantId.toLowerCase(),
    tenantRowKey,
    (current) => {
      if (!current) return NO_CHANGE;
      before = toTenant(current);
      if (current.status === 'offboarding') return NO_CHANGE;
      const { partitionKey: _p, rowKey: _r, etag: _e, timestamp: _t, ...fields } = current;
      return withoutUndefined({ ...fields, status: 'offboarding' as const });
    },
    { schema: tenantEntitySchema },
  );
  return before;
}

/**
 * Merges connection-health fields into an existing tenant's row (never creates one). Returns false when the tenant
 * does not exist. Fields not named are left as they are, so capabilities reporting at once do not overwrite each other.
 */
export async function updateTenantHealth(tables: TableStore, tenantId: string, health: TenantHealthUpdate): Promise<boolean> {
  const fields = withoutUndefined({ ...health });
  if (Object.keys(fields).length === 0) return true;
  try {
    await tables
      .table('tenants')
      .updateEntity({ ...fields, partitionKey: tenantId.toLowerCase(), rowKey: tenantRowKey }, 'Merge', { etag: '*' });
    return true;
  } catch (caught) {
    if (statusOf(caught) === 404) return false;
    throw caught;
  }
}

function withoutUndefined<T extends object>(value: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) result[key] = field;
  return result as T;
}

/**
 * A tenant's configuration, one row: its status, its connector settings and its classification policy all live on
 * the tenant's own row (`tenants`, RowKey `tenant`), so whoever needs them (the agent path on a cache miss, a push
 * batch, a timer) reads one entity. This module is the only reader and writer of the settings and the overrides.
 *
 * Fields on the tenant row (beside the provisioning and health fields of tenantRepository.ts):
 * - `settings`: JSON of `ConnectorSettings` (absent: the defaults);
 * - `classificationOverrides`: JSON `{ CLASSIFICATION: riskLevel }`, only levels that differ from the default;
 * - `configVersion`: bumped by every write of settings or policy, in the same ETag write (0 at provisioning);
 * - `enforcementRevision` / `resyncedRevision`: changes of what is enforced, and the last one every device was
 *   nudged for (compliance/resync.ts);
 * - `settingsUpdatedAt`, `settingsUpdatedBy`, `policyUpdatedAt`, `policyUpdatedBy`.
 *
 * Tenants written before this row held them kept their settings in `connectorSettings` (RowKey `settings`) and
 * their overrides in `classificationOverrides` (a row per classification). A tenant row without `configVersion` is
 * such a tenant: the first read copies those rows onto the tenant row (one ETag write, once per tenant), and from
 * then on only the tenant row is read or written. Migrating on read needs no deployment step and costs nothing
 * for tenants that are never read; the old rows are left in place (nothing reads them any more) so a rollback to
 * the previous build still finds them.
 */
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import {
  classificationSchema,
  connectorSettingsSchema,
  defaultConnectorSettings,
  policyFrom,
  riskLevelSchema,
  type Classification,
  type ClassificationOverrides,
  type ClassificationPolicy,
  type ConnectorSettings,
  type RiskLevel,
} from '../domain/index.js';
import { NO_CHANGE, readEntity, updateEntity, type NoChange, type StoredEntity, type TableStore } from '../storage/index.js';

export const tenantRowKey = 'tenant';

/** The fields of the tenant row this module reads; every other field is kept as it is on write. */
export const tenantConfigEntitySchema = z.looseObject({
  status: z.string().optional(),
  settings: z.string().optional(),
  classificationOverrides: z.string().optional(),
  configVersion: z.number().int().optional(),
  enforcementRevision: z.number().int().optional(),
  resyncedRevision: z.number().int().optional(),
  settingsUpdatedAt: z.string().optional(),
  settingsUpdatedBy: z.string().optional(),
  policyUpdatedAt: z.string().optional(),
  policyUpdatedBy: z.string().optional(),
  /** App rules (shared/tenants/appRules.ts): how many the tenant has (never below the rows) and a change counter. */
  appRuleCount: z.number().int().optional(),
  appRulesVersion: z.number().int().optional(),
});
type TenantConfigEntity = z.output<typeof tenantConfigEntitySchema>;

export interface TenantConfig {
  readonly tenantId: string;
  /** The tenant is provisioned (its row exists). */
  readonly exists: boolean;
  /** The tenant has completed consent and is served. */
  readonly active: boolean;
  /** The tenant is being offboarded: nothing more is pushed for it (shared/provider/offboarding.ts tells Intune). */
  readonly offboarding: boolean;
  readonly settings: ConnectorSettings;
  /** Levels that differ from the default, by classification. */
  readonly overrides: ClassificationOverrides;
  readonly policy: ClassificationPolicy;
  /** Bumped by every change of settings or policy. */
  readonly configVersion: number;
  readonly enforcementRevision: number;
  readonly resyncedRevision: number;
  /** How many app rules the tenant has (0: none to read) and the counter every rule change bumps. */
  readonly appRuleCount: number;
  readonly appRulesVersion: number;
}

/** The fields a provisioned tenant starts with: its configuration is on its row from the start (no migration). */
export const initialConfigFields = { configVersion: 0 } as const;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Stored settings, the defaults for anything never set (or no longer parsing). */
export function parseSettings(text: string | undefined): ConnectorSettings {
  const parsed = connectorSettingsSchema.safeParse(parseJson(text));
  return parsed.success && text !== undefined ? parsed.data : structuredClone(defaultConnectorSettings);
}

const storedOverridesSchema = z.record(z.string(), z.unknown());

/** Stored overrides; unknown classifications or levels are ignored. */
export function parseOverrides(text: string | undefined): ClassificationOverrides {
  const overrides: ClassificationOverrides = {};
  const parsed = storedOverridesSchema.safeParse(parseJson(text));
  if (!parsed.success) return overrides;
  for (const [key, value] of Object.entries(parsed.data)) {
    const classification = classificationSchema.safeParse(key);
    const level = riskLevelSchema.safeParse(value);
    if (classification.success && level.success) overrides[classification.data] = level.data;
  }
  return overrides;
}

/** Overrides as stored: only levels that differ from the default, in catalog order. */
export function storedOverrides(overrides: ClassificationOverrides): string {
  const defaults = policyFrom({});
  const kept: Partial<Record<Classification, RiskLevel>> = {};
  for (const classification of classificationSchema.options) {
    const level = overrides[classification];
    if (level !== undefined && level !== defaults[classification]) kept[classification] = level;
  }
  return JSON.stringify(kept);
}

function configOf(tenantId: string, entity: TenantConfigEntity | undefined): TenantConfig {
  const overrides = parseOverrides(entity?.classificationOverrides);
  return {
    tenantId,
    exists: entity !== undefined,
    active: entity?.status === 'active',
    offboarding: entity?.status === 'offboarding',
    settings: parseSettings(entity?.settings),
    overrides,
    policy: policyFrom(overrides),
    configVersion: entity?.configVersion ?? 0,
    enforcementRevision: entity?.enforcementRevision ?? 0,
    resyncedRevision: entity?.resyncedRevision ?? 0,
    appRuleCount: entity?.appRuleCount ?? 0,
    appRulesVersion: entity?.appRulesVersion ?? 0,
  };
}

/** A tenant's configuration from a tenant row already read (e.g. by a listing of tenants). */
export function tenantConfigFromEntity(tenantId: string, entity: object): TenantConfig {
  const parsed = tenantConfigEntitySchema.safeParse(entity);
  return configOf(tenantId, parsed.success ? parsed.data : undefined);
}

// ---- the rows of tenants written before the configuration moved onto the tenant row ------------------------------

const legacySettingsRowSchema = z.looseObject({
  settings: z.string().optional(),
  updatedAt: z.string().optional(),
  updatedBy: z.string().optional(),
  enforcementRevision: z.number().int().optional(),
  resyncedRevision: z.number().int().optional(),
});
const legacyOverrideRowSchema = z.object({ rowKey: z.string(), riskLevel: z.string() });

async function readLegacyConfig(tables: TableStore, tenantId: string): Promise<Partial<TenantConfigEntity>> {
  const [settingsRow, overrides] = await Promise.all([
    readEntity(tables.table('connectorSettings'), legacySettingsRowSchema, tenantId, 'settings'),
    (async () => {
      const found: Record<string, string> = {};
      const rows = tables.table('classificationOverrides').listEntities({
        queryOptions: { filter: odata`PartitionKey eq ${tenantId}`, select: ['RowKey', 'riskLevel'] },
      });
      for await (const raw of rows) {
        const row = legacyOverrideRowSchema.safeParse(raw);
        if (row.success) found[row.data.rowKey] = row.data.riskLevel;
      }
      return found;
    })(),
  ]);
  const fields: Partial<TenantConfigEntity> = { classificationOverrides: storedOverrides(parseOverrides(JSON.stringify(overrides))) };
  if (settingsRow?.settings !== undefined) fields.settings = settingsRow.settings;
  if (settingsRow?.updatedAt !== undefined) fields.settingsUpdatedAt = settingsRow.updatedAt;
  if (settingsRow?.updatedBy !== undefined) fields.settingsUpdatedBy = settingsRow.updatedBy;
  if (settingsRow?.enforcementRevision !== undefined) fields.enforcementRevision = settingsRow.enforcementRevision;
  if (settingsRow?.resyncedRevision !== undefined) fields.resyncedRevision = settingsRow.resyncedRevision;
  return fields;
}

/** Copies a pre-migration tenant's settings and overrides onto its row (once; a concurrent copy or change wins). */
async function migrate(tables: TableStore, tenantId: string): Promise<StoredEntity<TenantConfigEntity> | undefined> {
  const legacy = await readLegacyConfig(tables, tenantId);
  const result = await updateEntity(
    tables.table('tenants'),
    tenantId,
    tenantRowKey,
    (current) => {
      if (!current || current.configVersion !== undefined) return NO_CHANGE;
      return { ...current, ...legacy, configVersion: 1 };
    },
    { schema: tenantConfigEntitySchema },
  );
  return result.entity;
}

async function readRow(tables: TableStore, tenantId: string): Promise<StoredEntity<TenantConfigEntity> | undefined> {
  const entity = await readEntity(tables.table('tenants'), tenantConfigEntitySchema, tenantId, tenantRowKey);
  if (entity && entity.configVersion === undefined) return migrate(tables, tenantId);
  return entity;
}

/**
 * The tenant's status, settings and policy: one point read (plus, once per tenant written before the move, the
 * copy of its old rows). A tenant that is not provisioned reads as `exists: false` with the defaults.
 */
export async function readTenantConfig(tables: TableStore, tenantId: string): Promise<TenantConfig> {
  const id = tenantId.toLowerCase();
  return configOf(id, await readRow(tables, id));
}

/** The tenant's connector settings (the defaults for anything never set). One point read. */
export async function readConnectorSettings(tables: TableStore, tenantId: string): Promise<ConnectorSettings> {
  return (await readTenantConfig(tables, tenantId)).settings;
}

/** The tenant's classification overrides (classifications not listed keep their default). One point read. */
export async function readOverrides(tables: TableStore, tenantId: string): Promise<ClassificationOverrides> {
  return (await readTenantConfig(tables, tenantId)).overrides;
}

/** What a change writes: any of these (the rest of the row is kept); `configVersion` is bumped by the write. */
export interface TenantConfigChange {
  readonly settings?: ConnectorSettings;
  readonly overrides?: ClassificationOverrides;
  readonly enforcementRevision?: number;
  readonly resyncedRevision?: number;
  /** Who made the change (recorded as `settingsUpdatedBy` / `policyUpdatedBy`) and when. */
  readonly by?: string;
  readonly at?: string;
}

export class TenantNotFound extends Error {
  readonly code = 'ERR_TENANT_NOT_FOUND';
  constructor(readonly tenantId: string) {
    super(`Tenant ${tenantId} is not provisioned`);
    this.name = 'TenantNotFound';
  }
}

/**
 * Changes the tenant's configuration with one ETag write of its row (a lost race re-reads and decides again).
 * `decide` sees the configuration as stored now and returns the change, or NO_CHANGE to write nothing. It may run
 * more than once, so it must not have side effects. Returns the configuration before and after (equal when nothing
 * was written). Throws TenantNotFound for a tenant that is not provisioned.
 */
export async function updateTenantConfig(
  tables: TableStore,
  tenantId: string,
  decide: (current: TenantConfig) => TenantConfigChange | NoChange,
): Promise<{ before: TenantConfig; after: TenantConfig; changed: boolean }> {
  const id = tenantId.toLowerCase();
  // A tenant written before the move is migrated first, so `decide` always sees its real configuration.
  if (!(await readRow(tables, id))) throw new TenantNotFound(id);
  let before: TenantConfig = configOf(id, undefined);
  const result = await updateEntity(
    tables.table('tenants'),
    id,
    tenantRowKey,
    (current) => {
      before = configOf(id, current);
      if (!current) return NO_CHANGE;
      const change = decide(before);
      if (change === NO_CHANGE) return NO_CHANGE;
      const next: TenantConfigEntity = { ...current, configVersion: (current.configVersion ?? 0) + 1 };
      if (change.settings !== undefined) {
        next.settings = JSON.stringify(change.settings);
        if (change.at !== undefined) next.settingsUpdatedAt = change.at;
        if (change.by !== undefined) next.settingsUpdatedBy = change.by;
      }
      if (change.overrides !== undefined) {
        next.classificationOverrides = storedOverrides(change.overrides);
        if (change.at !== undefined) next.policyUpdatedAt = change.at;
        if (change.by !== undefined) next.policyUpdatedBy = change.by;
      }
      if (change.enforcementRevision !== undefined) next.enforcementRevision = change.enforcementRevision;
      if (change.resyncedRevision !== undefined) next.resyncedRevision = change.resyncedRevision;
      return next;
    },
    { schema: tenantConfigEntitySchema },
  );
  if (!result.entity) throw new TenantNotFound(id);
  return { before, after: configOf(id, result.entity), changed: result.changed };
}

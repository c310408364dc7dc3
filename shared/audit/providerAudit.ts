/**
 * The provider's own audit log (`providerAudit`, PartitionKey `provider`, RowKey newest first as `auditRowKey`): what
 * provider support did to which tenant (provisioning, offboarding started and completed) and who did it. It is the
 * provider's record, apart from any tenant's data, so it outlives an offboarded tenant: the entry that the tenant
 * was removed stays (docs/DATA-MODEL.md).
 */
import { z } from 'zod';
import { listPage, odata, type TableStore } from '../storage/index.js';
import { auditRowKey } from './auditLog.js';

export const providerAuditPartition = 'provider';

export const providerActorKindSchema = z.enum(['user', 'application', 'functionKey', 'service']);

/** Who acted: a signed-in user, an application, the function key, or the service itself (a job finishing). */
export interface ProviderAuditActor {
  readonly kind: z.output<typeof providerActorKindSchema>;
  readonly id: string;
  readonly name: string;
}

export const providerAuditActionSchema = z.enum(['tenant.provision', 'tenant.offboard.start', 'tenant.offboard.complete']);
export type ProviderAuditAction = z.output<typeof providerAuditActionSchema>;

const rowSchema = z.object({
  at: z.string(),
  action: providerAuditActionSchema,
  tenantId: z.string(),
  tenantName: z.string(),
  actorKind: providerActorKindSchema,
  actorId: z.string(),
  actorName: z.string(),
  detail: z.string().optional(),
});

export const providerAuditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  action: providerAuditActionSchema,
  tenant: z.object({ tenantId: z.string(), displayName: z.string() }),
  actor: z.object({ kind: providerActorKindSchema, id: z.string(), name: z.string() }),
  detail: z.string().nullable(),
});
export type ProviderAuditEntry = z.output<typeof providerAuditEntrySchema>;

/** Adds an entry; `key` (a stable RowKey suffix) makes a repeated write of the same entry land on the same row. */
export async function recordProviderAudit(
  tables: TableStore,
  entry: { at: Date; action: ProviderAuditAction; tenantId: string; tenantName: string; actor: ProviderAuditActor; detail?: string; rowKey?: string },
): Promise<string> {
  const rowKey = entry.rowKey ?? auditRowKey(entry.at);
  await tables.table('providerAudit').upsertEntity(
    {
      partitionKey: providerAuditPartition,
      rowKey,
      at: entry.at.toISOString(),
      action: entry.action,
      tenantId: entry.tenantId,
      tenantName: entry.tenantName,
      actorKind: entry.actor.kind,
      actorId: entry.actor.id,
      actorName: entry.actor.name,
      ...(entry.detail !== undefined ? { detail: entry.detail } : {}),
    },
    'Replace',
  );
  return rowKey;
}

/** One page of the provider's audit log, newest first. Throws `InvalidCursor` for a cursor this query did not issue. */
export async function listProviderAudit(
  tables: TableStore,
  options: { cursor?: string | null; limit: number },
): Promise<{ items: ProviderAuditEntry[]; nextCursor: string | null }> {
  const page = await listPage(tables.table('providerAudit'), {
    schema: rowSchema,
    filter: odata`PartitionKey eq ${providerAuditPartition}`,
    cursor: options.cursor ?? null,
    limit: options.limit,
  });
  return {
    items: page.items.map((row) => ({
      id: row.rowKey,
      at: row.at,
      action: row.action,
      tenant: { tenantId: row.tenantId, displayName: row.tenantName },
      actor: { kind: row.actorKind, id: row.actorId, name: row.actorName },
      detail: row.detail ?? null,
    })),
    nextCursor: page.nextCursor,
  };
}

/**
 * Enrollment groups during a sync: the tenant's configured groups (rows of `enrollmentGroups`), each resolved by
 * exact display name, and each row's status kept current, written only when its resolution changed.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { CorePorts } from '../ports.js';
import { listAll, NO_CHANGE, odata, updateEntity, type StoredEntity, type TableStore } from '../storage/index.js';
import { groupRowSchema, resolveEnrollmentGroup, type GroupResolution, type GroupRow, type GroupStatus } from './groupResolution.js';

export type Resolution =
  | { readonly status: 'resolved'; readonly groupId: string }
  | { readonly status: Exclude<GroupStatus, 'resolved'>; readonly detail: string };

export interface ResolvedRow {
  readonly row: StoredEntity<GroupRow>;
  readonly resolution: Resolution;
}

export interface GroupOutcome {
  readonly displayName: string;
  readonly status: GroupStatus;
  readonly groupId?: string;
  /** Users in the group, nested groups included (resolved groups only). */
  readonly memberCount?: number;
  /** For an admin: what the status means. */
  readonly detail: string;
  /** Whether the group's row was written on this run (its status changed). */
  readonly written: boolean;
}

export async function readEnrollmentGroupRows(tables: TableStore, tenantId: string): Promise<StoredEntity<GroupRow>[]> {
  const rows: StoredEntity<GroupRow>[] = [];
  const filter = odata`PartitionKey eq ${tenantId}`;
  for await (const row of listAll(tables.table('enrollmentGroups'), { schema: groupRowSchema, filter })) rows.push(row);
  return rows;
}

/** Resolves each group by exact display name (Graph failures propagate: a transient fault fails the run). */
export async function resolveGroups(client: Client, tenantId: string, rows: readonly StoredEntity<GroupRow>[]): Promise<ResolvedRow[]> {
  return Promise.all(
    rows.map(async (row) => ({ row, resolution: toResolution(await resolveEnrollmentGroup(client, tenantId, row.displayName)) })),
  );
}

function toResolution(resolved: GroupResolution): Resolution {
  switch (resolved.status) {
    case 'resolved':
      return { status: 'resolved', groupId: resolved.groupId.toLowerCase() };
    case 'case-mismatch':
      return {
        status: 'case-mismatch',
        detail:
          `no group has exactly this name, only ${resolved.candidates.map((name) => `"${name}"`).join(', ') || 'one differing in case'}; ` +
          'names must match exactly, case included, as the group’s Properties page shows it',
      };
    case 'not-found':
      return { status: 'not-found', detail: 'no group has this name' };
    case 'ambiguous':
      return { status: 'ambiguous', detail: 'several groups have exactly this name; rename all but one' };
  }
}

/** Writes each group's status where it changed (its `checkedAt` is when the current status was first seen). */
export async function writeGroupStatuses(
  deps: Pick<CorePorts, 'tables'>,
  tenantId: string,
  resolutions: readonly ResolvedRow[],
  memberCounts: ReadonlyMap<string, number>,
  now: string,
): Promise<GroupOutcome[]> {
  const table = deps.tables.table('enrollmentGroups');
  return Promise.all(
    resolutions.map(async ({ row, resolution }) => {
      const memberCount = resolution.status === 'resolved' ? memberCounts.get(row.displayName) : undefined;
      const groupId = resolution.status === 'resolved' ? resolution.groupId : undefined;
      const detail = resolution.status === 'resolved' ? 'resolved' : resolution.detail;
      const outcome = {
        displayName: row.displayName,
        status: resolution.status,
        ...(groupId !== undefined ? { groupId } : {}),
        ...(memberCount !== undefined ? { memberCount } : {}),
        detail,
      };
      if (row.status === resolution.status && row.groupId === groupId && row.memberCount === memberCount) {
        return { ...outcome, written: false };
      }
      const result = await updateEntity(
        table,
        tenantId,
        row.rowKey,
        (current) => {
          // A group deleted from the console meanwhile stays deleted.
          if (!current) return NO_CHANGE;
          if (current.status === resolution.status && current.groupId === groupId && current.memberCount === memberCount) {
            return NO_CHANGE;
          }
          const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, groupId: _g, memberCount: _m, ...rest } = current;
          return {
            ...rest,
            status: resolution.status,
            ...(groupId !== undefined ? { groupId } : {}),
            ...(memberCount !== undefined ? { memberCount } : {}),
            checkedAt: now,
          };
        },
        { schema: groupRowSchema },
      );
      return { ...outcome, written: result.changed };
    }),
  );
}

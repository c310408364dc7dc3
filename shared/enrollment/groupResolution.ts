/**
 * Enrollment groups and how a display name resolves to one: rows of `enrollmentGroups` (PartitionKey = tenant id,
 * RowKey = the encoded display name), named by display name exactly (case included, as the group's Properties page
 * shows it). Graph's `$filter` on `displayName` ignores case, so an exact comparison of the candidates tells
 * `resolved`, `case-mismatch`, `ambiguous` and `not-found` apart. Discovery and the console resolve through here.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { GraphAccess } from '../graph/graphAccess.js';
import { GraphError } from '../graph/graphError.js';
import { listAllItems } from '../graph/paging.js';
import { encodeKey } from '../storage/index.js';

/** What a display name resolves to, as stored on a group's row once checked. */
export const groupStatuses = ['resolved', 'case-mismatch', 'not-found', 'ambiguous'] as const;
export type GroupStatus = (typeof groupStatuses)[number];

export type GroupResolution =
  | { readonly status: 'resolved'; readonly groupId: string; readonly memberCount?: number }
  | { readonly status: 'case-mismatch'; readonly candidates: readonly string[] }
  | { readonly status: 'not-found' }
  | { readonly status: 'ambiguous'; readonly groupIds: readonly string[] };

/** An `enrollmentGroups` row (docs/DATA-MODEL.md). */
export const groupRowSchema = z.looseObject({
  displayName: z.string(),
  status: z.string().optional(),
  groupId: z.string().optional(),
  memberCount: z.number().int().optional(),
  checkedAt: z.string().optional(),
  addedAt: z.string().optional(),
  addedBy: z.string().optional(),
});
export type GroupRow = z.output<typeof groupRowSchema>;

/** The RowKey of a group's row: its display name, encoded (throws `InvalidKey` for a name too long to be a key). */
export function enrollmentGroupRowKey(displayName: string): string {
  return encodeKey(displayName);
}

const graphGroup = z.object({ id: z.string(), displayName: z.string().nullable() });

/** An OData string literal: single quotes doubled. */
function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Users among the group's transitive members (nested groups followed), through `$count` with eventual consistency. */
export async function countTransitiveUsers(client: Client, groupId: string): Promise<number> {
  const raw: unknown = await client
    .api(`/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user/$count`)
    .header('ConsistencyLevel', 'eventual')
    .get();
  const count = z.coerce.number().int().nonnegative().safeParse(typeof raw === 'string' ? raw.trim() : raw);
  if (!count.success) throw new GraphError('ERR_GRAPH_REQUEST', 200, 'The member $count answer was not a number');
  return count.data;
}

function isGraphAccess(value: Client | GraphAccess): value is GraphAccess {
  return 'intune' in value && 'stats' in value;
}

/**
 * Resolves a display name to one group. `graph` is the tenant's client, or the `GraphAccess` to take it from.
 * With `countMembers`, a resolved group also carries its transitive user count. Graph failures throw `GraphError`.
 */
export async function resolveEnrollmentGroup(
  graph: Client | GraphAccess,
  tenantId: string,
  displayName: string,
  options: { countMembers?: boolean } = {},
): Promise<GroupResolution> {
  const client = isGraphAccess(graph) ? graph.graph(tenantId) : graph;
  const filter = encodeURIComponent(`displayName eq ${odataString(displayName)}`);
  const candidates = await listAllItems(client, `/groups?$filter=${filter}&$select=id,displayName&$top=999`, graphGroup);
  const exact = candidates.filter((group) => group.displayName === displayName);
  if (exact.length > 1) return { status: 'ambiguous', groupIds: exact.map((group) => group.id.toLowerCase()) };
  const match = exact[0];
  if (match) {
    const groupId = match.id.toLowerCase();
    if (!options.countMembers) return { status: 'resolved', groupId };
    return { status: 'resolved', groupId, memberCount: await countTransitiveUsers(client, groupId) };
  }
  if (candidates.length > 0) {
    return { status: 'case-mismatch', candidates: candidates.map((group) => group.displayName ?? '').filter((name) => name !== '') };
  }
  return { status: 'not-found' };
}

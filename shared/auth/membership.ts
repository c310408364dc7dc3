/**
 * Whether console users are still in their tenant's full-access or restricted-access group, asked of Graph in as few
 * calls as possible: one `$batch` per 20 users, each a `POST /users/{id}/checkMemberGroups` with the tenant's one or
 * two console groups (transitive membership, as sign-in checks it).
 */
import { z } from 'zod';
import { sendBatched, type BatchRequest } from '../graph/graphBatch.js';
import type { GraphAccess } from '../graph/graphAccess.js';

export interface ConsoleGroups {
  readonly fullAccessGroupId: string;
  readonly restrictedAccessGroupId?: string | undefined;
}

/** Of `userIds`, those still in either console group. Throws when Graph cannot tell for some user (try again later). */
export type MembershipCheck = (tenantId: string, groups: ConsoleGroups, userIds: readonly string[]) => Promise<ReadonlySet<string>>;

export class MembershipUnknown extends Error {
  override readonly name = 'MembershipUnknown';
}

const checkMemberGroupsResponse = z.object({ value: z.array(z.string()) });

export function graphMembershipCheck(graph: GraphAccess): MembershipCheck {
  return async (tenantId, groups, userIds) => {
    const members = new Set<string>();
    if (userIds.length === 0) return members;
    const groupIds = [groups.fullAccessGroupId, ...(groups.restrictedAccessGroupId ? [groups.restrictedAccessGroupId] : [])];
    const requests = userIds.map((userId): BatchRequest => ({
      method: 'POST',
      url: `/users/${encodeURIComponent(userId)}/checkMemberGroups`,
      body: { groupIds },
    }));
    const outcomes = await sendBatched(graph.graph(tenantId), requests, { concurrency: 2 });
    outcomes.forEach((outcome, index) => {
      const userId = userIds[index] ?? '';
      // The user no longer exists in the directory: not a member.
      if (outcome.status === 404) return;
      const parsed = outcome.status === 200 ? checkMemberGroupsResponse.safeParse(outcome.body) : undefined;
      if (!parsed?.success) {
        throw new MembershipUnknown(`Console group membership of a user of tenant ${tenantId} cannot be checked: ${outcome.error ?? `answered ${outcome.status}`}`);
      }
      if (parsed.data.value.length > 0) members.add(userId);
    });
    return members;
  };
}

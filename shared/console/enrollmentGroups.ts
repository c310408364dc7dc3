/**
 * Enrollment groups as the console manages them: added and removed by display name exactly (case included, as the
 * group's Properties page shows it), each listed with its resolution through Graph (shared/enrollment/groupResolution.ts).
 */
import { createMemo, type Memo } from './budgets.js';
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import {
  enrollmentGroupRowKey,
  groupRowSchema,
  groupStatuses,
  resolveEnrollmentGroup,
  type GroupResolution,
  type GroupRow,
} from '../enrollment/groupResolution.js';
import type { EventRecorder } from '../events/event.js';
import { toGraphError } from '../graph/graphError.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';
import { InvalidKey, listAll, odata, readEntity } from '../storage/index.js';
import { statusOf } from '../base/errors.js';

export const enrollmentGroupStatusSchema = z.enum(['unchecked', ...groupStatuses, 'unavailable']);

/** Most enrollment groups per tenant. */
export const maxEnrollmentGroups = 50;

/** A display name as Entra allows it (1..256 characters), kept exactly as typed apart from surrounding spaces. */
export const groupDisplayNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine((value) => !/\p{Cc}/u.test(value), { message: 'must not contain control characters' });

/** The row key of a display name; 400 when the name is too long to be a key once encoded. */
export function groupRowKey(displayName: string): string {
  try {
    return enrollmentGroupRowKey(displayName);
  } catch (caught) {
    if (caught instanceof InvalidKey) throw new HttpError(400, 'The display name is too long.', { errors: [{ path: 'displayName', message: 'is too long' }] });
    throw caught;
  }
}

/** Listing the tenant's groups, each resolved. */
export type GroupListDeps = Pick<CorePorts, 'tables' | 'log' | 'graph'>;
/** Removing a group, audited (`events` records the audit entry's event). */
export type GroupRemoveDeps = Pick<CorePorts, 'tables' | 'clock' | 'log'> & { readonly events: EventRecorder };
/** Adding a group, audited, with its resolution. */
export type GroupAddDeps = GroupRemoveDeps & Pick<CorePorts, 'graph'>;

export const enrollmentGroupSchema = z.object({
  displayName: z.string(),
  status: enrollmentGroupStatusSchema.describe(
    '`resolved`: exactly one group has this name; `case-mismatch`: only a group whose name differs in upper/lower case ' +
      'exists; `not-found`; `ambiguous`: several groups have exactly this name; `unavailable`: Graph could not be asked ' +
      'just now (the stored status is kept); `unchecked`: not resolved yet.',
  ),
  groupId: z.string().nullable(),
  memberCount: z.number().int().nullable().describe('Users in the group, nested groups included (resolved groups).'),
  detail: z.string().describe('What the status means for an administrator.'),
  suggestions: z.array(z.string()).optional().describe('For `case-mismatch`: the names that exist.'),
  checkedAt: z.string().nullable(),
  addedAt: z.string().nullable(),
  addedBy: z.string().nullable(),
});
export type EnrollmentGroupView = z.output<typeof enrollmentGroupSchema>;

const details: Record<z.output<typeof enrollmentGroupStatusSchema>, string> = {
  resolved: 'Resolved: users in this group (nested groups included) are enrolled.',
  'case-mismatch':
    'No group has exactly this name; a group whose name differs only in upper/lower case exists. Names must match exactly, as the group’s Properties page shows it.',
  'not-found': 'No group has this name.',
  ambiguous: 'Several groups have exactly this name; rename all but one.',
  unavailable: 'Microsoft Graph could not be asked just now; showing the last known status.',
  unchecked: 'Not resolved yet.',
};

function view(row: GroupRow, fresh?: GroupResolution | 'unavailable'): EnrollmentGroupView {
  const base = {
    displayName: row.displayName,
    checkedAt: row.checkedAt ?? null,
    addedAt: row.addedAt ?? null,
    addedBy: row.addedBy ?? null,
  };
  if (fresh === undefined || fresh === 'unavailable') {
    const stored = enrollmentGroupStatusSchema.safeParse(row.status);
    const status = fresh === 'unavailable' ? 'unavailable' : stored.success ? stored.data : 'unchecked';
    return {
      ...base,
      status,
      groupId: row.groupId ?? null,
      memberCount: row.memberCount ?? null,
      detail: details[status],
    };
  }
  return {
    ...base,
    status: fresh.status,
    groupId: fresh.status === 'resolved' ? fresh.groupId : null,
    memberCount: fresh.status === 'resolved' ? (fresh.memberCount ?? null) : null,
    detail: details[fresh.status],
    ...(fresh.status === 'case-mismatch' ? { suggestions: [...fresh.candidates] } : {}),
  };
}

async function resolveOrUnavailable(services: Pick<CorePorts, 'log' | 'graph'>, tenantId: string, displayName: string): Promise<GroupResolution | 'unavailable'> {
  try {
    return await resolveEnrollmentGroup(services.graph, tenantId, displayName, { countMembers: true });
  } catch (caught) {
    const error = toGraphError(caught);
    services.log.warn(`Resolving enrollment group for tenant ${tenantId} failed: ${error.code} ${error.message}`);
    return 'unavailable';
  }
}

async function rows(services: Pick<CorePorts, 'tables'>, tenantId: string): Promise<GroupRow[]> {
  const found: GroupRow[] = [];
  const filter = odata`PartitionKey eq ${tenantId}`;
  for await (const row of listAll(services.tables.table('enrollmentGroups'), { schema: groupRowSchema, filter })) found.push(row);
  return found.sort((a, b) => a.displayName.localeCompare(b.displayName));
}

/** How long a group's resolution is reused by `GET enrollment-groups` before Graph is asked again. */
export const resolutionReuseMs = 60_000;

export type ResolutionMemo = Memo<GroupResolution | 'unavailable'>;

/** A per-process memo of resolutions for the list (an unavailable answer is not kept). */
export function createResolutionMemo(services: Pick<CorePorts, 'clock'>): ResolutionMemo {
  return createMemo(services.clock, resolutionReuseMs);
}

/**
 * The tenant's enrollment groups, each resolved through Graph, or (with `memo`) reused from a resolution made within
 * the last minute, so reloading the list does not cost Graph calls for every group each time.
 */
export async function listEnrollmentGroups(services: GroupListDeps, tenantId: string, memo?: ResolutionMemo): Promise<EnrollmentGroupView[]> {
  const all = await rows(services, tenantId);
  const resolve = (displayName: string): Promise<GroupResolution | 'unavailable'> =>
    memo
      ? memo.get(`${tenantId}|${displayName}`, () => resolveOrUnavailable(services, tenantId, displayName), (value) => value !== 'unavailable')
      : resolveOrUnavailable(services, tenantId, displayName);
  return Promise.all(all.map(async (row) => view(row, await resolve(row.displayName))));
}

function storedFields(resolution: GroupResolution | 'unavailable', now: string): Record<string, unknown> {
  if (resolution === 'unavailable') return { status: 'unchecked' };
  return {
    status: resolution.status,
    ...(resolution.status === 'resolved' ? { groupId: resolution.groupId } : {}),
    ...(resolution.status === 'resolved' && resolution.memberCount !== undefined ? { memberCount: resolution.memberCount } : {}),
    checkedAt: now,
  };
}

/** Adds a group by display name (409 if already added), audited, and returns it with its resolution. */
export async function addEnrollmentGroup(services: GroupAddDeps, principal: ConsolePrincipal, displayName: string): Promise<EnrollmentGroupView> {
  const table = services.tables.table('enrollmentGroups');
  const rowKey = groupRowKey(displayName);
  if (await readEntity(table, groupRowSchema, principal.tenantId, rowKey)) {
    throw new HttpError(409, `The enrollment group "${displayName}" is already configured.`);
  }
  const existing = await rows(services, principal.tenantId);
  if (existing.length >= maxEnrollmentGroups) {
    throw new HttpError(409, `A tenant can have at most ${maxEnrollmentGroups} enrollment groups.`);
  }
  const resolution = await resolveOrUnavailable(services, principal.tenantId, displayName);
  const now = services.clock.now().toISOString();
  const row: GroupRow = {
    displayName,
    ...storedFields(resolution, now),
    addedAt: now,
    addedBy: principal.upn || principal.userId,
  };
  await audited(
    services,
    principal,
    { action: 'enrollmentGroup.add', target: displayName, request: { displayName } },
    async () => {
      try {
        await table.createEntity({ ...row, partitionKey: principal.tenantId, rowKey });
      } catch (caught) {
        if (statusOf(caught) === 409) throw new HttpError(409, `The enrollment group "${displayName}" is already configured.`);
        throw caught;
      }
      return { before: null, after: { displayName, status: row.status } };
    },
  );
  return view(row, resolution);
}

/** Removes a group by display name (exact), audited; 404 when it is not configured. */
export async function removeEnrollmentGroup(services: GroupRemoveDeps, principal: ConsolePrincipal, displayName: string): Promise<void> {
  const table = services.tables.table('enrollmentGroups');
  const rowKey = groupRowKey(displayName);
  const current = await readEntity(table, groupRowSchema, principal.tenantId, rowKey);
  if (!current) throw new HttpError(404, `No enrollment group named "${displayName}" is configured.`);
  await audited(services, principal, { action: 'enrollmentGroup.remove', target: displayName }, async () => {
    try {
      await table.deleteEntity(principal.tenantId, rowKey, { etag: current.etag });
    } catch (caught) {
      const status = statusOf(caught);
      if (status === 404) throw new HttpError(404, `No enrollment group named "${displayName}" is configured.`);
      if (status === 412) throw new HttpError(409, `The enrollment group "${displayName}" changed meanwhile; retry.`);
      throw caught;
    }
    return { before: { displayName: current.displayName, status: current.status ?? null, groupId: current.groupId ?? null }, after: null };
  });
}

/**
 * One discovery run for one tenant: under the tenant's lease, resolve the enrollment groups, read their users and
 * the tenant's iOS/Android managed devices in bulk, join and diff them in memory against the stored device rows,
 * then write only what changed (entity group transactions, 100 per partition) and nudge compliance.
 *
 * Everything is read before anything is written, so a page that fails to load fails the run with no device
 * touched. Delta queries are not used; see the note in `directoryReads.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import { recordError } from '../errorReports/errorReports.js';
import { toError } from '../base/errors.js';
import { GraphError, type GraphAccess } from '../graph/index.js';
import type { QueueSenders } from '../queues/queue.js';
import type { Logger } from '../base/logger.js';
import type { TableStore } from '../storage/index.js';
import { readGroupUsers, readManagedDevices, type ReadCounters } from './directoryReads.js';
import { readEnrollmentGroupRows, resolveGroups, writeGroupStatuses, type GroupOutcome } from './groups.js';
import { acquireLease, releaseLease, renewLease } from './lease.js';
import { planSync, type ChangeKind, type DeviceChange } from './reconcile.js';
import { recordSyncHealth } from './tenantState.js';
import { readStoredDevices } from './storedDevices.js';
import { writeChanges } from './writeChanges.js';

/** What a sync needs from the process's services. */
export interface EnrollmentDeps {
  readonly tables: TableStore;
  readonly graph: GraphAccess;
  readonly queues: QueueSenders;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface SyncOptions {
  /** Lease lifetime; a run that takes longer renews it before writing. Default 15 minutes. */
  readonly leaseTtlMs?: number;
  /** Transactions in flight at once while writing. Default 8. */
  readonly writeConcurrency?: number;
  /**
   * Read and plan only: the figures say what the run would change, and nothing is written (no devices, group
   * statuses, health or error report). For measuring the read and join phases on their own.
   */
  readonly dryRun?: boolean;
}

export interface SyncFigures {
  readonly discovered: number;
  readonly rediscovered: number;
  readonly deactivated: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Devices of users whose membership could not be confirmed (a group did not resolve): left as they were. */
  readonly kept: number;
  /** iOS/Android managed devices with a user, as listed by Intune. */
  readonly managedDevices: number;
  /** Distinct users across the enrollment groups. */
  readonly members: number;
  /** Graph collection pages read (group lookups not included). */
  readonly graphPages: number;
  /** Device rows written, and the storage write transactions that carried them (group status rows included). */
  readonly devicesWritten: number;
  readonly writeTransactions: number;
  readonly nudges: number;
  /** Where the time went: reading (Graph and our rows, in parallel), joining and diffing, writing and nudging. */
  readonly timings: { readonly readMs: number; readonly planMs: number; readonly writeMs: number };
}

export type SyncOutcome =
  | { readonly status: 'skipped'; readonly tenantId: string; readonly reason: 'lease-held' }
  | {
      readonly status: 'completed';
      readonly tenantId: string;
      /** `partial` when an enrollment group did not resolve (its members were neither added nor removed). */
      readonly result: 'ok' | 'partial';
      readonly startedAt: string;
      readonly finishedAt: string;
      readonly groups: readonly GroupOutcome[];
      readonly figures: SyncFigures;
    }
  | {
      readonly status: 'failed';
      readonly tenantId: string;
      readonly startedAt: string;
      readonly finishedAt: string;
      /** For an admin: what failed, without secrets. */
      readonly error: string;
    };

const defaultLeaseTtlMs = 15 * 60_000;

/** Runs discovery for one tenant now; skips it when another run holds the tenant's lease. Never throws. */
export async function syncTenant(deps: EnrollmentDeps, tenantId: string, options: SyncOptions = {}): Promise<SyncOutcome> {
  const holder = randomUUID();
  const ttl = options.leaseTtlMs ?? defaultLeaseTtlMs;
  const started = deps.clock.now();
  const startedAt = started.toISOString();
  let acquired: boolean;
  try {
    acquired = await acquireLease(deps.tables, tenantId, holder, started, ttl);
  } catch (caught) {
    return failed(deps, tenantId, startedAt, `The sync lease could not be taken: ${toError(caught).message}`, false);
  }
  if (!acquired) return { status: 'skipped', tenantId, reason: 'lease-held' };
  try {
    return await run(deps, tenantId, holder, startedAt, ttl, options);
  } catch (caught) {
    const error = toError(caught);
    const message = `Enrollment sync failed: ${error.message}`;
    // Graph failures go to the tenant's error report (something an admin can act on, e.g. revoked consent);
    // anything else is our own fault, logged and shown in the tenant's health.
    if (error instanceof GraphError) {
      await recordError(deps, tenantId, { kind: error.code === 'ERR_GRAPH_AUTH' ? 'token' : 'graph', message });
    } else {
      deps.log.error(`Enrollment sync of tenant ${tenantId}: ${error.name}: ${error.message}`);
    }
    return failed(deps, tenantId, startedAt, message, true);
  } finally {
    await releaseLease(deps.tables, tenantId, holder, deps.clock.now());
  }
}

async function failed(
  deps: EnrollmentDeps,
  tenantId: string,
  startedAt: string,
  error: string,
  recordHealth: boolean,
): Promise<SyncOutcome> {
  deps.log.warn(`Enrollment sync of tenant ${tenantId} failed: ${error}`);
  if (recordHealth) await recordSyncHealth(deps, tenantId, { at: startedAt, result: 'failed', error });
  return { status: 'failed', tenantId, startedAt, finishedAt: deps.clock.now().toISOString(), error };
}

async function run(
  deps: EnrollmentDeps,
  tenantId: string,
  holder: string,
  startedAt: string,
  ttl: number,
  options: SyncOptions,
): Promise<SyncOutcome> {
  const readStarted = performance.now();
  const client = deps.graph.graph(tenantId);
  const groupRows = await readEnrollmentGroupRows(deps.tables, tenantId);
  const resolutions = await resolveGroups(client, tenantId, groupRows);

  // Read everything first: the members of each resolved group, Intune's devices and our rows, in parallel.
  const counters: ReadCounters = { pages: 0 };
  const members = new Map<string, string>();
  const memberCounts = new Map<string, number>();
  const memberGroups = new Map<string, string[]>();
  const [intune, stored] = await Promise.all([
    readManagedDevices(client, counters),
    readStoredDevices(deps.tables.table('devices'), tenantId),
    ...resolutions
      .filter((r) => r.resolution.status === 'resolved')
      .map(async (r) => {
        if (r.resolution.status !== 'resolved') return;
        memberCounts.set(r.row.displayName, await readGroupUsers(client, r.resolution.groupId, members, counters, { groups: memberGroups, displayName: r.row.displayName }));
      }),
  ]);

  const membershipComplete = resolutions.every((r) => r.resolution.status === 'resolved');
  const now = deps.clock.now().toISOString();
  const planStarted = performance.now();
  const plan = planSync({ tenantId, now, stored, intune, members, memberGroups, membershipComplete });
  const writeStarted = performance.now();

  if (options.dryRun) {
    const planEnded = performance.now();
    return {
      status: 'completed',
      tenantId,
      result: membershipComplete ? 'ok' : 'partial',
      startedAt,
      finishedAt: deps.clock.now().toISOString(),
      groups: resolutions.map(({ row, resolution }) => ({
        displayName: row.displayName,
        status: resolution.status,
        ...(resolution.status === 'resolved' ? { groupId: resolution.groupId, memberCount: memberCounts.get(row.displayName) ?? 0 } : {}),
        detail: resolution.status === 'resolved' ? 'resolved' : resolution.detail,
        written: false,
      })),
      figures: {
        ...plan.counts,
        managedDevices: intune.size,
        members: members.size,
        graphPages: counters.pages,
        devicesWritten: 0,
        writeTransactions: 0,
        nudges: 0,
        timings: { readMs: Math.round(planStarted - readStarted), planMs: Math.round(planEnded - planStarted), writeMs: 0 },
      },
    };
  }

  // A run that lost its lease (it outlived the lease's lifetime) must not write over the run that took it.
  if (plan.changes.length > 0 && !(await renewLease(deps.tables, tenantId, holder, deps.clock.now(), ttl))) {
    throw new Error('the sync lease expired before the run could write; nothing was written');
  }
  const written = await writeChanges(deps, tenantId, plan, stored, now, options.writeConcurrency ?? 8);
  const groups = await writeGroupStatuses(deps, tenantId, resolutions, memberCounts, now);

  for (const group of groups) {
    if (group.status !== 'resolved') {
      await recordError(deps, tenantId, {
        kind: 'enrollment-group',
        message: `Enrollment group "${group.displayName}" is ${group.status}: ${group.detail}. Its members were neither added nor removed.`,
      });
    }
  }

  const writeEnded = performance.now();
  const result = membershipComplete ? 'ok' : 'partial';
  await recordSyncHealth(deps, tenantId, { at: startedAt, result });
  const figures: SyncFigures = {
    ...countsOf(written.changes),
    unchanged: plan.counts.unchanged + (plan.changes.length - written.changes.length),
    kept: plan.counts.kept,
    managedDevices: intune.size,
    members: members.size,
    graphPages: counters.pages,
    devicesWritten: written.changes.length,
    writeTransactions: written.transactions + groups.filter((g) => g.written).length,
    nudges: written.nudges,
    timings: {
      readMs: Math.round(planStarted - readStarted),
      planMs: Math.round(writeStarted - planStarted),
      writeMs: Math.round(writeEnded - writeStarted),
    },
  };
  deps.log.info(
    `Enrollment sync of tenant ${tenantId}: ${figures.discovered} discovered, ${figures.rediscovered} rediscovered, ` +
      `${figures.deactivated} deactivated, ${figures.updated} updated, ${figures.unchanged} unchanged (${result})`,
  );
  return { status: 'completed', tenantId, result, startedAt, finishedAt: deps.clock.now().toISOString(), groups, figures };
}

function countsOf(changes: readonly DeviceChange[]): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { discovered: 0, rediscovered: 0, deactivated: 0, updated: 0 };
  for (const change of changes) counts[change.kind] += 1;
  return counts;
}

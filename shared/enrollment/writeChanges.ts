/**
 * A discovery run's writes: the planned device changes in entity group transactions (up to 100 actions, one device
 * partition each), several at a time, each device row with its sidecar rows. A transaction that lost a race is redone
 * row by row from the current rows; the compliance nudges go out for what was written.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { sendNudges, type Nudge } from '../devices/complianceNudges.js';
import { devicePartitionKey, type Device } from '../devices/device.js';
import { deviceWriteActions, ensureReconcileFor, newNudgeTime, writeDeviceWith } from '../devices/deviceRepository.js';
import { revokeCredentials } from '../devices/credentialSession.js';
import { statusOf, toError } from '../base/errors.js';
import type { CorePorts } from '../ports.js';
import { maxActionsPerTransaction, submitTogether, type TableStore } from '../storage/index.js';
import { applyObservation, type DeviceChange, type SyncPlan } from './reconcile.js';

/** One change's actions: the device row and its sidecar rows (sidecar.ts), never split across transactions. */
interface ChangeWrite {
  readonly change: DeviceChange;
  readonly actions: TransactionAction[];
  /** When the write starts a device's wait for a push (reconcile must be due for it). */
  readonly nudgeTime: number | undefined;
}

/**
 * The changes in groups of at most one transaction's worth (100 actions), each group within one device partition,
 * each change's actions kept together. Actions are built per group as it is taken (`actionsOf`), so a 150k-device
 * first run never holds every entity at once; only their count is needed here.
 */
function groupsOfOnePartition(changes: readonly DeviceChange[], actionCount: (change: DeviceChange) => number): DeviceChange[][] {
  const byPartition = new Map<string, { changes: DeviceChange[]; actions: number }[]>();
  for (const change of changes) {
    const partitionKey = devicePartitionKey(change.device.tenantId, change.device.deviceId);
    let groups = byPartition.get(partitionKey);
    if (!groups) byPartition.set(partitionKey, (groups = []));
    const count = actionCount(change);
    const last = groups.at(-1);
    if (last && last.actions + count <= maxActionsPerTransaction) {
      last.changes.push(change);
      last.actions += count;
    } else groups.push({ changes: [change], actions: count });
  }
  return [...byPartition.values()].flat().map((group) => group.changes);
}

/** Submits one partition's group: one transaction (a lone action as its own call). Returns transactions sent. */
async function submitGroup(table: TableClient, writes: readonly ChangeWrite[]): Promise<number> {
  const actions = writes.flatMap((write) => write.actions);
  if (actions.length === 0) return 0;
  return submitTogether(table, actions);
}

/** Someone else wrote one of the rows between our read and our write. */
function lostRace(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || status === 412 || status === 404;
}

export interface Written {
  changes: DeviceChange[];
  transactions: number;
  nudges: number;
}

/**
 * Writes the planned changes, each device row in one transaction with its sidecar rows (index rows, sidecar.ts), up
 * to 100 actions per transaction, several transactions at a time. A transaction that lost a race (a row changed
 * since it was read, e.g. an agent activated) is redone row by row: each row is re-read and the same observation
 * re-applied, so a concurrent activation or admin change is never overwritten. Nudges go out for what was written,
 * even when a later transaction fails.
 */
export async function writeChanges(
  deps: Pick<CorePorts, 'tables' | 'queues' | 'log'>,
  tenantId: string,
  plan: SyncPlan,
  stored: ReadonlyMap<string, Device>,
  now: string,
  concurrency: number,
): Promise<Written> {
  const table = deps.tables.table('devices');
  const at = new Date(now);
  const writeOf = (change: DeviceChange): ChangeWrite => {
    const before = change.existed ? stored.get(change.device.deviceId) : undefined;
    const { device, actions } = deviceWriteActions(before, change.device, at);
    return { change, actions, nudgeTime: newNudgeTime(before, device) };
  };
  const transactions = groupsOfOnePartition(plan.changes, (change) => writeOf(change).actions.length);
  const written: Written = { changes: [], transactions: 0, nudges: 0 };
  const nudges: Nudge[] = [];
  const accept = (change: DeviceChange): void => {
    written.changes.push(change);
    if (change.nudge) nudges.push({ tenantId, deviceId: change.device.deviceId, version: change.device.version });
  };

  let next = 0;
  let failure: unknown;
  async function worker(): Promise<void> {
    while (failure === undefined && next < transactions.length) {
      const changes = transactions[next] ?? [];
      next += 1;
      // Entities are built per transaction, so a 150k-device first run never holds them all at once.
      const writes = changes.map(writeOf);
      try {
        // A deactivated device's credential ends before its row changes (see credentialSession.ts).
        await revokeCredentials(deps.tables, tenantId, changes.filter((c) => c.kind === 'deactivated').map((c) => c.device.deviceId), now);
        await ensureReconcileFor(deps.tables, tenantId, writes.map((write) => ({ deviceId: write.change.device.deviceId, nudgeMs: write.nudgeTime })), at);
        written.transactions += await submitGroup(table, writes);
        changes.forEach(accept);
      } catch (caught) {
        if (!lostRace(caught)) {
          failure = caught;
          return;
        }
        for (const change of changes) {
          const observation = plan.observations.get(change.device.deviceId);
          if (!observation) continue;
          // Revoked again: a re-activation may have started a new credential since the first revocation.
          if (observation.kind === 'left') await revokeCredentials(deps.tables, tenantId, [change.device.deviceId], now);
          const redone = await redo(deps.tables, tenantId, change.device.deviceId, at, (current) =>
            applyObservation(tenantId, current, observation, now),
          );
          written.transactions += redone.writes;
          if (redone.change) accept(redone.change);
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, transactions.length)) }, () => worker()));
  try {
    await sendNudges(deps.queues, nudges);
    written.nudges = nudges.length;
  } catch (caught) {
    // The rows are marked syncPending: the reconcile timer re-nudges them.
    deps.log.warn(`Enrollment sync of tenant ${tenantId} could not send ${nudges.length} nudges: ${toError(caught).message}`);
  }
  if (failure !== undefined) throw toError(failure);
  return written;
}

/** Re-reads one device and re-applies its observation, written with its sidecar rows (ETag; retried on a lost race). */
async function redo(
  tables: TableStore,
  tenantId: string,
  deviceId: string,
  at: Date,
  apply: (current: Device | undefined) => DeviceChange | undefined,
): Promise<{ change: DeviceChange | undefined; writes: number }> {
  let change: DeviceChange | undefined;
  const result = await writeDeviceWith(
    tables,
    tenantId,
    deviceId,
    (current) => {
      change = apply(current);
      return change?.device;
    },
    at,
  );
  return { change: result ? change : undefined, writes: result ? result.attempts : 0 };
}

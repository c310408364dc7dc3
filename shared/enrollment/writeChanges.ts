/**
 * A discovery run's writes: the planned device changes in entity group transactions (up to 100 actions, one device
 * partition each), several partitions at a time, each device row with its sidecar rows and one counter delta per
 * transaction. A transaction that lost a race is redone row by row from the current rows; the compliance nudges go
 * out for what was written.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { sendNudges, type Nudge } from '../devices/complianceNudges.js';
import { devicePartitionKey, type Device } from '../devices/device.js';
import { isDeviceDelta, sumDeviceDeltas } from '../devices/deviceCounters.js';
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

/** One transaction of a partition: the changes it carries and its actions (the counter deltas summed into one row). */
export interface PackedTransaction {
  readonly writes: ChangeWrite[];
  readonly actions: TransactionAction[];
}

/**
 * The changes by device partition, partitions in key order, in plan order within each. Key order costs Table Storage
 * nothing and spares Azurite half its index upkeep: its sorted index on PartitionKey is an array, and a row whose
 * key sorts after every row already there is appended instead of spliced into the middle.
 */
function byPartition(changes: readonly DeviceChange[]): DeviceChange[][] {
  const partitions = new Map<string, DeviceChange[]>();
  for (const change of changes) {
    const partitionKey = devicePartitionKey(change.device.tenantId, change.device.deviceId);
    const list = partitions.get(partitionKey);
    if (list) list.push(change);
    else partitions.set(partitionKey, [change]);
  }
  return [...partitions.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, list]) => list);
}

/**
 * One partition's writes in transactions of at most 100 actions, each change's actions kept together. The counter
 * delta rows of a transaction's devices are summed into one delta row (`sumDeviceDeltas`): a first run then writes
 * one counter entity per transaction instead of one per device, with the same counts.
 */
export function packTransactions(writes: readonly ChangeWrite[]): PackedTransaction[] {
  const packed: PackedTransaction[] = [];
  let current: ChangeWrite[] = [];
  let count = 0;
  let hasDelta = false;
  const close = (): void => {
    if (current.length === 0) return;
    packed.push({ writes: current, actions: sumDeviceDeltas(current.flatMap((write) => write.actions)) });
    current = [];
    count = 0;
    hasDelta = false;
  };
  for (const write of writes) {
    const deltas = write.actions.filter(isDeviceDelta).length;
    const own = write.actions.length - deltas;
    const needed = own + (deltas > 0 && !hasDelta ? 1 : 0);
    if (current.length > 0 && count + needed > maxActionsPerTransaction) close();
    current.push(write);
    count += own + (deltas > 0 && !hasDelta ? 1 : 0);
    if (deltas > 0) hasDelta = true;
  }
  close();
  return packed;
}

/** Submits one transaction (a lone action as its own call). Returns transactions sent. */
async function submitPacked(table: TableClient, transaction: PackedTransaction): Promise<number> {
  if (transaction.actions.length === 0) return 0;
  return submitTogether(table, transaction.actions);
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
 * Writes the planned changes, each device row in one transaction with its sidecar rows (index rows, events, timeline;
 * sidecar.ts), up to 100 actions per transaction, a transaction's counter deltas summed into one row. Partitions are
 * written several at a time, the transactions of one partition in order; a partition's actions are built when its
 * turn comes, so a 150k-device first run never holds every entity at once. Before a partition's first write, its hint
 * and the tenant's reconcile due time are made sure of (once per partition, not per transaction). A transaction that
 * lost a race (a row changed since it was read, e.g. an agent activated) is redone row by row: each row is re-read
 * and the same observation re-applied, so a concurrent activation or admin change is never overwritten. Nudges go
 * out for what was written, even when a later transaction fails.
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
  const partitions = byPartition(plan.changes);
  const written: Written = { changes: [], transactions: 0, nudges: 0 };
  const nudges: Nudge[] = [];
  const accept = (change: DeviceChange): void => {
    written.changes.push(change);
    if (change.nudge) nudges.push({ tenantId, deviceId: change.device.deviceId, version: change.device.version });
  };

  async function redoAll(changes: readonly DeviceChange[]): Promise<void> {
    for (const change of changes) {
      const observation = plan.observations.get(change.device.deviceId);
      if (!observation) continue;
      // Revoked again: a re-activation may have started a new credential since the first revocation.
      if (observation.kind === 'left') await revokeCredentials(deps.tables, tenantId, [change.device.deviceId], now);
      const redone = await redo(deps.tables, tenantId, change.device.deviceId, at, (current) => applyObservation(tenantId, current, observation, now));
      written.transactions += redone.writes;
      if (redone.change) accept(redone.change);
    }
  }

  let next = 0;
  let failure: unknown;
  async function worker(): Promise<void> {
    while (failure === undefined && next < partitions.length) {
      const changes = partitions[next] ?? [];
      next += 1;
      const writes = changes.map(writeOf);
      try {
        await ensureReconcileFor(deps.tables, tenantId, writes.map((write) => ({ deviceId: write.change.device.deviceId, nudgeMs: write.nudgeTime })), at);
      } catch (caught) {
        failure = caught;
        return;
      }
      for (const transaction of packTransactions(writes)) {
        if (failure !== undefined) return;
        const carried = transaction.writes.map((write) => write.change);
        try {
          // A deactivated device's credential ends before its row changes (see credentialSession.ts).
          await revokeCredentials(deps.tables, tenantId, carried.filter((c) => c.kind === 'deactivated').map((c) => c.device.deviceId), now);
          const sent = await submitPacked(table, transaction);
          written.transactions += sent;
          carried.forEach(accept);
        } catch (caught) {
          if (!lostRace(caught)) {
            failure = caught;
            return;
          }
          try {
            await redoAll(carried);
          } catch (again) {
            failure = again;
            return;
          }
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, partitions.length)) }, () => worker()));
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

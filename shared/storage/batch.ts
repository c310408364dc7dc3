/**
 * Entity group transactions: actions grouped by PartitionKey, at most 100 per transaction and well under the
 * 4 MiB request limit; one RowKey at most once per transaction. Partitions are submitted concurrently, the
 * transactions of one partition in order. A transaction of one action is sent as that action's own call: the same
 * round trip and outcome, without the multipart framing both ends would otherwise build and parse.
 */
import type { TableClient, TableTransactionResponse, TransactionAction } from '@azure/data-tables';
import { toError } from '../base/errors.js';

/** Azure's limit of operations per entity group transaction. */
export const maxActionsPerTransaction = 100;
/** Budget per transaction body, below the 4 MiB limit to leave room for the multipart framing. */
export const maxTransactionBytes = 3.5 * 1024 * 1024;
/** Multipart headers per operation, generously. */
const perActionOverheadBytes = 1_024;
const partitionConcurrency = 8;

export interface SubmitInBatchesOptions {
  /** Operations per transaction (1..100). Default 100. */
  maxActions?: number;
  /** Estimated body bytes per transaction. Default 3.5 MiB. */
  maxBytes?: number;
}

function estimatedBytes(action: TransactionAction): number {
  return Buffer.byteLength(JSON.stringify(action[1]), 'utf8') * 1.5 + perActionOverheadBytes;
}

/**
 * The ETag each action of a transaction got, in the order the actions were sent: the service answers a change set's
 * operations in that order, and an update's answer names no RowKey (so `getResponseForEntity` finds only inserts).
 * Empty where the answer carries none (a delete).
 */
export function transactionEtags(response: TableTransactionResponse, count: number): string[] {
  return Array.from({ length: count }, (_, index) => response.subResponses[index]?.etag ?? '');
}

/** Splits the actions into transactions: by partition, count, size and distinct row keys, order kept. */
export function planTransactions(
  actions: readonly TransactionAction[],
  options: SubmitInBatchesOptions = {},
): TransactionAction[][][] {
  const maxActions = Math.min(Math.max(1, options.maxActions ?? maxActionsPerTransaction), maxActionsPerTransaction);
  const maxBytes = options.maxBytes ?? maxTransactionBytes;
  interface Chunk {
    actions: TransactionAction[];
    bytes: number;
    rowKeys: Set<string>;
  }
  const byPartition = new Map<string, Chunk[]>();

  for (const action of actions) {
    const { partitionKey, rowKey } = action[1];
    let chunks = byPartition.get(partitionKey);
    if (chunks === undefined) {
      chunks = [];
      byPartition.set(partitionKey, chunks);
    }
    const bytes = estimatedBytes(action);
    const last = chunks.at(-1);
    if (
      last !== undefined &&
      last.actions.length < maxActions &&
      last.bytes + bytes <= maxBytes &&
      !last.rowKeys.has(rowKey)
    ) {
      last.actions.push(action);
      last.bytes += bytes;
      last.rowKeys.add(rowKey);
    } else {
      chunks.push({ actions: [action], bytes, rowKeys: new Set([rowKey]) });
    }
  }
  return [...byPartition.values()].map((chunks) => chunks.map((chunk) => chunk.actions));
}

/** One action as the single-entity call it stands for (defaults as in a transaction: Merge, delete any ETag). */
async function submitOne(table: TableClient, action: TransactionAction): Promise<void> {
  switch (action[0]) {
    case 'create':
      await table.createEntity(action[1]);
      return;
    case 'delete':
      await table.deleteEntity(action[1].partitionKey, action[1].rowKey);
      return;
    case 'update':
      await table.updateEntity(action[1], action[2], action[3]);
      return;
    case 'upsert':
      await table.upsertEntity(action[1], action[2], action[3]);
      return;
  }
}

/**
 * Submits actions that must commit together (one partition, at most 100, distinct row keys) as one entity group
 * transaction, a lone action as its own call; returns how many were sent (0 or 1). For callers that group their
 * actions themselves, e.g. a device row with its sidecar rows (shared/devices/sidecar.ts), which must never be split.
 */
export async function submitTogether(table: TableClient, actions: readonly TransactionAction[]): Promise<number> {
  const [only, ...more] = actions;
  if (only === undefined) return 0;
  if (more.length === 0) {
    await submitOne(table, only);
    return 1;
  }
  if (actions.length > maxActionsPerTransaction) throw new RangeError(`${actions.length} actions cannot commit together (at most ${maxActionsPerTransaction})`);
  await table.submitTransaction([...actions]);
  return 1;
}

/**
 * Submits the actions as entity group transactions and returns how many were sent (0 for no actions).
 * A failing transaction fails the call; transactions already committed stay committed.
 */
export async function submitInBatches(
  table: TableClient,
  actions: readonly TransactionAction[],
  options: SubmitInBatchesOptions = {},
): Promise<number> {
  const partitions = planTransactions(actions, options);
  let submitted = 0;
  let failed = false;
  let next = 0;

  async function worker(): Promise<void> {
    while (!failed && next < partitions.length) {
      const chunks = partitions[next];
      next += 1;
      for (const chunk of chunks ?? []) {
        if (failed) return;
        try {
          const [only, ...more] = chunk;
          if (only !== undefined && more.length === 0) await submitOne(table, only);
          else await table.submitTransaction(chunk);
        } catch (error) {
          failed = true;
          throw error;
        }
        submitted += 1;
      }
    }
  }

  const workers = Array.from({ length: Math.min(partitionConcurrency, partitions.length) }, () => worker());
  const results = await Promise.allSettled(workers);
  for (const result of results) {
    if (result.status === 'rejected') throw toError(result.reason);
  }
  return submitted;
}

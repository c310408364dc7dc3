/**
 * Deletes of rows the relay and retention are done with (outbox rows, feed rows, markers, relay-due rows). A row that
 * is gone already was deleted by another relay or an earlier run: that is success, not an error.
 */
import type { TransactionAction } from '@azure/data-tables';
import { statusOf } from '../base/errors.js';
import type { TableStore } from '../storage/index.js';
import type { OutboxTable } from './outboxRow.js';

export async function deleteIgnoringMissing(tables: TableStore, table: OutboxTable, partitionKey: string, rowKey: string): Promise<void> {
  try {
    await tables.table(table).deleteEntity(partitionKey, rowKey);
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

/** Deletes rows of one partition, 100 per transaction (one by one when a transaction finds a row missing). */
export async function deleteRows(tables: TableStore, table: OutboxTable, partitionKey: string, rowKeys: readonly string[]): Promise<void> {
  for (let start = 0; start < rowKeys.length; start += 100) {
    const keys = rowKeys.slice(start, start + 100);
    try {
      if (keys.length === 1) await deleteIgnoringMissing(tables, table, partitionKey, keys[0] ?? '');
      else await tables.table(table).submitTransaction(keys.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      await Promise.all(keys.map((rowKey) => deleteIgnoringMissing(tables, table, partitionKey, rowKey)));
    }
  }
}

/**
 * Relay-due rows: before a write adds outbox rows to a partition it records `{dueMs}|{tenantId}|{table}|{partitionKey}`
 * in one of 16 shard partitions (`~relay|{hex}`) of the `events` table, so the sweep relays that partition even when
 * the process stops before its own relay runs.
 */
import { createHash } from 'node:crypto';
import type { OutboxTable } from './outboxRow.js';

/** Relay-due rows come due this long after the write they precede (a write that takes longer is relayed later). */
export const relayDelayMs = 120_000;
export const relayShards = 16;

export function relayShard(tenantId: string): string {
  return `~relay|${((createHash('sha256').update(tenantId).digest()[0] ?? 0) % relayShards).toString(16)}`;
}

export function dueRowKey(dueMs: number, tenantId: string, table: OutboxTable, partitionKey: string, suffix = ''): string {
  return `${String(dueMs).padStart(13, '0')}|${tenantId}|${table}|${partitionKey}${suffix}`;
}

/** The partition a due row names; `retention` for rows of the daily retention schedule that came before the `r` row. */
export function parseDueRow(rowKey: string): { tenantId: string; table: OutboxTable; partitionKey: string; retention: boolean } | undefined {
  const parts = rowKey.split('|');
  const [, tenantId, table] = parts;
  if (tenantId === undefined || (table !== 'devices' && table !== 'threats' && table !== 'events')) return undefined;
  let rest = parts.slice(3);
  const retention = rest.at(-1) === 'retention' && table === 'events';
  if (retention) rest = rest.slice(0, -1);
  const partitionKey = rest.join('|');
  if (partitionKey === '' || !partitionKey.startsWith(tenantId)) return undefined;
  return { tenantId, table, partitionKey, retention };
}

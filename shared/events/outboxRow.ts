/**
 * Outbox rows: an event written beside the change that caused it, in the same entity group transaction, until the
 * relay (shared/events/relay.ts) has moved it into the tenant's feed. docs/DATA-MODEL.md, "Events".
 *
 * - `devices` table, the device's partition, RowKey `~e|{eventId}` (device.discovered / status_changed / risk_changed)
 * - `threats` table, the device's partition, RowKey `e|{eventId}` (threat.detected / threat.resolved)
 * - `events` table, the tenant's partition, RowKey `o|{eventId}` (events recorded directly: enforcement, audit, health)
 *
 * Event ids start with the time they occurred, so each outbox range reads oldest first.
 */
import type { TableName } from '../storage/index.js';
import { serviceEventSchema, type ServiceEvent } from './event.js';

export type OutboxTable = Extract<TableName, 'devices' | 'threats' | 'events'>;

/** The RowKey prefix of outbox rows in each table; the range is [prefix, prefix with `|` replaced by `}`). */
export const outboxPrefix: Readonly<Record<OutboxTable, string>> = { devices: '~e|', threats: 'e|', events: 'o|' };

export function outboxRange(table: OutboxTable): { from: string; to: string } {
  const prefix = outboxPrefix[table];
  return { from: prefix, to: `${prefix.slice(0, -1)}}` };
}

export interface OutboxEntity {
  partitionKey: string;
  rowKey: string;
  event: string;
  [key: string]: unknown;
}

export function outboxEntity(table: OutboxTable, partitionKey: string, event: ServiceEvent): OutboxEntity {
  return { partitionKey, rowKey: `${outboxPrefix[table]}${event.id}`, event: JSON.stringify(event) };
}

/** The event an outbox (or feed) row holds; undefined when the row is not one (never thrown: one bad row must not stall a tenant). */
export function eventFromRow(entity: Readonly<Record<string, unknown>>): ServiceEvent | undefined {
  if (typeof entity.event !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(entity.event);
  } catch {
    return undefined;
  }
  const result = serviceEventSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}

/**
 * Recording events that are not written beside a device or threat row (enforcement failures, audit, health): into the
 * tenant's own outbox partition (`o|{eventId}` rows of the `events` table), durably, then relayed into the feed.
 */
import type { TransactionAction } from '@azure/data-tables';
import { statusOf } from '../base/errors.js';
import type { CorePorts } from '../ports.js';
import { toEvent, type EventDraft, type EventRecorder, type ServiceEvent } from './event.js';
import { outboxEntity } from './outboxRow.js';
import type { Relay } from './relay.js';

export interface Recorder {
  readonly record: EventRecorder['record'];
  /** Records events that already have their ids (a change reported again records the same id; the feed takes it once). */
  readonly recordEvents: (tenantId: string, events: readonly ServiceEvent[]) => Promise<void>;
}

export function createRecorder({ tables }: Pick<CorePorts, 'tables'>, relay: Pick<Relay, 'prepare' | 'nudge'>): Recorder {
  const events = () => tables.table('events');

  async function record(tenantId: string, drafts: readonly EventDraft[]): Promise<readonly ServiceEvent[]> {
    if (drafts.length === 0) return [];
    const recorded = drafts.map((draft) => toEvent(tenantId, draft));
    await recordEvents(tenantId, recorded);
    return recorded;
  }

  async function recordEvents(tenantId: string, recorded: readonly ServiceEvent[]): Promise<void> {
    const own = recorded.filter((event) => event.tenantId === tenantId);
    if (own.length === 0) return;
    await relay.prepare(tenantId, 'events', tenantId);
    const actions = own.map((event): TransactionAction => ['create', outboxEntity('events', tenantId, event)]);
    for (let start = 0; start < actions.length; start += 100) {
      const chunk = actions.slice(start, start + 100);
      try {
        if (chunk.length === 1 && chunk[0]) await events().createEntity(chunk[0][1]);
        else await events().submitTransaction(chunk);
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        // Recorded again (the same ids): what is not there yet is written one by one; the feed takes an id once.
        for (const action of chunk) {
          try {
            await events().createEntity(action[1]);
          } catch (again) {
            if (statusOf(again) !== 409) throw again;
          }
        }
      }
    }
    relay.nudge(tenantId, 'events', tenantId);
  }

  return { record, recordEvents };
}

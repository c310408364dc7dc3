/**
 * A process's event runtime: recording (record.ts), the relay into each tenant's feed (relay.ts, publish.ts), the
 * subscribers (subscribers.ts), retention (retention.ts), feed reads (feedReads.ts) and readers waiting for the next
 * event (waiters.ts), put together once per process by the composition root.
 */
import type { Clock } from '../base/clock.js';
import type { TableStore } from '../storage/index.js';
import type { EventRecorder, EventSubscriber, PublishedEvent, ServiceEvent } from './event.js';
import { readFeed, type FeedPage } from './feedReads.js';
import type { OutboxTable } from './outboxRow.js';
import { createPublisher } from './publish.js';
import { createRecorder } from './record.js';
import { createRelay, type DueTenant, type SweepResult, type WrittenOutbox } from './relay.js';
import { createRetention, type RetentionRun } from './retention.js';
import { createSubscribers } from './subscribers.js';
import { createPublicationWaiters } from './waiters.js';

export interface EventLogger {
  warn(message: string): void;
}

export interface EventRuntime extends EventRecorder {
  /** Registers a subscriber (webhooks): every event published from now on reaches it at least once. */
  subscribe(subscriber: EventSubscriber): void;
  /** Writes the relay-due row before a write that adds outbox rows to a partition (write-ahead: nothing is stranded). */
  prepare(tenantId: string, table: OutboxTable, partitionKey: string): Promise<void>;
  /**
   * After a write with outbox rows committed: relay that partition soon, in this process; `written` (the rows the
   * write committed) spares the relay reading them back when that is exact (relay.ts, `WrittenOutbox`).
   */
  nudge(tenantId: string, table: OutboxTable, partitionKey: string, written?: WrittenOutbox): void;
  /** Records events that already have their ids (a change reported again records the same id; the feed takes it once). */
  recordEvents(tenantId: string, events: readonly ServiceEvent[]): Promise<void>;
  /** Relays a partition's outbox now; resolves with the events published. */
  relay(tenantId: string, table: OutboxTable, partitionKey: string): Promise<readonly PublishedEvent[]>;
  /** The safety net in one go: relays every partition whose relay-due row is due, and runs due retention. */
  sweep(): Promise<SweepResult>;
  /** The tenants with relay-due rows, oldest first: what the `eventsRelay` timer sends `relay` tenant jobs for. */
  dueTenants(): Promise<DueTenant[]>;
  /** A tenant's `relay` job: relays the partitions its relay-due rows name, and runs due retention. */
  relayDue(tenantId: string): Promise<SweepResult>;
  /** Deletes a tenant's events older than the retention period; resolves with how many feed rows went. */
  applyRetention(tenantId: string): Promise<number>;
  /**
   * The tenant's periodic retention (its `sweep` job): one point read of the retention row (`r`) unless events are
   * due for deletion; then deletes them by key range and moves the row to when the oldest one left is due.
   */
  retentionDue(tenantId: string): Promise<RetentionRun>;
  /** One page of a tenant's feed after a position, oldest first. */
  readFeed(tenantId: string, after: string | undefined, limit: number, types?: ReadonlySet<string>): Promise<FeedPage>;
  /** Resolves when this process publishes for the tenant, or after `ms`; false if too many already wait. */
  waitForPublication(tenantId: string, ms: number): Promise<boolean>;
  /** Resolves when every relay started in this process has finished (tests, shutdown). */
  idle(): Promise<void>;
}

export interface EventRuntimeOptions {
  readonly retentionDays: number;
  readonly log?: EventLogger;
  /** Most readers of one tenant waiting at once in this process. */
  readonly maxWaitersPerTenant?: number;
}

export function createEventRuntime(tables: TableStore, clock: Clock, options: EventRuntimeOptions): EventRuntime {
  const ports = { tables, clock };
  const warn = (message: string) => options.log?.warn(message);
  const waiters = createPublicationWaiters(options.maxWaitersPerTenant ?? 8);
  const subscribers = createSubscribers(ports);
  const retention = createRetention(ports, options.retentionDays);
  const relay = createRelay(ports, {
    publish: createPublisher(ports),
    deliver: subscribers.deliver,
    notify: waiters.notify,
    retentionWhenDue: retention.whenDue,
    retentionDue: retention.retentionDue,
    warn,
  });
  const recorder = createRecorder(ports, relay);

  return {
    subscribe: subscribers.subscribe,
    prepare: relay.prepare,
    nudge: relay.nudge,
    relay: relay.relay,
    sweep: relay.sweep,
    dueTenants: relay.dueTenants,
    relayDue: relay.relayDue,
    applyRetention: retention.applyRetention,
    retentionDue: retention.retentionDue,
    readFeed: (tenantId, after, limit, types) => readFeed(tables, tenantId, after, limit, types),
    waitForPublication: waiters.waitForPublication,
    record: recorder.record,
    recordEvents: recorder.recordEvents,
    idle: relay.idle,
  };
}

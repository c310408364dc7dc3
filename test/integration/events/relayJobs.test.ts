/**
 * The events safety net only schedules: the `eventsRelay` tick reads the relay-due rows and sends one `relay` tenant
 * job per tenant that has any (message ids from the oldest due row, so a tick that finds the same rows again sends
 * what duplicate detection drops); the job relays that tenant's stranded events, once, and leaves other tenants' rows.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { scheduleRelayJobs } from '../../../shared/app/tick.js';
import { runRelayJob } from '../../../shared/app/tenantJobs.js';
import { ManualClock } from '../../../shared/base/clock.js';
import type { Logger } from '../../../shared/base/logger.js';
import { toEvent, type EventDraft } from '../../../shared/events/event.js';
import { outboxEntity } from '../../../shared/events/outboxRow.js';
import { createEventRuntime, type EventRuntime } from '../../../shared/events/runtime.js';
import { relayJobSchema, tenantJobsQueueName, type RelayJob } from '../../../shared/jobs/messages.js';
import type { QueueMessage, QueueSenders } from '../../../shared/queues/queue.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { createTestTableStore } from '../../support/tables.js';

let tables: TableStore;
let clock: ManualClock;
const silent: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeEach(async () => {
  tables = await createTestTableStore();
  clock = new ManualClock('2026-03-01T10:00:00.000Z');
});

function audit(n: number): EventDraft {
  return {
    type: 'audit.recorded',
    occurredAt: clock.now().toISOString(),
    data: { actor: { id: 'u1', name: 'Adele' }, action: 'connector.update', target: `change-${n}`, before: { n }, after: { n: n + 1 } },
  };
}

/** Outbox rows a process wrote (with their relay-due row) before it stopped without relaying them. */
async function strand(events: EventRuntime, tenantId: string, count: number): Promise<string[]> {
  const partitionKey = `${tenantId}|0a`;
  await events.prepare(tenantId, 'threats', partitionKey);
  const ids: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const event = toEvent(tenantId, audit(n));
    await tables.table('threats').createEntity(outboxEntity('threats', partitionKey, event));
    ids.push(event.id);
  }
  return ids;
}

function capturingQueues(): QueueSenders & { sent: Map<string, QueueMessage[]> } {
  const sent = new Map<string, QueueMessage[]>();
  const senders = (name: string) => ({
    send: (messages: readonly QueueMessage[]) => {
      sent.set(name, [...(sent.get(name) ?? []), ...messages]);
      return Promise.resolve();
    },
  });
  return Object.assign(senders, { sent });
}

describe('the events relay timer', () => {
  it('sends one relay job per tenant with due rows, and each job relays its own tenant once', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const writer = createEventRuntime(tables, clock, { retentionDays: 30 });
    const strandedA = await strand(writer, a, 3);
    const strandedB = await strand(writer, b, 1);
    const events = createEventRuntime(tables, clock, { retentionDays: 30 });
    const queues = capturingQueues();
    const deps = { tables, clock, log: silent, queues, events };

    // Not due yet: the writer may still be relaying.
    expect((await scheduleRelayJobs(deps)).tenants).toBe(0);
    clock.advance(3 * 60_000);
    const tick = await scheduleRelayJobs(deps);
    expect(tick).toMatchObject({ tenants: 2, rows: 2 });
    const messages = queues.sent.get(tenantJobsQueueName) ?? [];
    const jobs = messages.map((message) => relayJobSchema.parse(message.body));
    expect(jobs.map((job) => job.tenantId).sort()).toEqual([a, b].sort());
    // The timer relayed nothing itself.
    expect((await events.readFeed(a, undefined, 10)).items).toEqual([]);

    // A tick before the jobs ran sends the same message ids again (dropped by duplicate detection).
    await scheduleRelayJobs(deps);
    const again = (queues.sent.get(tenantJobsQueueName) ?? []).slice(messages.length);
    expect(again.map((message) => message.messageId).sort()).toEqual(messages.map((message) => message.messageId).sort());

    const jobA = jobs.find((job) => job.tenantId === a) as RelayJob;
    const ranA = await runRelayJob({ events }, jobA, { messageId: 'm1', deliveryCount: 1 });
    expect(ranA).toMatchObject({ status: 'completed' });
    expect((await events.readFeed(a, undefined, 10)).items.map((item) => item.event.id)).toEqual(strandedA);
    // Tenant B's row is untouched until its own job runs; a job delivered twice publishes nothing twice.
    expect((await events.readFeed(b, undefined, 10)).items).toEqual([]);
    const jobB = jobs.find((job) => job.tenantId === b) as RelayJob;
    await runRelayJob({ events }, jobB, { messageId: 'm2', deliveryCount: 1 });
    await runRelayJob({ events }, jobB, { messageId: 'm2', deliveryCount: 2 });
    expect((await events.readFeed(b, undefined, 10)).items.map((item) => item.event.id)).toEqual(strandedB);
    expect((await scheduleRelayJobs(deps)).tenants).toBe(0);
  });
});

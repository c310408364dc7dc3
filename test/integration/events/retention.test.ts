/**
 * Event retention on real Azurite, run by the tenant's periodic `sweep` job (the tenant-jobs queue function's work):
 * events older than EVENT_RETENTION_DAYS go, by key range, once the tenant's retention row (`r`) is due; a reader's
 * cursor keeps working across the boundary and across a restart (new services on the same tables); a tenant whose
 * events stopped still has them deleted, and then its row is parked.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import type { EventDraft, ServiceEvent } from '../../../shared/events/event.js';
import { readEventFeed } from '../../../shared/events/feed.js';
import { runTenantJob } from '../../../shared/app/tenantJobs.js';
import { createServices, type Services } from '../../../shared/app/services.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { activateTenant, createTenant } from '../../../shared/tenants/tenantRepository.js';
import { quietLog, simConfig } from '../../support/simClient.js';
import { createTestTableStore } from '../../support/tables.js';

const day = 86_400_000;
let tables: TableStore;
let tenantId: string;
let clock: ManualClock;

/** A process of the service: its own event runtime (relay, caches) over the shared tables. */
function instance(): Services {
  return createServices(simConfig('https://localhost:9', { EVENT_RETENTION_DAYS: '2' }), {
    tables,
    clock,
    log: quietLog,
    queues: () => ({ send: () => Promise.resolve() }),
  });
}

beforeEach(async () => {
  tables = await createTestTableStore();
  tenantId = randomUUID();
  clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const at = clock.now().toISOString();
  await createTenant(tables, tenantId, { displayName: 'Contoso', fullAccessGroupId: randomUUID(), primaryContactEmail: 'a@b.test', status: 'provisioned', createdAt: at });
  await activateTenant(tables, tenantId, { at });
});

function audit(n: number): EventDraft {
  return {
    type: 'audit.recorded',
    occurredAt: clock.now().toISOString(),
    data: { actor: { id: 'u1', name: 'Adele' }, action: 'connector.update', target: `change-${n}`, before: {}, after: {} },
  };
}

async function sweepJob(services: Services): Promise<string> {
  const result = await runTenantJob(services, { job: 'sweep', tenantId, dueMs: clock.now().getTime() }, { messageId: randomUUID(), deliveryCount: 1 });
  expect(result.status).toBe('completed');
  return result.detail ?? '';
}

async function everything(services: Services): Promise<ServiceEvent[]> {
  const all: ServiceEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await readEventFeed(services.events, tenantId, { ...(after ? { after } : {}), limit: 2, wait: 0 });
    if (page.items.length === 0) return all;
    all.push(...page.items);
    after = page.nextCursor ?? undefined;
  }
}

async function eventRowKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const row of tables.table('events').listEntities({ queryOptions: { filter: `PartitionKey eq '${tenantId}'` } })) keys.push(row.rowKey ?? '');
  return keys;
}

describe('event retention', () => {
  it('keeps events until they are due, then the sweep job deletes them by key range; a cursor reads on across the boundary and a restart', async () => {
    const first = instance();
    const old = await first.events.record(tenantId, [audit(1), audit(2)]);
    await first.events.idle();
    const page = await readEventFeed(first.events, tenantId, { limit: 1, wait: 0 });
    expect(page.items.map((e) => e.id)).toEqual([old[0]?.id]);
    const cursor = page.nextCursor ?? '';

    // A day later nothing is due: the job costs one point read and deletes nothing.
    clock.advance(day);
    expect(await sweepJob(first)).not.toContain('expired');
    expect((await everything(first)).map((e) => e.id)).toEqual(old.map((e) => e.id));

    // Three days later, on a restarted service: new events arrive, and the old ones are past retention.
    clock.advance(2 * day);
    const restarted = instance();
    const fresh = await restarted.events.record(tenantId, [audit(3)]);
    await restarted.events.idle();
    expect(await sweepJob(restarted)).toContain('2 expired events and 0 webhook deliveries deleted');
    // The reader's cursor from before the boundary and the restart continues with what is left, nothing repeated.
    const next = await readEventFeed(restarted.events, tenantId, { after: cursor, limit: 10, wait: 0 });
    expect(next.items.map((e) => e.id)).toEqual(fresh.map((e) => e.id));
    expect((await everything(restarted)).map((e) => e.id)).toEqual(fresh.map((e) => e.id));
    // The old events' feed and id rows are gone; the new event's remain.
    const keys = await eventRowKeys();
    for (const event of old) {
      expect(keys).not.toContain(`i|${event.id}`);
      expect(keys.some((key) => key.startsWith('f|') && key.slice(2, 15) === String(Date.parse(event.occurredAt)))).toBe(false);
    }
    expect(keys).toContain(`i|${fresh[0]?.id ?? ''}`);

    // Then the tenant falls silent: its last event is deleted when due too, and its row is parked.
    clock.advance(3 * day);
    expect(await sweepJob(instance())).toContain('1 expired events and 0 webhook deliveries deleted');
    expect(await everything(instance())).toEqual([]);
    clock.advance(15 * 60_000);
    expect(await sweepJob(instance())).not.toContain('expired');
  });

  it('gives events published after the row was parked their own retention time', async () => {
    const services = instance();
    await services.events.record(tenantId, [audit(1)]);
    await services.events.idle();
    clock.advance(4 * day);
    expect(await sweepJob(services)).toContain('1 expired events and 0 webhook deliveries deleted'); // parks the row: nothing left
    const later = await services.events.record(tenantId, [audit(2)]);
    await services.events.idle();
    clock.advance(day);
    expect(await sweepJob(services)).not.toContain('expired');
    expect((await everything(services)).map((e) => e.id)).toEqual(later.map((e) => e.id));
    clock.advance(2 * day);
    expect(await sweepJob(services)).toContain('1 expired events and 0 webhook deliveries deleted');
  });
});

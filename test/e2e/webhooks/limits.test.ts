/**
 * The webhook limits through the local host: at most 10 endpoints per tenant also under concurrent creates, at most
 * 10 test events a minute per endpoint (then 429 with Retry-After), and delivery rows (which carry event bodies)
 * deleted with the tenant's events once older than EVENT_RETENTION_DAYS, by the tenant's sweep job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../dev/webhookReceiver.js';
import { tenantJobMessage, tenantJobsQueueName } from '../../../shared/jobs/messages.js';
import { deliveriesTable, deliveryIdFor, deliveryPartition, newDeliveryRow } from '../../../shared/webhooks/deliveries.js';
import { call, startWebhookHarness, type WebhookHarness } from './harness.js';

let h: WebhookHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  h = await startWebhookHarness();
  receiver = await h.receiver();
});

afterAll(async () => {
  await h?.close();
});

async function endpointIds(token: string): Promise<string[]> {
  const listed = await call(h.host, 'GET', 'v1/console/webhooks', token);
  expect(listed.status).toBe(200);
  return (listed.body.items as { id: string }[]).map((item) => item.id);
}

describe('webhook limits', () => {
  it('holds the 10-endpoint limit under concurrent creates, and frees a place on delete', async () => {
    const token = h.tokens.fabrikamAdmin;
    expect(await endpointIds(token)).toEqual([]);
    const answers = await Promise.all(
      Array.from({ length: 14 }, (_unused, index) =>
        call(h.host, 'POST', 'v1/console/webhooks', token, { url: `${receiver.url}/race-${index}`, types: ['threat.detected'] }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 409)).toHaveLength(4);
    const ids = await endpointIds(token);
    expect(ids).toHaveLength(10);

    expect((await call(h.host, 'DELETE', `v1/console/webhooks/${ids[0] ?? ''}`, token)).status).toBe(204);
    const again = await Promise.all(
      [1, 2].map((index) => call(h.host, 'POST', 'v1/console/webhooks', token, { url: `${receiver.url}/again-${index}`, types: ['threat.detected'] })),
    );
    expect(again.map((answer) => answer.status).sort()).toEqual([201, 409]);
    expect(await endpointIds(token)).toHaveLength(10);
  });

  it('sends at most 10 test events a minute per endpoint, then answers 429 with Retry-After', async () => {
    const created = await call(h.host, 'POST', 'v1/console/webhooks', h.tokens.admin, { url: `${receiver.url}/tests`, types: ['threat.detected'] });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const send = () => fetch(`${h.host.url}/api/v1/console/webhooks/${id}/test`, { method: 'POST', headers: { authorization: `Bearer ${h.tokens.admin}` } });
    const answers = await Promise.all(Array.from({ length: 12 }, () => send()));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([...Array.from({ length: 10 }, () => 202), 429, 429]);
    const refused = answers.find((answer) => answer.status === 429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused?.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(refused?.headers.get('content-type')).toBe('application/problem+json');
    await Promise.all(answers.map((answer) => answer.text()));
    const deliveries = await call(h.host, 'GET', `v1/console/webhooks/${id}/deliveries?limit=100`, h.tokens.admin);
    expect((deliveries.body.items as unknown[]).length).toBe(10);
    // Another endpoint has its own allowance.
    const other = await call(h.host, 'POST', 'v1/console/webhooks', h.tokens.admin, { url: `${receiver.url}/tests-2`, types: ['threat.detected'] });
    expect((await call(h.host, 'POST', `v1/console/webhooks/${String(other.body.id)}/test`, h.tokens.admin)).status).toBe(202);
  });

  it("deletes delivery rows older than EVENT_RETENTION_DAYS with the tenant's expired events", async () => {
    const [endpointId] = await endpointIds(h.tokens.admin);
    if (!endpointId) throw new Error('no endpoint');
    const days = h.stack.config.EVENT_RETENTION_DAYS;
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000);
    const event = (daysAgo: number, n: number) => ({
      id: `evt_${String(at(daysAgo).getTime()).padStart(13, '0')}0000000000000000000${n}`,
      type: 'threat.detected' as const,
      occurredAt: at(daysAgo).toISOString(),
      tenantId: h.contoso,
      data: {},
    });
    const old = [event(days + 2, 1), event(days + 40, 2)];
    const kept = [event(days - 1, 3)];
    for (const item of [...old, ...kept]) {
      const row = newDeliveryRow(item, JSON.stringify(item), new Date(item.occurredAt));
      await deliveriesTable(h.services).upsertEntity({ ...row, status: 'delivered', partitionKey: deliveryPartition(h.contoso, endpointId), rowKey: deliveryIdFor(item) });
    }
    // The tenant's event retention is due (its events are old enough), so its sweep job runs it.
    await h.tables.table('events').upsertEntity({ partitionKey: h.contoso, rowKey: 'r', dueMs: Date.now() - 1_000 }, 'Replace');
    // The tenant's sweep job, as the heartbeatCheck timer sends it once due.
    const dueMs = Date.now();
    await h.services.queues(tenantJobsQueueName).send([tenantJobMessage({ job: 'sweep', tenantId: h.contoso, dueMs, reason: 'due' })]);
    await h.host.queues.get(tenantJobsQueueName)?.drain({ timeoutMs: 60_000 });

    const left: string[] = [];
    for await (const row of deliveriesTable(h.services).listEntities({ queryOptions: { filter: `PartitionKey eq '${deliveryPartition(h.contoso, endpointId)}'` } })) {
      left.push(String(row.rowKey));
    }
    for (const item of old) expect(left).not.toContain(deliveryIdFor(item));
    for (const item of kept) expect(left).toContain(deliveryIdFor(item));
  });
});

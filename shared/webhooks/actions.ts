/**
 * The console's manual actions on an endpoint: send a test event, and redeliver a logged delivery (a new round of
 * attempts on the same row, with the same event id). Both are audited and run through the delivery queue.
 */
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { statusOf } from '../base/errors.js';
import { HttpError } from '../http/problem.js';
import type { EventRecorder } from '../events/event.js';
import type { CorePorts } from '../ports.js';
import { deliveriesTable, deliveryIdFor, deliveryPartition, deliveryView, newDeliveryRow, readDelivery, testEventId, type DeliveryView } from './deliveries.js';
import { webhookQueueName } from './delivery.js';
import { readEndpoint, testEventType } from './endpoints.js';
import { takeTestSlot } from './limits.js';

/** The actions are audited (`events` records the audit entry's event) and queue the delivery's attempt. */
export type WebhookActionDeps = Pick<CorePorts, 'tables' | 'clock' | 'log' | 'queues'> & { readonly events: EventRecorder };

export const testDeliverySchema = z.object({
  deliveryId: z.string(),
  eventId: z.string(),
  status: z.literal('pending'),
});

function attemptMessage(tenantId: string, endpointId: string, deliveryId: string, round: number) {
  return {
    messageId: `${endpointId}:${deliveryId}:${round}:1:s`,
    body: { kind: 'attempt', tenantId, endpointId, deliveryId, round, attempt: 1 },
  };
}

async function enabledEndpoint(services: Pick<CorePorts, 'tables'>, tenantId: string, endpointId: string) {
  const endpoint = await readEndpoint(services, tenantId, endpointId);
  if (!endpoint) throw new HttpError(404, `No webhook endpoint ${endpointId} exists in this tenant.`);
  if (!endpoint.enabled) throw new HttpError(409, 'The endpoint is disabled; enable it first (PATCH with `enabled: true`).');
  return endpoint;
}

/**
 * Queues a `webhook.test` event to this endpoint only (whatever its types); 202 with the delivery to follow. At most 10
 * a minute per endpoint, across instances: beyond, 429 with `Retry-After`.
 */
export async function sendTestEvent(services: WebhookActionDeps, principal: ConsolePrincipal, endpointId: string): Promise<z.output<typeof testDeliverySchema>> {
  await enabledEndpoint(services, principal.tenantId, endpointId);
  const now = services.clock.now();
  // At most 10 a minute per endpoint (429 with Retry-After beyond), before anything is written.
  await takeTestSlot(services, principal.tenantId, endpointId, now.getTime());
  const event = {
    id: testEventId(now),
    type: testEventType,
    occurredAt: now.toISOString(),
    tenantId: principal.tenantId,
    data: { endpointId, message: 'A test event from MTD Connector.', requestedBy: principal.name },
  };
  const deliveryId = deliveryIdFor(event);
  await audited(services, principal, { action: 'webhook.test', target: endpointId }, async () => {
    const row = newDeliveryRow(event, JSON.stringify(event), now);
    await deliveriesTable(services).createEntity({ ...row, partitionKey: deliveryPartition(principal.tenantId, endpointId), rowKey: deliveryId });
    await services.queues(webhookQueueName).send([attemptMessage(principal.tenantId, endpointId, deliveryId, 1)]);
    return { before: null, after: { deliveryId, eventId: event.id } };
  });
  return { deliveryId, eventId: event.id, status: 'pending' };
}

/** Starts a new round of attempts for a finished delivery (409 while one is under way). */
export async function redeliver(services: WebhookActionDeps, principal: ConsolePrincipal, endpointId: string, deliveryId: string): Promise<DeliveryView> {
  await enabledEndpoint(services, principal.tenantId, endpointId);
  const row = await readDelivery(services, principal.tenantId, endpointId, deliveryId);
  if (!row) throw new HttpError(404, `No delivery ${deliveryId} exists for this endpoint.`);
  if (row.status !== 'delivered' && row.status !== 'failed') {
    throw new HttpError(409, `The delivery is still ${row.status}; redeliver it once it is delivered or failed.`);
  }
  const now = services.clock.now().toISOString();
  const round = row.round + 1;
  const { partitionKey, rowKey, etag, timestamp: _ts, deliveredAt: _d, failedAt: _f, failure: _r, ...rest } = row;
  const next = { ...rest, status: 'pending' as const, round, attempt: 0, nextAttemptAt: now };
  await audited(services, principal, { action: 'webhook.redeliver', target: `${endpointId}/${deliveryId}` }, async () => {
    try {
      await deliveriesTable(services).updateEntity({ ...next, partitionKey, rowKey }, 'Replace', { etag });
    } catch (caught) {
      if (statusOf(caught) === 412) throw new HttpError(409, 'The delivery changed meanwhile; retry.');
      throw caught;
    }
    await services.queues(webhookQueueName).send([attemptMessage(principal.tenantId, endpointId, deliveryId, round)]);
    return { before: { status: row.status, round: row.round }, after: { status: 'pending', round } };
  });
  return deliveryView({ ...next, partitionKey, rowKey, etag: '' });
}

import type { InvocationContext } from '@azure/functions';
import type { QueueFunctionHandler } from './catalog.js';
import { nudgeSchema } from '../shared/devices/nudges.js';
import { createPush, type Delivery } from '../shared/compliance/push.js';
import type { Services } from '../shared/app/services.js';

/** `triggerMetadata.deliveryCountArray` of a batch trigger: how often each message was delivered. */
export function deliveryCounts(context: InvocationContext, length: number): number[] {
  const raw = context.triggerMetadata?.deliveryCountArray;
  const counts = Array.isArray(raw) ? raw : [];
  return Array.from({ length }, (_unused, index) => {
    const value: unknown = counts[index];
    return typeof value === 'number' && Number.isFinite(value) ? value : 1;
  });
}

/** Bodies arrive as parsed JSON, or as text or bytes depending on the message's content type. */
export function bodyValue(message: unknown): unknown {
  const text =
    typeof message === 'string'
      ? message
      : message instanceof Uint8Array
        ? Buffer.from(message).toString('utf8')
        : undefined;
  if (text === undefined) return message;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Service Bus queue `compliance-updates` (batch): pushes each nudged device's current state to Intune and Entra ID.
 * A malformed message is logged and dropped (never retried); a batch in which every device failed is thrown back
 * to the queue for redelivery.
 */
export const complianceUpdates = (services: Services): QueueFunctionHandler => {
  const push = createPush({
    tables: services.tables,
    clock: services.clock,
    log: services.log,
    graph: services.graph,
    queues: services.queues,
    budget: services.compliance.intuneBudget,
    batchStats: services.compliance.batchStats,
    events: services.events,
    // The partitions join one relay run of the tenant (nudges coalesce).
    relayDeviceEvents: async (tenantId, partitionKeys) => {
      await Promise.all(partitionKeys.map((partitionKey) => services.events.relay(tenantId, 'devices', partitionKey)));
    },
    ...(services.compliance.retryDelayMs ? { retryDelayMs: services.compliance.retryDelayMs } : {}),
  });
  return async (messages, context) => {
    const counts = deliveryCounts(context, messages.length);
    const deliveries: Delivery[] = [];
    messages.forEach((message, index) => {
      const parsed = nudgeSchema.safeParse(bodyValue(message));
      if (!parsed.success) {
        context.warn(`Compliance: dropped a malformed nudge (${parsed.error.issues.length} problem(s)): ${parsed.error.issues[0]?.message ?? ''}`);
        return;
      }
      deliveries.push({ nudge: parsed.data, deliveryCount: counts[index] ?? 1 });
    });
    if (deliveries.length === 0) return;
    const summary = await push(deliveries);
    context.log(
      `Compliance: ${summary.devices} devices, ${summary.intuneSent} Intune and ${summary.entraSent} Entra writes, ` +
        `${summary.unchanged} unchanged, ${summary.deferred} deferred, ${summary.throttled} throttled, ${summary.retried} retried, ` +
        `${summary.deadLettered} dead-lettered, ${summary.gone} gone, ${summary.missing} missing.`,
    );
  };
};

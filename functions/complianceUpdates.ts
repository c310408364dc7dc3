import type { QueueFunctionHandler } from './handlers.js';
import { bodyValue, deliveryCounts } from './queueMessages.js';
import { nudgeSchema } from '../shared/devices/complianceNudges.js';
import { createPush } from '../shared/compliance/push.js';
import type { Delivery } from '../shared/compliance/pushWork.js';
import type { Services } from '../shared/app/services.js';

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

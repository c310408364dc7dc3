import type { QueueFunctionHandler } from './handlers.js';
import { bodyValue, messageMetadata } from './queueMessages.js';
import { runOffboardJob, runRelayJob, runTenantJob } from '../shared/app/tenantJobs.js';
import { offboardJobSchema, relayJobSchema, tenantJobSchema, tenantJobsMaxDeliveryCount } from '../shared/jobs/messages.js';
import type { Services } from '../shared/app/services.js';
import { redact } from '../shared/errorReports/errorReports.js';
import { toError } from '../shared/base/errors.js';
import { parseTraceparent } from '../shared/telemetry/index.js';

/**
 * Service Bus queue `tenant-jobs` (one message per invocation): runs one tenant's job (discovery, disconnect sweep,
 * connector heartbeat, reconcile or mail), a tenant's event relay, or one step of a tenant's offboarding. A malformed message is logged and dropped; a job that fails throws, so
 * Service Bus delivers it again (and on the last delivery it is reported and rescheduled before it is dead-lettered).
 */
export const tenantJobs =
  (services: Services): QueueFunctionHandler =>
  async (messages, context) => {
    const { messageId, deliveryCount } = messageMetadata(context);
    for (const message of messages) {
      const offboard = offboardJobSchema.safeParse(bodyValue(message));
      if (offboard.success) {
        const started = Date.now();
        const op = parseTraceparent(offboard.data.traceparent)?.traceId ?? '-';
        try {
          const result = await runOffboardJob(services, offboard.data, { messageId, deliveryCount, maxDeliveryCount: tenantJobsMaxDeliveryCount });
          context.log(`Tenant job offboard op=${op} tenant=${offboard.data.tenantId} msg=${messageId} delivery=${deliveryCount}: ${result.status} ${Date.now() - started}ms`);
        } catch (caught) {
          context.warn(
            `Tenant job offboard op=${op} tenant=${offboard.data.tenantId} msg=${messageId} delivery=${deliveryCount} failed ` +
              `${Date.now() - started}ms: ${redact(toError(caught).message)}`,
          );
          throw caught;
        }
        continue;
      }
      const relay = relayJobSchema.safeParse(bodyValue(message));
      if (relay.success) {
        const started = Date.now();
        const op = parseTraceparent(relay.data.traceparent)?.traceId ?? '-';
        const result = await runRelayJob(services, relay.data, { messageId, deliveryCount });
        context.log(`Tenant job relay op=${op} tenant=${relay.data.tenantId} msg=${messageId}: ${result.detail ?? result.status} ${Date.now() - started}ms`);
        continue;
      }
      const parsed = tenantJobSchema.safeParse(bodyValue(message));
      if (!parsed.success) {
        context.warn(`Tenant job: dropped a malformed message ${messageId}: ${parsed.error.issues[0]?.message ?? ''}`);
        continue;
      }
      const job = parsed.data;
      const started = Date.now();
      const op = parseTraceparent(job.traceparent)?.traceId ?? '-';
      try {
        const result = await runTenantJob(services, job, { messageId, deliveryCount, maxDeliveryCount: tenantJobsMaxDeliveryCount });
        context.log(
          `Tenant job ${job.job} op=${op} tenant=${job.tenantId} msg=${messageId} delivery=${deliveryCount}: ${result.status}` +
            `${result.detail ? ` (${result.detail})` : ''} ${Date.now() - started}ms`,
        );
      } catch (caught) {
        context.warn(
          `Tenant job ${job.job} op=${op} tenant=${job.tenantId} msg=${messageId} delivery=${deliveryCount} failed ` +
            `${Date.now() - started}ms: ${redact(toError(caught).message)}`,
        );
        throw caught;
      }
    }
  };

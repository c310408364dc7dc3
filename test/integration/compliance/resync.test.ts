/**
 * A change of what is enforced re-pushes every device of the tenant, through a resync job in slices. When that
 * resync is cut short (here: the queue refuses its messages), the change is still saved and counted, and the
 * reconcile timer finishes the resync once, not on every run.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConsolePrincipal } from '../../../shared/auth/console.js';
import { ManualClock } from '../../../shared/base/clock.js';
import { reconcile } from '../../../shared/compliance/reconcile.js';
import { updateConnectorSettings } from '../../../shared/console/connectorSettings.js';
import { readConnectorSettings } from '../../../shared/tenants/tenantConfig.js';
import type { QueueMessage, QueueSenders } from '../../../shared/queues/queue.js';
import { createServices } from '../../../shared/app/services.js';
import { provisionTenant, quietLog, simConfig } from '../enrollment/harness.js';
import { seedDevice } from '../devices/deviceRows.js';
import { createTestTableStore } from '../../support/tables.js';
import { runSliceMessage } from '../../../shared/app/deviceSlices.js';
import { sliceMessageSchema, sliceQueueName } from '../../../shared/slices/sliceJobs.js';
import { complianceQueueName } from '../../../shared/devices/complianceNudges.js';

// Nothing here reaches Graph or SendGrid: the upstream URLs are never called.
const config = simConfig('https://127.0.0.1:9');

describe('resync after a change of what is enforced', () => {
  it('is finished by reconcile when the settings change could not nudge every device', async () => {
    const tables = await createTestTableStore();
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    const tenantId = randomUUID();
    await provisionTenant(tables, tenantId, randomUUID(), clock.now().toISOString());
    const deviceIds = [randomUUID(), randomUUID(), randomUUID()];
    for (const deviceId of deviceIds) await seedDevice(tables, tenantId, { deviceId, userId: randomUUID(), status: 'active' });

    let queueWorks = false;
    const sent: QueueMessage[] = [];
    const slices: QueueMessage[] = [];
    const queues: QueueSenders = (name) => ({
      send: (messages) => {
        if (!queueWorks) return Promise.reject(new Error('Service Bus unavailable'));
        if (name === sliceQueueName) slices.push(...messages);
        if (name === complianceQueueName) sent.push(...messages);
        return Promise.resolve();
      },
    });
    const services = createServices(config, { tables, clock, log: quietLog, queues });
    /** Runs the slices sent so far, as the `device-slices` queue function would. */
    const runSlices = async (): Promise<void> => {
      for (const message of slices.splice(0)) await runSliceMessage(services, sliceMessageSchema.parse(message.body));
    };
    const admin: ConsolePrincipal = { tenantId, userId: randomUUID(), name: 'Admin', upn: 'admin@contoso.test', access: 'full' };

    const after = await updateConnectorSettings(services, admin, { enforcement: { entraDeviceAttribute: 'extensionAttribute7' } });
    expect(after.enforcement.entraDeviceAttribute).toBe('extensionAttribute7');
    expect((await readConnectorSettings(tables, tenantId)).enforcement.entraDeviceAttribute).toBe('extensionAttribute7');
    expect(sent).toEqual([]);

    queueWorks = true;
    await reconcile(services);
    expect(slices).toHaveLength(16);
    await runSlices();
    const nudged = sent.map((message) => (message.body as { deviceId: string }).deviceId).sort();
    expect(nudged).toEqual([...deviceIds].sort());

    // Done once: the next run has nothing left to resync.
    sent.length = 0;
    await reconcile(services);
    expect(slices).toEqual([]);
    expect(sent).toEqual([]);

    // A later change that is not about enforcement resyncs nothing.
    await updateConnectorSettings(services, admin, { disconnectedAfterDays: 9 });
    await reconcile(services);
    expect(slices).toEqual([]);
    expect(sent).toEqual([]);
  });
});

/**
 * A classification PUT saves the policy and answers with its re-grade job at once. When the job's slices could not
 * be sent (Service Bus down right after the policy was saved), nothing is lost: the job stays `running`, and reading
 * it a minute after its slices were due sends them, after which the devices are re-graded and the job completes.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import functions from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import { deviceSlices } from '../../../functions/deviceSlices.js';
import { anyEntity, listAll, odata } from '../../../shared/storage/index.js';
import { azuriteConnectionString } from '../../support/tables.js';
import type { ConsolePrincipal } from '../../../shared/auth/console.js';
import { ManualClock } from '../../../shared/base/clock.js';
import { complianceQueueName } from '../../../shared/devices/complianceNudges.js';
import { getRegrade, setClassificationLevel } from '../../../shared/console/classifications.js';
import { readDevice } from '../../../shared/devices/deviceRepository.js';
import type { QueueMessage, QueueSenders } from '../../../shared/queues/queue.js';
import { createServices } from '../../../shared/app/services.js';
import { runSliceMessage } from '../../../shared/app/deviceSlices.js';
import { sliceMessageSchema, sliceQueueName } from '../../../shared/slices/sliceJobs.js';
import { readOverrides } from '../../../shared/tenants/tenantConfig.js';
import { createTestTableStore } from '../../support/tables.js';
import { seedAdwareDevice } from '../devices/deviceRows.js';
import { provisionTenant, quietLog, simConfig } from '../enrollment/harness.js';

const config = simConfig('https://127.0.0.1:9');
const { InvocationContext } = functions;

describe('a re-grade job whose slices were not sent', () => {
  it('is finished once it is read a minute after its slices were due', async () => {
    const tables = await createTestTableStore();
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    const tenantId = randomUUID();
    await provisionTenant(tables, tenantId, randomUUID(), clock.now().toISOString());
    const at = clock.now().toISOString();
    const deviceIds = [randomUUID(), randomUUID(), randomUUID()];
    for (const [index, deviceId] of deviceIds.entries()) {
      await seedAdwareDevice(tables, tenantId, deviceId, index, at);
    }

    let serviceBusUp = false;
    const slices: QueueMessage[] = [];
    const nudges: QueueMessage[] = [];
    const queues: QueueSenders = (name) => ({
      send: (messages) => {
        if (!serviceBusUp) return Promise.reject(new Error('Service Bus unavailable'));
        if (name === sliceQueueName) slices.push(...messages);
        if (name === complianceQueueName) nudges.push(...messages);
        return Promise.resolve();
      },
    });
    const services = createServices(config, { tables, clock, log: quietLog, queues });
    const admin: ConsolePrincipal = { tenantId, userId: randomUUID(), name: 'Admin', upn: 'admin@contoso.test', access: 'full' };

    const { regrade } = await setClassificationLevel(services, admin, 'ADWARE', 'high');
    expect(regrade).toMatchObject({ status: 'running', devicesChanged: 0, classifications: ['ADWARE'] });
    expect(await readOverrides(tables, tenantId)).toEqual({ ADWARE: 'high' });
    expect(slices).toEqual([]);

    // Read at once: still waiting for its slices, nothing is sent again yet.
    serviceBusUp = true;
    expect(await getRegrade(services, tenantId, regrade.id)).toMatchObject({ status: 'running', devicesTotal: 0 });
    expect(slices).toEqual([]);

    // A minute after they were due, reading the job sends them; they re-grade the devices.
    clock.advance(2 * 60_000);
    expect((await getRegrade(services, tenantId, regrade.id))?.status).toBe('running');
    expect(slices).toHaveLength(16);
    for (const message of slices.splice(0)) await runSliceMessage(services, sliceMessageSchema.parse(message.body));
    expect(await getRegrade(services, tenantId, regrade.id)).toMatchObject({ status: 'completed', devicesChanged: 3, devicesTotal: 3 });
    for (const deviceId of deviceIds) expect((await readDevice(tables, tenantId, deviceId))?.riskLevel).toBe('high');
    expect(nudges.map((message) => (message.body as { deviceId: string }).deviceId).sort()).toEqual([...deviceIds].sort());

    // Another tenant cannot read it.
    expect(await getRegrade(services, randomUUID(), regrade.id)).toBeUndefined();
  });
});

describe('a re-grade slice that fails every delivery', () => {
  it('is reported and tried again later from its progress, so its job completes instead of staying running', async () => {
    const tables = await createTestTableStore();
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    const tenantId = randomUUID();
    await provisionTenant(tables, tenantId, randomUUID(), clock.now().toISOString());
    const at = clock.now().toISOString();
    const deviceId = randomUUID();
    await seedAdwareDevice(tables, tenantId, deviceId, 0, at);
    const slices: QueueMessage[] = [];
    const queues: QueueSenders = (name) => ({
      send: (messages) => {
        if (name === sliceQueueName) slices.push(...messages);
        return Promise.resolve();
      },
    });
    const services = createServices(config, { tables, clock, log: quietLog, queues });
    const admin: ConsolePrincipal = { tenantId, userId: randomUUID(), name: 'Admin', upn: 'admin@contoso.test', access: 'full' };
    const { regrade } = await setClassificationLevel(services, admin, 'ADWARE', 'high');
    const first = slices.splice(0);
    expect(first).toHaveLength(16);

    // The threat rows cannot be read, on the last allowed delivery of every slice.
    const broken = TableClient.fromConnectionString(azuriteConnectionString(), 'Nosuchthreattable', { allowInsecureConnection: true });
    const failing = createServices(config, { tables: { ...tables, table: (name) => (name === 'threats' ? broken : tables.table(name)) }, clock, log: quietLog, queues });
    const lastDelivery = new InvocationContext({ functionName: 'deviceSlices', invocationId: 'x', triggerMetadata: { deliveryCountArray: first.map(() => 10) } });
    await deviceSlices(failing)(first.map((message) => message.body), lastDelivery);
    // Reported, and every slice sent again for later under a new id (duplicate detection would drop the old one).
    const reports = await collectAll(listAll(tables.table('errorReports'), { schema: anyEntity, filter: odata`PartitionKey eq ${tenantId}` }));
    expect(reports.map((report) => report.kind)).toEqual(['dead-letter']);
    expect(slices).toHaveLength(16);
    for (const message of slices) {
      expect(message.messageId).not.toBe(first.find((original) => JSON.stringify(original.body) === JSON.stringify(message.body))?.messageId);
      expect(message.scheduledEnqueueTimeUtc?.getTime()).toBe(clock.now().getTime() + 15 * 60_000);
    }
    expect((await getRegrade(services, tenantId, regrade.id))?.status).toBe('running');

    // Once the trouble has passed, the retries finish the job.
    clock.advance(15 * 60_000);
    const retry = new InvocationContext({ functionName: 'deviceSlices', invocationId: 'y', triggerMetadata: { deliveryCountArray: slices.map(() => 1) } });
    await deviceSlices(services)(slices.splice(0).map((message) => message.body), retry);
    expect(await getRegrade(services, tenantId, regrade.id)).toMatchObject({ status: 'completed', devicesChanged: 1, devicesTotal: 1 });
    expect((await readDevice(tables, tenantId, deviceId))?.riskLevel).toBe('high');
  });
});

async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

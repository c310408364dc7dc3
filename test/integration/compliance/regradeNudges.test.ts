/**
 * A re-grade slice hands its devices to the push as it writes them: nudges leave in groups of one Intune `$batch`
 * (20) while the slice is still running, not once per chunk of 100, so the first window after a change already has
 * work to push. The devices' threats are read a partition at a time, and every device is graded and nudged once.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { mapLimit } from '../../../shared/base/mapLimit.js';
import type { ConsolePrincipal } from '../../../shared/auth/console.js';
import { getRegrade, setClassificationLevel } from '../../../shared/console/classifications.js';
import { createServices } from '../../../shared/app/services.js';
import { runSliceMessage } from '../../../shared/app/deviceSlices.js';
import { complianceQueueName } from '../../../shared/devices/complianceNudges.js';
import { readDevice } from '../../../shared/devices/deviceRepository.js';
import type { QueueSenders } from '../../../shared/queues/queue.js';
import { sliceMessageSchema, sliceQueueName, type SliceMessage } from '../../../shared/slices/sliceJobs.js';
import { createTestTableStore } from '../../support/tables.js';
import { seedAdwareDevice } from '../devices/deviceRows.js';
import { provisionTenant, quietLog, simConfig } from '../enrollment/harness.js';

const config = simConfig('https://127.0.0.1:9');

describe('a re-grade slice', () => {
  it('sends its nudges in groups of at most 20 while it runs, each device once', async () => {
    const tables = await createTestTableStore();
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    const tenantId = randomUUID();
    await provisionTenant(tables, tenantId, randomUUID(), clock.now().toISOString());
    const at = clock.now().toISOString();
    // 60 devices of slice 0 (partitions 00..0f), in four partitions: three groups of nudges.
    const deviceIds = Array.from({ length: 60 }, (_unused, n) => `0${(n % 4).toString(16)}${n.toString(16).padStart(6, '0')}-0000-4000-8000-000000000000`);
    await mapLimit([...deviceIds.entries()], 8, async ([index, deviceId]) => {
      await seedAdwareDevice(tables, tenantId, deviceId, index, at);
    });

    const slices: SliceMessage[] = [];
    const sends: { size: number; jobRunning: boolean }[] = [];
    const nudged: string[] = [];
    let regradeId = '';
    const services = createServices(config, {
      tables,
      clock,
      log: quietLog,
      queues: ((name) => ({
        send: async (messages) => {
          if (name === sliceQueueName) slices.push(...messages.map((message) => sliceMessageSchema.parse(message.body)));
          if (name === complianceQueueName) {
            const job = await getRegrade(services, tenantId, regradeId);
            sends.push({ size: messages.length, jobRunning: job?.status === 'running' });
            nudged.push(...messages.map((message) => (message.body as { deviceId: string }).deviceId));
          }
        },
      })) satisfies QueueSenders,
    });
    const admin: ConsolePrincipal = { tenantId, userId: randomUUID(), name: 'Admin', upn: 'admin@contoso.test', access: 'full' };
    const { regrade } = await setClassificationLevel(services, admin, 'ADWARE', 'high');
    regradeId = regrade.id;
    const first = slices.find((message) => message.slice === 0);
    if (!first) throw new Error('no slice 0');
    await runSliceMessage(services, first);

    expect(nudged.sort()).toEqual([...deviceIds].sort());
    expect(sends.length).toBeGreaterThanOrEqual(Math.ceil(deviceIds.length / 20));
    for (const send of sends) expect(send.size).toBeLessThanOrEqual(20);
    // Every group went out before the slice had finished.
    expect(sends.every((send) => send.jobRunning)).toBe(true);
    for (const deviceId of deviceIds) expect((await readDevice(tables, tenantId, deviceId))?.riskLevel).toBe('high');
  }, 120_000);
});

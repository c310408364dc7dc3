import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalQueue, QueueError, type LocalQueueOptions } from '../../../dev/host/queue.js';

interface Delivery {
  bodies: unknown[];
  metadata: Record<string, unknown>;
}

const queues: LocalQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((queue) => queue.close()));
});

/** A queue whose handler records every delivery and fails while `fail` says so. */
function recordingQueue(options: Partial<LocalQueueOptions> & { fail?: (bodies: unknown[]) => boolean } = {}) {
  const deliveries: Delivery[] = [];
  const { fail, ...rest } = options;
  const queue = new LocalQueue({
    name: 'test-queue',
    retryDelayMs: () => 5,
    handler: (messages: unknown[], context: InvocationContext) => {
      deliveries.push({ bodies: messages, metadata: context.triggerMetadata ?? {} });
      if (fail?.(messages)) return Promise.reject(new Error('downstream said no'));
      return Promise.resolve();
    },
    ...rest,
  });
  queues.push(queue);
  return { queue, deliveries };
}

describe('LocalQueue', () => {
  it('delivers a batch with the trigger metadata arrays and completes it', async () => {
    const { queue, deliveries } = recordingQueue();
    await queue.send([
      { messageId: 'd1:1', body: { deviceId: 'd1', version: 1 } },
      { messageId: 'd2:1', body: { deviceId: 'd2', version: 1 } },
    ]);
    await queue.drain();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.bodies).toEqual([
      { deviceId: 'd1', version: 1 },
      { deviceId: 'd2', version: 1 },
    ]);
    expect(deliveries[0]?.metadata.messageIdArray).toEqual(['d1:1', 'd2:1']);
    expect(deliveries[0]?.metadata.deliveryCountArray).toEqual([1, 1]);
    const enqueued = deliveries[0]?.metadata.enqueuedTimeUtcArray;
    expect(Array.isArray(enqueued) && enqueued.every((value) => typeof value === 'string' && !Number.isNaN(Date.parse(value)))).toBe(true);
    expect(queue.counts()).toEqual({ active: 0, scheduled: 0, locked: 0, deadLettered: 0 });
  });

  it('redelivers a failed message with an incremented delivery count', async () => {
    let failures = 2;
    const { queue, deliveries } = recordingQueue({ fail: () => failures-- > 0 });
    await queue.send([{ messageId: 'm1', body: 'x' }]);
    await queue.drain();
    expect(deliveries.map((delivery) => delivery.metadata.deliveryCountArray)).toEqual([[1], [2], [3]]);
    expect(queue.counts().deadLettered).toBe(0);
  });

  it('dead-letters after 10 deliveries with the reason and the error', async () => {
    const lines: string[] = [];
    const { queue, deliveries } = recordingQueue({ fail: () => true, log: (line) => lines.push(line) });
    await queue.send([{ messageId: 'poison', body: { n: 1 } }]);
    await queue.drain();
    expect(deliveries).toHaveLength(10);
    const { deadLettered, active } = queue.snapshot();
    expect(active).toHaveLength(0);
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]).toMatchObject({
      messageId: 'poison',
      body: { n: 1 },
      deliveryCount: 10,
      deadLetterReason: 'MaxDeliveryCountExceeded',
    });
    expect(deadLettered[0]?.deadLetterErrorDescription).toContain('downstream said no');
    expect(lines.some((line) => line.startsWith('QUEUE test-queue dead-lettered poison: MaxDeliveryCountExceeded'))).toBe(true);
    expect(lines.some((line) => line.includes('retried 1 msg (delivery 9)'))).toBe(true);
  });

  it('keeps a scheduled message invisible until its time', async () => {
    const { queue, deliveries } = recordingQueue();
    const at = new Date(Date.now() + 400);
    await queue.send([{ messageId: 'later', body: 1, scheduledEnqueueTimeUtc: at }]);
    expect(queue.counts()).toMatchObject({ scheduled: 1, active: 0 });
    await queue.drain();
    expect(deliveries).toHaveLength(0);
    // Waits for the delivery (however busy the machine), then checks it did not come before its time.
    const deadline = Date.now() + 20_000;
    while (deliveries.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await queue.drain();
    }
    const deliveredAt = Date.now();
    expect(deliveries).toHaveLength(1);
    expect(deliveredAt).toBeGreaterThanOrEqual(at.getTime());
    expect(Date.parse(String((deliveries[0]?.metadata.enqueuedTimeUtcArray as unknown[])[0]))).toBe(at.getTime());
    expect((deliveries[0]?.metadata.scheduledEnqueueTimeUtcArray as unknown[])[0]).toBe(at.toISOString());
  });

  it('drops a second send of the same message id within the window, and accepts it after', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = { now: () => new Date(now) };
    const queue = new LocalQueue({ name: 'dedupe', clock, duplicateDetectionWindowMs: 60_000 });
    queues.push(queue);
    await queue.send([{ messageId: 'a', body: 1 }]);
    await queue.send([{ messageId: 'a', body: 2 }, { messageId: 'b', body: 3 }]);
    expect(queue.snapshot().active.map((message) => [message.messageId, message.body])).toEqual([
      ['a', 1],
      ['b', 3],
    ]);
    // Still a duplicate after the first copy was consumed.
    const [first] = queue.receive(1);
    queue.complete(first?.lockToken ?? '');
    now += 59_000;
    await queue.send([{ messageId: 'a', body: 4 }]);
    expect(queue.counts().active).toBe(1);
    now += 2_000;
    await queue.send([{ messageId: 'a', body: 5 }]);
    expect(queue.snapshot().active.map((message) => message.body)).toEqual([3, 5]);
  });

  it('delivers in batches of at most maxBatchSize', async () => {
    const { queue, deliveries } = recordingQueue({ maxBatchSize: 4 });
    await queue.send(Array.from({ length: 10 }, (_, i) => ({ messageId: `m${i}`, body: i })));
    await queue.drain();
    expect(deliveries.map((delivery) => delivery.bodies.length)).toEqual([4, 4, 2]);
    expect(deliveries.flatMap((delivery) => delivery.bodies)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('defaults to batches of 100', async () => {
    const { queue, deliveries } = recordingQueue();
    await queue.send(Array.from({ length: 150 }, (_, i) => ({ messageId: `m${i}`, body: i })));
    await queue.drain();
    expect(deliveries.map((delivery) => delivery.bodies.length)).toEqual([100, 50]);
  });

  it('hides locked messages from other receivers and redelivers when the lock expires', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const queue = new LocalQueue({ name: 'peeklock', clock: { now: () => new Date(now) }, lockDurationMs: 30_000 });
    queues.push(queue);
    await queue.send([{ messageId: 'x', body: 'payload' }]);
    const [first] = queue.receive(5);
    expect(first).toMatchObject({ messageId: 'x', deliveryCount: 1, body: 'payload' });
    expect(queue.receive(5)).toEqual([]);
    expect(queue.counts()).toMatchObject({ locked: 1, active: 0 });
    now += 30_000;
    expect(() => queue.complete(first?.lockToken ?? '')).toThrow(QueueError);
    now += 1_000;
    const [second] = queue.receive(5);
    expect(second).toMatchObject({ messageId: 'x', deliveryCount: 2 });
    queue.complete(second?.lockToken ?? '');
    expect(queue.counts()).toEqual({ active: 0, scheduled: 0, locked: 0, deadLettered: 0 });
  });

  it('keeps pending messages and dead letters across a restart when persisted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'localqueue-'));
    try {
      const file = join(dir, 'queues', 'q.json');
      const first = new LocalQueue({ name: 'q', persistFile: file });
      await first.send([{ messageId: 'kept', body: { a: 1 } }]);
      const [received] = first.receive(1);
      first.deadLetter(received?.lockToken ?? '', 'Poisoned', 'bad body');
      await first.send([{ messageId: 'pending', body: { b: 2 } }]);
      await first.close();

      const second = new LocalQueue({ name: 'q', persistFile: file });
      queues.push(second);
      expect(second.snapshot().active.map((message) => message.messageId)).toEqual(['pending']);
      expect(second.snapshot().deadLettered).toMatchObject([{ messageId: 'kept', deadLetterReason: 'Poisoned' }]);
      await second.send([{ messageId: 'pending', body: 'duplicate' }]);
      expect(second.counts().active).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a message without an id', async () => {
    const queue = new LocalQueue({ name: 'strict' });
    queues.push(queue);
    await expect(queue.send([{ messageId: '', body: 1 }])).rejects.toThrow(QueueError);
    await expect(queue.send([{ messageId: 'big', body: 'x'.repeat(300 * 1024) }])).rejects.toThrow(/exceeds/);
    expect(queue.counts().active).toBe(0);
  });
});

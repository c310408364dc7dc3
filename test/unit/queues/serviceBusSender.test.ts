import { describe, expect, it } from 'vitest';
import type { ServiceBusMessage } from '@azure/service-bus';
import { batchingQueueSenders, MessageTooLarge, type BatchingSenderLike, type MessageBatchLike } from '../../../shared/queues/serviceBusSender.js';

/** A fake of the SDK's narrow surface: batches hold `capacity` bytes of JSON bodies. */
class FakeBatch implements MessageBatchLike {
  readonly messages: ServiceBusMessage[] = [];
  private size = 0;
  constructor(private readonly capacity: number) {}
  get count(): number {
    return this.messages.length;
  }
  tryAddMessage(message: ServiceBusMessage): boolean {
    const bytes = JSON.stringify(message.body).length;
    if (this.size + bytes > this.capacity) return false;
    this.size += bytes;
    this.messages.push(message);
    return true;
  }
}

function fakeSender(capacity: number): BatchingSenderLike<FakeBatch> & { sent: FakeBatch[]; closed: boolean } {
  const sender = {
    sent: [] as FakeBatch[],
    closed: false,
    createMessageBatch: () => Promise.resolve(new FakeBatch(capacity)),
    sendMessages: (batch: FakeBatch) => {
      sender.sent.push(batch);
      return Promise.resolve();
    },
    close: () => {
      sender.closed = true;
      return Promise.resolve();
    },
  };
  return sender;
}

describe('the Service Bus sender', () => {
  it('sends as few batches as the size allows, keeping ids, bodies and scheduled times', async () => {
    const created: string[] = [];
    const senders = new Map<string, ReturnType<typeof fakeSender>>();
    const queues = batchingQueueSenders((name) => {
      created.push(name);
      const sender = fakeSender(100);
      senders.set(name, sender);
      return sender;
    });
    const at = new Date('2026-03-01T10:00:00Z');
    const messages = Array.from({ length: 7 }, (_u, i) => ({ messageId: `d${i}:1`, body: { n: `${i}`.padStart(20, '0') }, ...(i === 3 ? { scheduledEnqueueTimeUtc: at } : {}) }));
    await queues('compliance-updates').send(messages);
    await queues('compliance-updates').send([]);
    const sender = senders.get('compliance-updates');
    expect(created).toEqual(['compliance-updates']);
    expect(sender?.sent.map((batch) => batch.count)).toEqual([3, 3, 1]);
    const sent = sender?.sent.flatMap((batch) => batch.messages) ?? [];
    expect(sent.map((m) => m.messageId)).toEqual(messages.map((m) => m.messageId));
    expect(sent[3]?.scheduledEnqueueTimeUtc).toEqual(at);
    expect(sent[0]?.scheduledEnqueueTimeUtc).toBeUndefined();
    await queues.close();
    expect(sender?.closed).toBe(true);
  });

  it('refuses a message that fits in no batch', async () => {
    const queues = batchingQueueSenders(() => fakeSender(10));
    await expect(queues('q').send([{ messageId: 'big', body: { text: 'x'.repeat(50) } }])).rejects.toBeInstanceOf(MessageTooLarge);
  });
});

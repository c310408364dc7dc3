/**
 * The Azure adapter of `QueueSenders`: Service Bus with the app's managed identity (identity-based connection
 * `ServiceBusConnection__fullyQualifiedNamespace`, `ServiceBusConnection__clientId`). Messages go out in batches
 * (`createMessageBatch`), as many batches as their size needs; one sender per queue, created on first use and kept.
 * Message ids make Service Bus duplicate detection drop a nudge already accepted; a scheduled enqueue time keeps a
 * re-sent nudge invisible until then.
 */
import { ServiceBusClient } from '@azure/service-bus';
import type { ServiceBusMessage, ServiceBusMessageBatch } from '@azure/service-bus';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import type { QueueMessage, QueueSender, QueueSenders } from './queue.js';

/** The part of a `ServiceBusMessageBatch` the adapter uses. */
export interface MessageBatchLike {
  tryAddMessage(message: ServiceBusMessage): boolean;
  readonly count: number;
}

/** The part of a `ServiceBusSender` the adapter uses. */
export interface BatchingSenderLike<B extends MessageBatchLike = MessageBatchLike> {
  createMessageBatch(): Promise<B>;
  sendMessages(batch: B): Promise<void>;
  close(): Promise<void>;
}

export class MessageTooLarge extends Error {
  readonly code = 'ERR_MESSAGE_TOO_LARGE';
  constructor(
    readonly queueName: string,
    readonly messageId: string,
  ) {
    super(`Message ${messageId} does not fit in a Service Bus batch for queue ${queueName}`);
    this.name = 'MessageTooLarge';
  }
}

function toServiceBusMessage(message: QueueMessage): ServiceBusMessage {
  return {
    messageId: message.messageId,
    body: message.body,
    contentType: 'application/json',
    ...(message.scheduledEnqueueTimeUtc ? { scheduledEnqueueTimeUtc: message.scheduledEnqueueTimeUtc } : {}),
  };
}

/** Sends messages through `sender` in as few batches as their size allows. */
export async function sendInBatches<B extends MessageBatchLike>(
  sender: BatchingSenderLike<B>,
  queueName: string,
  messages: readonly QueueMessage[],
): Promise<number> {
  let batches = 0;
  let batch: B | undefined;
  for (const message of messages) {
    const converted = toServiceBusMessage(message);
    batch ??= await sender.createMessageBatch();
    if (batch.tryAddMessage(converted)) continue;
    if (batch.count === 0) throw new MessageTooLarge(queueName, message.messageId);
    await sender.sendMessages(batch);
    batches += 1;
    batch = await sender.createMessageBatch();
    if (!batch.tryAddMessage(converted)) throw new MessageTooLarge(queueName, message.messageId);
  }
  if (batch && batch.count > 0) {
    await sender.sendMessages(batch);
    batches += 1;
  }
  return batches;
}

/** Senders for named queues over one factory of SDK senders, one per queue, cached. */
export function batchingQueueSenders<B extends MessageBatchLike>(
  createSender: (queueName: string) => BatchingSenderLike<B>,
): QueueSenders & { close(): Promise<void> } {
  const senders = new Map<string, BatchingSenderLike<B>>();
  const wrappers = new Map<string, QueueSender>();
  const resolve = (queueName: string): QueueSender => {
    let wrapper = wrappers.get(queueName);
    if (!wrapper) {
      wrapper = {
        send: async (messages) => {
          if (messages.length === 0) return;
          let sender = senders.get(queueName);
          if (!sender) {
            sender = createSender(queueName);
            senders.set(queueName, sender);
          }
          await sendInBatches(sender, queueName, messages);
        },
      };
      wrappers.set(queueName, wrapper);
    }
    return wrapper;
  };
  return Object.assign(resolve, {
    close: async () => {
      await Promise.all([...senders.values()].map((sender) => sender.close()));
      senders.clear();
    },
  });
}

export interface ServiceBusSettings {
  /** `<namespace>.servicebus.windows.net`. */
  readonly fullyQualifiedNamespace: string;
  /** Client id of the user-assigned managed identity; without it, `DefaultAzureCredential`. */
  readonly clientId?: string | undefined;
  readonly credential?: TokenCredential;
}

/** The Service Bus adapter: one client per process, one sender per queue. */
export function createServiceBusQueueSenders(settings: ServiceBusSettings): QueueSenders & { close(): Promise<void> } {
  let client: ServiceBusClient | undefined;
  const getClient = (): ServiceBusClient => {
    if (!client) {
      const credential =
        settings.credential ??
        (settings.clientId ? new ManagedIdentityCredential({ clientId: settings.clientId }) : new DefaultAzureCredential());
      client = new ServiceBusClient(settings.fullyQualifiedNamespace, credential);
    }
    return client;
  };
  const senders = batchingQueueSenders<ServiceBusMessageBatch>((queueName) => getClient().createSender(queueName));
  return Object.assign((queueName: string) => senders(queueName), {
    close: async () => {
      await senders.close();
      await client?.close();
    },
  });
}

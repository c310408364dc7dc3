/**
 * The one port for sending queue messages. In Azure it is Service Bus (shared/compliance/serviceBusSender.ts); on one
 * machine it is the local host's stand-in (dev/host/queue.ts). Both honour the message id for duplicate detection and
 * the scheduled enqueue time.
 */
export interface QueueMessage {
  /** Duplicate detection key, e.g. `{deviceId}:{version}`. */
  readonly messageId: string;
  readonly body: unknown;
  /** Deliver no earlier than this (a 429's Retry-After). */
  readonly scheduledEnqueueTimeUtc?: Date;
}

export interface QueueSender {
  send(messages: readonly QueueMessage[]): Promise<void>;
}

/** Resolves the sender of a named queue. */
export type QueueSenders = (queueName: string) => QueueSender;

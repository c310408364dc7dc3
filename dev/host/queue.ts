/**
 * A stand-in for one Service Bus queue with a batch (`cardinality: 'many'`) function on it, with the semantics our
 * code relies on:
 * - peek-lock: a delivered message is locked (invisible to other receivers) until completed, abandoned or its lock
 *   expires; every delivery increments its `deliveryCount`;
 * - the function host completes a batch when the handler returns and abandons it when the handler throws; an
 *   abandoned message comes back after a short backoff, and after `maxDeliveryCount` (10) deliveries it is
 *   dead-lettered with reason `MaxDeliveryCountExceeded` and the last error as the description;
 * - a scheduled enqueue time keeps a message invisible until then;
 * - duplicate detection: a message whose id was accepted within the window (10 minutes) is silently dropped;
 * - batches of up to `maxMessageBatchSize` (host.json, 100).
 * The queue can persist its messages to a JSON file so a restart keeps pending work.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import functions from '@azure/functions';
import type { InvocationContext, LogHandler } from '@azure/functions';
import { z } from 'zod';
import { systemClock, type Clock } from '../../shared/base/clock.js';
import { toError } from '../../shared/base/errors.js';
import type { QueueMessage, QueueSender } from '../../shared/queues/queue.js';

const { InvocationContext: Context } = functions;

export type LocalQueueHandler = (messages: unknown[], context: InvocationContext) => Promise<void>;

export interface LocalQueueOptions {
  /** The queue's name (`queueName` of the catalog entry). */
  readonly name: string;
  /** The function that consumes the queue; without one, messages wait for `receive()`. */
  readonly handler?: LocalQueueHandler;
  /** Name of that function, for its InvocationContext. */
  readonly functionName?: string;
  /** host.json `extensions.serviceBus.maxMessageBatchSize`. Default 100. */
  readonly maxBatchSize?: number;
  /**
   * `many` (default): the handler gets batches, one at a time, with metadata arrays. `one`: one message per call,
   * up to `maxConcurrentCalls` calls at once (host.json `maxConcurrentCalls`), with single-value metadata.
   */
  readonly cardinality?: 'many' | 'one';
  /** Calls in flight at once with `cardinality: 'one'`. Default 16, as host.json. */
  readonly maxConcurrentCalls?: number;
  /** Default 10, as Service Bus. */
  readonly maxDeliveryCount?: number;
  /** Lock duration of `receive()`. Default 60 s, as Service Bus. */
  readonly lockDurationMs?: number;
  /** How long the function host keeps renewing a batch's lock while the handler runs. Default 5 min (host.json). */
  readonly maxAutoLockRenewalMs?: number;
  /** Duplicate detection history. Default 10 minutes, as Service Bus. */
  readonly duplicateDetectionWindowMs?: number;
  /** Delay before an abandoned message is delivered again. Default 100 ms × deliveryCount, at most 1 s. */
  readonly retryDelayMs?: (deliveryCount: number) => number;
  /** Largest serialized body accepted by `send`. Default 256 KiB (Service Bus Standard). */
  readonly maxMessageBytes?: number;
  readonly clock?: Clock;
  /** Where `context.log` of the handler goes. */
  readonly logHandler?: LogHandler;
  /** One line per event (delivered, retried, dead-lettered). Never bodies. */
  readonly log?: (line: string) => void;
  /** A JSON file that keeps messages across restarts. */
  readonly persistFile?: string;
}

export interface QueueMessageView {
  readonly messageId: string;
  readonly body: unknown;
  readonly sequenceNumber: number;
  readonly deliveryCount: number;
  readonly enqueuedTimeUtc: string;
  readonly scheduledEnqueueTimeUtc?: string;
  /** When the message is next visible (scheduled time, or the end of a retry backoff). */
  readonly availableAt: string;
  readonly lockedUntil?: string;
}

export interface DeadLetterView extends QueueMessageView {
  readonly deadLetterReason: string;
  readonly deadLetterErrorDescription: string;
  readonly deadLetteredAt: string;
}

export interface QueueSnapshot {
  readonly active: readonly QueueMessageView[];
  readonly scheduled: readonly QueueMessageView[];
  readonly locked: readonly QueueMessageView[];
  readonly deadLettered: readonly DeadLetterView[];
}

export interface QueueCounts {
  readonly active: number;
  readonly scheduled: number;
  readonly locked: number;
  readonly deadLettered: number;
}

export interface ReceivedMessage {
  readonly messageId: string;
  readonly body: unknown;
  readonly lockToken: string;
  readonly deliveryCount: number;
  readonly sequenceNumber: number;
  readonly enqueuedTimeUtc: Date;
  readonly scheduledEnqueueTimeUtc?: Date;
  readonly lockedUntil: Date;
}

export class QueueError extends Error {
  constructor(
    readonly code: 'ERR_MESSAGE_LOCK_LOST' | 'ERR_MESSAGE_INVALID' | 'ERR_QUEUE_CLOSED' | 'ERR_DRAIN_TIMEOUT',
    message: string,
  ) {
    super(message);
    this.name = 'QueueError';
  }
}

const storedMessageSchema = z.object({
  messageId: z.string(),
  bodyJson: z.string(),
  sequenceNumber: z.number().int(),
  deliveryCount: z.number().int().nonnegative(),
  enqueuedAt: z.number(),
  scheduledAt: z.number().optional(),
  availableAt: z.number(),
  lastError: z.string().optional(),
});

const deadLetterSchema = storedMessageSchema.extend({
  deadLetterReason: z.string(),
  deadLetterErrorDescription: z.string(),
  deadLetteredAt: z.number(),
});

const persistedSchema = z.object({
  version: z.literal(1),
  nextSequence: z.number().int(),
  messages: z.array(storedMessageSchema),
  deadLetters: z.array(deadLetterSchema),
  seenIds: z.array(z.tuple([z.string(), z.number()])),
});

type StoredMessage = z.infer<typeof storedMessageSchema> & { lockToken?: string; lockedUntil?: number };
type DeadLetter = z.infer<typeof deadLetterSchema>;

const iso = (ms: number): string => new Date(ms).toISOString();

export const maxDeliveryCountExceeded = 'MaxDeliveryCountExceeded';

/** The trigger metadata of a single-message invocation, as the Functions host gives it. */
function singleMetadata(message: ReceivedMessage | undefined): Record<string, unknown> {
  if (!message) return {};
  return {
    messageId: message.messageId,
    deliveryCount: message.deliveryCount,
    sequenceNumber: message.sequenceNumber,
    enqueuedTimeUtc: message.enqueuedTimeUtc.toISOString(),
    scheduledEnqueueTimeUtc: message.scheduledEnqueueTimeUtc?.toISOString() ?? null,
    lockToken: message.lockToken,
  };
}

export class LocalQueue implements QueueSender {
  readonly name: string;
  private readonly options: LocalQueueOptions;
  private readonly clock: Clock;
  private readonly maxBatchSize: number;
  private readonly maxDeliveryCount: number;
  private readonly lockDurationMs: number;
  private readonly maxAutoLockRenewalMs: number;
  private readonly windowMs: number;
  private readonly retryDelayMs: (deliveryCount: number) => number;
  private readonly maxMessageBytes: number;
  private readonly log: (line: string) => void;

  private messages: StoredMessage[] = [];
  private deadLetters: DeadLetter[] = [];
  private readonly seenIds = new Map<string, number>();
  private nextSequence = 1;

  private handler: LocalQueueHandler | undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly single: boolean;
  private readonly concurrency: number;
  private wakeTimer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private closed = false;
  private persistChain: Promise<void> = Promise.resolve();
  private persistQueued = false;

  constructor(options: LocalQueueOptions) {
    this.options = options;
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.single = options.cardinality === 'one';
    this.maxBatchSize = this.single ? 1 : Math.max(1, options.maxBatchSize ?? 100);
    this.concurrency = this.single ? Math.max(1, options.maxConcurrentCalls ?? 16) : 1;
    this.maxDeliveryCount = Math.max(1, options.maxDeliveryCount ?? 10);
    this.lockDurationMs = options.lockDurationMs ?? 60_000;
    this.maxAutoLockRenewalMs = options.maxAutoLockRenewalMs ?? 5 * 60_000;
    this.windowMs = options.duplicateDetectionWindowMs ?? 10 * 60_000;
    this.retryDelayMs = options.retryDelayMs ?? ((count) => Math.min(100 * count, 1_000));
    this.maxMessageBytes = options.maxMessageBytes ?? 256 * 1024;
    this.log = options.log ?? (() => undefined);
    this.handler = options.handler;
    if (options.persistFile) this.load(options.persistFile);
    if (this.handler) this.start();
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  // ---- sending ---------------------------------------------------------------------------------------------------

  /** Enqueues messages; one whose id was accepted within the duplicate detection window is dropped silently. */
  send(messages: readonly QueueMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new QueueError('ERR_QUEUE_CLOSED', `Queue ${this.name} is closed`));
    const now = this.now();
    let prepared: StoredMessage[];
    try {
      prepared = messages.map((message) => this.prepare(message, now));
    } catch (error) {
      return Promise.reject(toError(error));
    }
    this.forgetOldIds(now);
    for (const message of prepared) {
      if (this.seenIds.has(message.messageId)) continue;
      this.seenIds.set(message.messageId, now);
      this.messages.push(message);
    }
    this.changed();
    return Promise.resolve();
  }

  private prepare(message: QueueMessage, now: number): StoredMessage {
    if (typeof message.messageId !== 'string' || message.messageId === '' || message.messageId.length > 128) {
      throw new QueueError('ERR_MESSAGE_INVALID', `Queue ${this.name}: a message id of 1 to 128 characters is required`);
    }
    const bodyJson = JSON.stringify(message.body);
    if (bodyJson === undefined) {
      throw new QueueError('ERR_MESSAGE_INVALID', `Queue ${this.name}: message ${message.messageId} has no JSON body`);
    }
    if (Buffer.byteLength(bodyJson, 'utf8') > this.maxMessageBytes) {
      throw new QueueError('ERR_MESSAGE_INVALID', `Queue ${this.name}: message ${message.messageId} exceeds ${this.maxMessageBytes} bytes`);
    }
    const scheduledAt = message.scheduledEnqueueTimeUtc?.getTime();
    const sequenceNumber = this.nextSequence;
    this.nextSequence += 1;
    return {
      messageId: message.messageId,
      bodyJson,
      sequenceNumber,
      deliveryCount: 0,
      enqueuedAt: scheduledAt !== undefined && scheduledAt > now ? scheduledAt : now,
      ...(scheduledAt !== undefined ? { scheduledAt } : {}),
      availableAt: scheduledAt !== undefined && scheduledAt > now ? scheduledAt : now,
    };
  }

  private forgetOldIds(now: number): void {
    for (const [id, at] of this.seenIds) if (now - at >= this.windowMs) this.seenIds.delete(id);
  }

  // ---- peek-lock -------------------------------------------------------------------------------------------------

  /** Locks and returns up to `maxCount` visible messages, oldest first (peek-lock). */
  receive(maxCount = 1, lockDurationMs = this.lockDurationMs): ReceivedMessage[] {
    const now = this.now();
    this.expireLocks(now);
    const visible = this.messages
      .filter((message) => message.lockToken === undefined && message.availableAt <= now)
      .sort((a, b) => a.availableAt - b.availableAt || a.sequenceNumber - b.sequenceNumber)
      .slice(0, Math.max(1, maxCount));
    const received = visible.map((message) => {
      message.deliveryCount += 1;
      message.lockToken = randomUUID();
      message.lockedUntil = now + lockDurationMs;
      return this.received(message);
    });
    if (received.length > 0) this.changed();
    return received;
  }

  private received(message: StoredMessage): ReceivedMessage {
    return {
      messageId: message.messageId,
      body: this.body(message),
      lockToken: message.lockToken ?? '',
      deliveryCount: message.deliveryCount,
      sequenceNumber: message.sequenceNumber,
      enqueuedTimeUtc: new Date(message.enqueuedAt),
      ...(message.scheduledAt !== undefined ? { scheduledEnqueueTimeUtc: new Date(message.scheduledAt) } : {}),
      lockedUntil: new Date(message.lockedUntil ?? 0),
    };
  }

  private body(message: StoredMessage): unknown {
    return JSON.parse(message.bodyJson) as unknown;
  }

  private locked(lockToken: string): StoredMessage {
    const now = this.now();
    this.expireLocks(now);
    const message = this.messages.find((candidate) => candidate.lockToken === lockToken);
    if (!message) {
      throw new QueueError('ERR_MESSAGE_LOCK_LOST', `Queue ${this.name}: the lock is lost (expired, or the message was settled)`);
    }
    return message;
  }

  /** Removes a locked message: it was processed. */
  complete(lockToken: string): void {
    const message = this.locked(lockToken);
    this.messages = this.messages.filter((candidate) => candidate !== message);
    this.changed();
  }

  /** Releases a locked message for redelivery after a backoff, or dead-letters it after the last allowed delivery. */
  abandon(lockToken: string, error?: unknown): void {
    const message = this.locked(lockToken);
    this.release(message, error === undefined ? undefined : toError(error).message, this.now());
    this.changed();
  }

  /** Moves a locked message to the dead-letter queue. */
  deadLetter(lockToken: string, reason: string, description = ''): void {
    const message = this.locked(lockToken);
    this.moveToDeadLetter(message, reason, description, this.now());
    this.changed();
  }

  private release(message: StoredMessage, errorMessage: string | undefined, now: number): void {
    delete message.lockToken;
    delete message.lockedUntil;
    if (errorMessage !== undefined) message.lastError = errorMessage;
    if (message.deliveryCount >= this.maxDeliveryCount) {
      const description = message.lastError
        ? `Message could not be consumed after ${message.deliveryCount} delivery attempts: ${message.lastError}`
        : `Message could not be consumed after ${message.deliveryCount} delivery attempts.`;
      this.moveToDeadLetter(message, maxDeliveryCountExceeded, description, now);
      return;
    }
    message.availableAt = now + Math.max(0, this.retryDelayMs(message.deliveryCount));
  }

  private moveToDeadLetter(message: StoredMessage, reason: string, description: string, now: number): void {
    this.messages = this.messages.filter((candidate) => candidate !== message);
    const { lockToken: _lockToken, lockedUntil: _lockedUntil, ...rest } = message;
    this.deadLetters.push({ ...rest, deadLetterReason: reason, deadLetterErrorDescription: description, deadLetteredAt: now });
    this.log(`QUEUE ${this.name} dead-lettered ${message.messageId}: ${reason}: ${description}`);
  }

  private expireLocks(now: number): void {
    for (const message of [...this.messages]) {
      if (message.lockToken !== undefined && (message.lockedUntil ?? 0) <= now) {
        this.release(message, message.lastError ?? 'the message lock expired', now);
      }
    }
  }

  // ---- the function host's receive loop -------------------------------------------------------------------------

  /** Attaches (or replaces) the consuming function and starts delivering. */
  setHandler(handler: LocalQueueHandler): void {
    this.handler = handler;
    this.start();
  }

  private start(): void {
    if (this.closed || this.running) return;
    this.running = true;
    this.schedulePump(0);
  }

  private busy(): boolean {
    return this.inFlight.size >= this.concurrency;
  }

  private schedulePump(delayMs: number): void {
    if (!this.running || this.busy()) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      void this.pump();
    }, Math.max(0, Math.min(delayMs, 2_147_000_000)));
    this.wakeTimer.unref();
  }

  /** Next time something becomes visible or a lock runs out, relative to now. */
  private nextWake(now: number): number | undefined {
    let next: number | undefined;
    for (const message of this.messages) {
      const at = message.lockToken !== undefined ? (message.lockedUntil ?? now) : message.availableAt;
      if (next === undefined || at < next) next = at;
    }
    return next === undefined ? undefined : Math.max(0, next - now);
  }

  private async pump(): Promise<void> {
    if (!this.running || this.busy() || !this.handler) return;
    const run = this.deliverBatch();
    this.inFlight.add(run);
    // Other calls start beside this one while there is room (cardinality one).
    if (!this.busy()) this.schedulePump(0);
    let delivered = 0;
    try {
      delivered = await run;
    } finally {
      this.inFlight.delete(run);
    }
    if (delivered === 0 && this.inFlight.size > 0) return;
    if (!this.running) return;
    const wake = this.nextWake(this.now());
    if (wake !== undefined) this.schedulePump(wake);
    this.notify();
  }

  /** Delivers one batch of visible messages to the handler. Resolves with the number delivered. */
  private async deliverBatch(): Promise<number> {
    const handler = this.handler;
    if (!handler) return 0;
    const batch = this.receive(this.maxBatchSize, Math.max(this.lockDurationMs, this.maxAutoLockRenewalMs));
    if (batch.length === 0) return 0;
    const context = new Context({
      invocationId: randomUUID(),
      functionName: this.options.functionName ?? this.name,
      ...(this.options.logHandler ? { logHandler: this.options.logHandler } : {}),
      triggerMetadata: this.single ? singleMetadata(batch[0]) : {
        messageIdArray: batch.map((message) => message.messageId),
        deliveryCountArray: batch.map((message) => message.deliveryCount),
        sequenceNumberArray: batch.map((message) => message.sequenceNumber),
        enqueuedTimeUtcArray: batch.map((message) => message.enqueuedTimeUtc.toISOString()),
        scheduledEnqueueTimeUtcArray: batch.map((message) => message.scheduledEnqueueTimeUtc?.toISOString() ?? null),
        lockTokenArray: batch.map((message) => message.lockToken),
      },
      options: {
        trigger: { type: 'serviceBusTrigger', name: 'messages', queueName: this.name, cardinality: this.single ? 'one' : 'many' },
      },
    });
    const highestDelivery = Math.max(...batch.map((message) => message.deliveryCount));
    const started = Date.now();
    try {
      await handler(
        batch.map((message) => message.body),
        context,
      );
    } catch (error) {
      const reason = toError(error).message;
      const retried = batch.filter((message) => message.deliveryCount < this.maxDeliveryCount).length;
      for (const message of batch) this.settle(() => this.abandon(message.lockToken, reason));
      if (retried > 0) {
        this.log(
          `QUEUE ${this.name} retried ${retried} msg${retried === 1 ? '' : 's'} (delivery ${highestDelivery}) ${Date.now() - started}ms: ${reason}`,
        );
      }
      return batch.length;
    }
    for (const message of batch) this.settle(() => this.complete(message.lockToken));
    this.log(`QUEUE ${this.name} delivered ${batch.length} msg${batch.length === 1 ? '' : 's'} ${Date.now() - started}ms`);
    return batch.length;
  }

  /** A lock lost during a long handler is not an error of the handler: the message simply comes back. */
  private settle(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (!(error instanceof QueueError && error.code === 'ERR_MESSAGE_LOCK_LOST')) throw error;
    }
  }

  // ---- inspection ------------------------------------------------------------------------------------------------

  private view(message: StoredMessage): QueueMessageView {
    return {
      messageId: message.messageId,
      body: this.body(message),
      sequenceNumber: message.sequenceNumber,
      deliveryCount: message.deliveryCount,
      enqueuedTimeUtc: iso(message.enqueuedAt),
      ...(message.scheduledAt !== undefined ? { scheduledEnqueueTimeUtc: iso(message.scheduledAt) } : {}),
      availableAt: iso(message.availableAt),
      ...(message.lockedUntil !== undefined ? { lockedUntil: iso(message.lockedUntil) } : {}),
    };
  }

  /** Active (visible now or after a retry backoff), scheduled (never delivered, due later), locked, dead-lettered. */
  snapshot(): QueueSnapshot {
    const now = this.now();
    this.expireLocks(now);
    const active: QueueMessageView[] = [];
    const scheduled: QueueMessageView[] = [];
    const locked: QueueMessageView[] = [];
    for (const message of [...this.messages].sort((a, b) => a.sequenceNumber - b.sequenceNumber)) {
      if (message.lockToken !== undefined) locked.push(this.view(message));
      else if (message.deliveryCount === 0 && message.availableAt > now) scheduled.push(this.view(message));
      else active.push(this.view(message));
    }
    const deadLettered = this.deadLetters.map((letter) => ({
      ...this.view(letter),
      deadLetterReason: letter.deadLetterReason,
      deadLetterErrorDescription: letter.deadLetterErrorDescription,
      deadLetteredAt: iso(letter.deadLetteredAt),
    }));
    return { active, scheduled, locked, deadLettered };
  }

  counts(): QueueCounts {
    const { active, scheduled, locked, deadLettered } = this.snapshot();
    return { active: active.length, scheduled: scheduled.length, locked: locked.length, deadLettered: deadLettered.length };
  }

  private isIdle(): boolean {
    const { active, locked } = this.counts();
    return active === 0 && locked === 0 && this.inFlight.size === 0;
  }

  /**
   * Resolves once nothing is active or locked (future scheduled messages are ignored): every message that can be
   * delivered now has been completed or dead-lettered. Rejects after `timeoutMs` (default 30 s).
   */
  drain(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    if (this.running) this.schedulePump(0);
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!this.isIdle()) return;
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        clearInterval(poll);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        const { active, locked } = this.counts();
        reject(new QueueError('ERR_DRAIN_TIMEOUT', `Queue ${this.name} still has ${active} active and ${locked} locked messages`));
      }, timeoutMs);
      // Locks and backoffs end with time, not with an event: look again now and then.
      const poll = setInterval(check, 50);
      this.waiters.push(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private changed(): void {
    if (this.running && !this.busy()) {
      const wake = this.nextWake(this.now());
      if (wake !== undefined) this.schedulePump(wake);
    }
    this.persist();
    this.notify();
  }

  // ---- persistence -----------------------------------------------------------------------------------------------

  private serialize(): string {
    const messages = this.messages.map(({ lockToken: _lockToken, lockedUntil: _lockedUntil, ...rest }) => rest);
    return JSON.stringify(
      { version: 1, nextSequence: this.nextSequence, messages, deadLetters: this.deadLetters, seenIds: [...this.seenIds] },
      null,
      1,
    );
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    const parsed = persistedSchema.safeParse(data);
    if (!parsed.success) {
      this.log(`QUEUE ${this.name} ignored an unreadable state file ${file}`);
      return;
    }
    // A message locked when the previous process stopped is visible again, as when its lock would have expired.
    this.messages = parsed.data.messages;
    this.deadLetters = parsed.data.deadLetters;
    this.nextSequence = parsed.data.nextSequence;
    for (const [id, at] of parsed.data.seenIds) this.seenIds.set(id, at);
  }

  private persist(): void {
    const file = this.options.persistFile;
    if (!file || this.persistQueued) return;
    this.persistQueued = true;
    this.persistChain = this.persistChain.then(async () => {
      this.persistQueued = false;
      const temp = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(temp, this.serialize());
        await rename(temp, file);
      } catch (error) {
        this.log(`QUEUE ${this.name} could not save its state: ${toError(error).message}`);
      }
    });
  }

  /** Stops delivering, waits for the batch in flight, and saves the state. */
  async close(): Promise<void> {
    this.running = false;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    await Promise.all([...this.inFlight].map((run) => run.catch(() => undefined)));
    this.closed = true;
    await this.persistChain;
    const file = this.options.persistFile;
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(`${file}.tmp`, this.serialize());
      renameSync(`${file}.tmp`, file);
    }
    this.notify();
  }
}

/**
 * Reading what a Service Bus trigger hands a queue function: the message bodies, and the delivery metadata the host
 * passes beside them in `context.triggerMetadata`.
 */
import type { InvocationContext } from '@azure/functions';

/** Bodies arrive as parsed JSON, or as text or bytes depending on the message's content type. */
export function bodyValue(message: unknown): unknown {
  const text =
    typeof message === 'string' ? message : message instanceof Uint8Array ? Buffer.from(message).toString('utf8') : undefined;
  if (text === undefined) return message;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `triggerMetadata.deliveryCountArray` of a batch trigger: how often each message was delivered. */
export function deliveryCounts(context: InvocationContext, length: number): number[] {
  const raw = context.triggerMetadata?.deliveryCountArray;
  const counts = Array.isArray(raw) ? raw : [];
  return Array.from({ length }, (_unused, index) => {
    const value: unknown = counts[index];
    return typeof value === 'number' && Number.isFinite(value) ? value : 1;
  });
}

/** A message's metadata, from a single-message trigger (`deliveryCount`) or a batch one (`deliveryCountArray`). */
export function messageMetadata(context: InvocationContext): { messageId: string; deliveryCount: number } {
  const meta = context.triggerMetadata ?? {};
  const first = (value: unknown): unknown => (Array.isArray(value) ? (value[0] as unknown) : value);
  const count = first(meta.deliveryCount ?? meta.deliveryCountArray);
  const id = first(meta.messageId ?? meta.messageIdArray);
  return {
    messageId: typeof id === 'string' ? id : context.invocationId,
    deliveryCount: typeof count === 'number' && Number.isFinite(count) ? count : 1,
  };
}

/**
 * Graph JSON batching: requests go out as `POST /$batch` of at most 20, and every request gets its own outcome,
 * whether its sub-response failed or the whole batch did. A throttled batch is not retried in-line: its 429 and
 * Retry-After reach each request's outcome, for the caller to reschedule.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { NoThrottleRetry, parseRetryAfter, toGraphError } from './index.js';

/** Graph's limit of requests per `$batch`. */
export const maxBatchRequests = 20;

export interface BatchRequest {
  readonly method: 'GET' | 'PATCH' | 'POST' | 'DELETE';
  /** Relative to the version root, e.g. `/deviceManagement/managedDevices/{id}`. */
  readonly url: string;
  readonly body?: unknown;
}

export interface BatchOutcome {
  /** HTTP status of the request; 0 when there was no answer. */
  readonly status: number;
  readonly body?: unknown;
  /** From a 429 (or 503) sub-response, or from a throttled batch. */
  readonly retryAfterSeconds?: number;
  /** Why it failed, for logs and error reports (no tokens). */
  readonly error?: string;
}

export interface BatchStats {
  /** `$batch` requests sent. */
  batches: number;
  /** Requests carried in them. */
  requests: number;
}

const batchResponseSchema = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});

const errorBodySchema = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

function headerValue(headers: Readonly<Record<string, string>> | undefined, name: string): string | null {
  if (!headers) return null;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return null;
}

function describe(status: number, body: unknown): string {
  const parsed = errorBodySchema.safeParse(body);
  const detail = parsed.success ? [parsed.data.error.code, parsed.data.error.message].filter(Boolean).join(': ') : '';
  return `answered ${status}${detail ? ` ${detail.slice(0, 300)}` : ''}`;
}

/** Sends one `$batch` (at most 20 requests); every request gets an outcome, in order. */
export async function sendBatch(client: Client, requests: readonly BatchRequest[], stats?: BatchStats): Promise<BatchOutcome[]> {
  if (requests.length === 0) return [];
  if (requests.length > maxBatchRequests) throw new RangeError(`a $batch holds at most ${maxBatchRequests} requests`);
  const payload = {
    requests: requests.map((request, index) => ({
      id: String(index + 1),
      method: request.method,
      url: request.url,
      ...(request.body !== undefined ? { body: request.body, headers: { 'Content-Type': 'application/json' } } : {}),
    })),
  };
  if (stats) {
    stats.batches += 1;
    stats.requests += requests.length;
  }
  let raw: unknown;
  try {
    raw = await client.api('/$batch').middlewareOptions([new NoThrottleRetry()]).post(payload);
  } catch (caught) {
    const error = toGraphError(caught);
    const outcome: BatchOutcome = {
      status: error.status,
      error: error.message,
      ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    };
    return requests.map(() => outcome);
  }
  const parsed = batchResponseSchema.safeParse(raw);
  if (!parsed.success) {
    return requests.map(() => ({ status: 0, error: 'the $batch response could not be read' }));
  }
  const byId = new Map(parsed.data.responses.map((response) => [response.id, response]));
  return requests.map((_request, index): BatchOutcome => {
    const response = byId.get(String(index + 1));
    if (!response) return { status: 0, error: 'the $batch response has no answer for this request' };
    const retryAfterSeconds = parseRetryAfter(headerValue(response.headers, 'retry-after'));
    const ok = response.status >= 200 && response.status < 300;
    return {
      status: response.status,
      ...(response.body !== undefined ? { body: response.body } : {}),
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      ...(ok ? {} : { error: describe(response.status, response.body) }),
    };
  });
}

/** Sends any number of requests as `$batch` requests of 20, `concurrency` at a time; outcomes in request order. */
export async function sendBatched(
  client: Client,
  requests: readonly BatchRequest[],
  options: { concurrency?: number; stats?: BatchStats } = {},
): Promise<BatchOutcome[]> {
  const chunks: BatchRequest[][] = [];
  for (let start = 0; start < requests.length; start += maxBatchRequests) {
    chunks.push(requests.slice(start, start + maxBatchRequests));
  }
  const results: BatchOutcome[][] = new Array<BatchOutcome[]>(chunks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const index = next;
      next += 1;
      results[index] = await sendBatch(client, chunks[index] ?? [], options.stats);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, chunks.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  return results.flat();
}

/**
 * The one failure type of Graph calls made through `GraphAccess`: the HTTP status, our stable code, Graph's own
 * error code and, when throttled, how long Graph asked us to wait.
 */
import { GraphClientError } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';

export type GraphErrorCode =
  /** 429: still throttled after the retries allowed (or Graph asked for a longer wait than we accept in-line). */
  | 'ERR_GRAPH_THROTTLED'
  /** 5xx after the retries allowed. */
  | 'ERR_GRAPH_UNAVAILABLE'
  /** The request never got an answer (connection refused, reset, timed out). */
  | 'ERR_GRAPH_NETWORK'
  /** No app token could be obtained for the tenant (consent missing or revoked, bad credential). */
  | 'ERR_GRAPH_AUTH'
  | 'ERR_GRAPH_UNAUTHORIZED'
  | 'ERR_GRAPH_FORBIDDEN'
  | 'ERR_GRAPH_NOT_FOUND'
  /** Another 4xx: the request itself was refused. */
  | 'ERR_GRAPH_REQUEST';

/**
 * Extends the SDK's `GraphClientError` only so the SDK passes it through unchanged (it wraps anything else).
 */
export class GraphError extends GraphClientError {
  override readonly name = 'GraphError';
  constructor(
    readonly code: GraphErrorCode,
    /** HTTP status, or 0 when there was no answer. */
    readonly status: number,
    message: string,
    readonly details: { retryAfterSeconds?: number; graphCode?: string; tenantId?: string } = {},
  ) {
    super(message);
    // The SDK's base class resets the prototype to its own; restore ours so `instanceof GraphError` holds.
    Object.setPrototypeOf(this, new.target.prototype);
  }

  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }

  get graphCode(): string | undefined {
    return this.details.graphCode;
  }

  /** Throttling and outages are worth trying again later; other failures are not. */
  get transient(): boolean {
    return this.code === 'ERR_GRAPH_THROTTLED' || this.code === 'ERR_GRAPH_UNAVAILABLE' || this.code === 'ERR_GRAPH_NETWORK';
  }
}

export function codeForStatus(status: number): GraphErrorCode {
  if (status === 429) return 'ERR_GRAPH_THROTTLED';
  if (status >= 500) return 'ERR_GRAPH_UNAVAILABLE';
  if (status === 401) return 'ERR_GRAPH_UNAUTHORIZED';
  if (status === 403) return 'ERR_GRAPH_FORBIDDEN';
  if (status === 404) return 'ERR_GRAPH_NOT_FOUND';
  return 'ERR_GRAPH_REQUEST';
}

const graphErrorBody = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

/** Graph's `{ error: { code, message } }`, when the body has that shape. */
export function parseGraphErrorBody(text: string): { code?: string; message?: string } {
  try {
    const parsed = graphErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error : {};
  } catch {
    return {};
  }
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** Any caught value from a Graph call as a `GraphError` (SDK errors and plain errors included). */
export function toGraphError(caught: unknown): GraphError {
  if (caught instanceof GraphError) return caught;
  if (caught instanceof Error) {
    const status = (caught as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status > 0) return new GraphError(codeForStatus(status), status, caught.message);
    return new GraphError('ERR_GRAPH_NETWORK', 0, caught.message);
  }
  return new GraphError('ERR_GRAPH_NETWORK', 0, String(caught));
}

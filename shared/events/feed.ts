/**
 * The event feed (`GET /api/v1/events`): a tenant's events oldest first, from an opaque cursor, optionally filtered by
 * type, waiting up to `wait` seconds for a first event. The cursor is `base64url(JSON {v, t, p})`: a position in the
 * caller's own feed, validated on every read (a cursor of another tenant, or one this service did not issue, is 400).
 */
import { z } from 'zod';
import { HttpError } from '../http/problem.js';
import { eventTypes, type EventType, type ServiceEvent } from './event.js';
import { positionPattern } from './positions.js';
import type { EventRuntime } from './runtime.js';

const cursorSchema = z.object({ v: z.literal(1), t: z.string().min(1), p: z.string().regex(positionPattern) }).strict();

export function encodeFeedCursor(tenantId: string, position: string): string {
  return Buffer.from(JSON.stringify({ v: 1, t: tenantId, p: position }), 'utf8').toString('base64url');
}

/** The position a cursor names, for this tenant; throws a 400 problem when it is not one of this tenant's cursors. */
export function decodeFeedCursor(tenantId: string, cursor: string): string {
  const bad = () =>
    new HttpError(400, 'The cursor is not valid: pass `nextCursor` from an earlier answer of this feed.', {
      errors: [{ path: 'after', message: 'invalid cursor' }],
    });
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success || result.data.t !== tenantId) throw bad();
  return result.data.p;
}

/** Parses `types` (comma-separated event types). */
export const typesParameter = z
  .string()
  .max(1000)
  .transform((value, ctx) => {
    const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const known = new Set<string>(eventTypes);
    const unknown = names.filter((name) => !known.has(name));
    if (names.length === 0 || unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown event type(s): ${unknown.join(', ') || '(none given)'}; known: ${eventTypes.join(', ')}` });
      return z.NEVER;
    }
    return new Set(names as EventType[]);
  });

/** Event types only full-access readers see (full-access console users and `Events.Read` applications). */
export const fullAccessEventTypes: ReadonlySet<EventType> = new Set<EventType>(['audit.recorded']);

/**
 * The types a reader with `access` gets for the filter asked: a restricted reader's feed leaves out the full-access
 * types, and a filter naming any of them answers 403 (not an empty page, which would read as "none happened").
 */
export function typesFor(access: 'full' | 'restricted', asked: ReadonlySet<EventType> | undefined): ReadonlySet<EventType> | undefined {
  if (access === 'full') return asked;
  const refused = asked ? [...asked].filter((type) => fullAccessEventTypes.has(type)) : [];
  if (refused.length > 0) {
    throw new HttpError(403, `Events of type ${refused.join(', ')} are for full-access users only.`, {
      errors: [{ path: 'types', message: `not readable with restricted access: ${refused.join(', ')}` }],
    });
  }
  return new Set((asked ? [...asked] : [...eventTypes]).filter((type) => !fullAccessEventTypes.has(type)));
}

export interface FeedRequest {
  readonly after?: string;
  readonly types?: ReadonlySet<EventType>;
  readonly limit: number;
  /** Seconds to wait for a first event when there is none yet (0..30). */
  readonly wait: number;
}

export interface FeedAnswer {
  readonly items: readonly ServiceEvent[];
  readonly nextCursor: string | null;
}

/** How often a waiting reader looks at storage when no publication in this process woke it. */
const pollIntervalMs = 2_000;

export async function readEventFeed(
  runtime: EventRuntime,
  tenantId: string,
  request: FeedRequest,
  now: () => number = Date.now,
): Promise<FeedAnswer> {
  let after = request.after === undefined ? undefined : decodeFeedCursor(tenantId, request.after);
  const deadline = now() + request.wait * 1000;
  for (;;) {
    const page = await runtime.readFeed(tenantId, after, request.limit, request.types);
    if (page.last !== undefined) after = page.last;
    const remaining = deadline - now();
    if (page.items.length > 0 || remaining <= 0) {
      return { items: page.items.map((item) => item.event), nextCursor: after === undefined ? null : encodeFeedCursor(tenantId, after) };
    }
    const waited = await runtime.waitForPublication(tenantId, Math.min(pollIntervalMs, remaining));
    if (!waited) {
      // Too many readers of this tenant are waiting in this process: answer now, the reader polls again.
      return { items: [], nextCursor: after === undefined ? null : encodeFeedCursor(tenantId, after) };
    }
  }
}

import { z } from 'zod';
import { serviceEventSchema } from '../shared/events/event.js';
import { eventFormatSchema, formatEvent, ocsfEventSchema } from '../shared/events/ocsf.js';
import { authenticateFeed } from '../shared/auth/feedAuth.js';
import { decodeFeedCursor, encodeFeedCursor, readEventFeed, typesFor, typesParameter } from '../shared/events/feed.js';
import { readFeedBefore } from '../shared/events/feedReads.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { HttpError, json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';

export const eventsRoute = defineRoute({
  method: 'GET',
  route: 'v1/events',
  summary:
    "The tenant's events, oldest first (threats, device changes, enforcement failures, audit entries, health changes). " +
    'Console users (full or restricted), or an app-only token of the tenant with the `Events.Read` app role. ' +
    '`audit.recorded` events are for full-access users and `Events.Read` applications only.',
  description:
    'Page with `after` = `nextCursor` of the previous answer; an empty page keeps the same `nextCursor`. With `wait`, ' +
    'answers as soon as a first event arrives. Events are kept at least `EVENT_RETENTION_DAYS` (30) days. Each event ' +
    'has a stable `id`, the same as in webhook deliveries (`webhook-id`). Beyond the contract, for people reading the ' +
    'feed (the web console): `order=newest` answers the newest events first, and `nextCursor` (passed as `before`) ' +
    'goes to older ones; it is `null` once the oldest kept event was served.',
  tags: ['events'],
  security: 'eventsReader',
  query: z
    .object({
      after: z.string().max(512).optional().describe('`nextCursor` of an earlier answer; omitted: from the oldest kept event.'),
      types: typesParameter.optional().describe('Comma-separated event types, e.g. `threat.detected,device.risk_changed`.'),
      limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Events per page (1..1000, default 100).'),
      wait: z.coerce.number().int().min(0).max(30).default(0).describe('Seconds to wait for a first event when none is there (0..30).'),
      order: z
        .enum(['oldest', 'newest'])
        .default('oldest')
        .describe('`oldest` (the contract\'s feed, default) or `newest`: newest first, paged back with `before`; an extension beyond the contract.'),
      before: z.string().max(512).optional().describe('With `order=newest`: `nextCursor` of an earlier newest-first answer; omitted: from the newest event.'),
      format: eventFormatSchema
        .default('native')
        .describe('`native` (default): our events; `ocsf`: each event as an OCSF object where OCSF has a class for it (docs/DEPLOY.md, "SIEM formats"). The cursor is the same.'),
    })
    .strict(),
  responses: {
    200: {
      description: 'A page of events.',
      schema: z.object({
        items: z.array(z.union([serviceEventSchema, ocsfEventSchema])).describe('Our events; with `format=ocsf`, OCSF objects (those with `class_uid`) and the events OCSF has no class for.'),
        nextCursor: z.string().nullable(),
      }),
    },
    400: { description: 'A bad cursor, type, limit, wait or format.' },
    403: {
      description:
        'Not a console user of a connected tenant, nor an application with `Events.Read`; or a restricted user whose ' +
        '`types` names `audit.recorded` (a restricted user\'s feed leaves those events out).',
    },
  },
});

export const events = (services: Services) =>
  endpoint(eventsRoute, {
    authenticate: authenticateFeed(services),
    handle: async ({ principal, query }) => {
      const types = typesFor(principal.access, query.types);
      if (query.order === 'newest') {
        const misplaced = [
          ...(query.after !== undefined ? [{ path: 'after', message: 'not with order=newest (use before)' }] : []),
          ...(query.wait !== 0 ? [{ path: 'wait', message: 'not with order=newest' }] : []),
        ];
        if (misplaced.length > 0) throw new HttpError(400, 'A newest-first read pages with `before` and does not wait.', { errors: misplaced });
        const page = await readFeedBefore(services.tables, principal.tenantId, {
          ...(query.before === undefined ? {} : { before: decodeCursor(principal.tenantId, query.before) }),
          ...(types === undefined ? {} : { types }),
          limit: query.limit,
          nowMs: services.clock.now().getTime(),
        });
        return json(200, {
          items: page.items.map((item) => formatEvent(item.event, query.format)),
          nextCursor: page.before === undefined ? null : encodeFeedCursor(principal.tenantId, page.before),
        });
      }
      if (query.before !== undefined) {
        throw new HttpError(400, '`before` pages a newest-first read (order=newest).', { errors: [{ path: 'before', message: 'only with order=newest' }] });
      }
      const page = await readEventFeed(services.events, principal.tenantId, {
        ...(query.after === undefined ? {} : { after: query.after }),
        ...(types === undefined ? {} : { types }),
        limit: query.limit,
        wait: query.wait,
      });
      return json(200, { ...page, items: page.items.map((event) => formatEvent(event, query.format)) });
    },
  });

/** A `before` cursor: the same cursors as the feed's, refused as `before` (not `after`) when they are not valid. */
function decodeCursor(tenantId: string, cursor: string): string {
  try {
    return decodeFeedCursor(tenantId, cursor);
  } catch (caught) {
    if (caught instanceof HttpError) {
      throw new HttpError(400, 'The cursor is not valid: pass `nextCursor` from an earlier newest-first answer.', { errors: [{ path: 'before', message: 'invalid cursor' }] });
    }
    throw caught;
  }
}

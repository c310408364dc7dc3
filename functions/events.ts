import { z } from 'zod';
import { serviceEventSchema } from '../shared/events/event.js';
import { authenticateFeed } from '../shared/auth/feedAuth.js';
import { readEventFeed, typesFor, typesParameter } from '../shared/events/feed.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
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
    'has a stable `id`, the same as in webhook deliveries (`webhook-id`).',
  tags: ['events'],
  security: 'eventsReader',
  query: z
    .object({
      after: z.string().max(512).optional().describe('`nextCursor` of an earlier answer; omitted: from the oldest kept event.'),
      types: typesParameter.optional().describe('Comma-separated event types, e.g. `threat.detected,device.risk_changed`.'),
      limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Events per page (1..1000, default 100).'),
      wait: z.coerce.number().int().min(0).max(30).default(0).describe('Seconds to wait for a first event when none is there (0..30).'),
    })
    .strict(),
  responses: {
    200: {
      description: 'A page of events.',
      schema: z.object({ items: z.array(serviceEventSchema), nextCursor: z.string().nullable() }),
    },
    400: { description: 'A bad cursor, type, limit or wait.' },
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
      return json(
        200,
        await readEventFeed(services.events, principal.tenantId, {
          ...(query.after === undefined ? {} : { after: query.after }),
          ...(types === undefined ? {} : { types }),
          limit: query.limit,
          wait: query.wait,
        }),
      );
    },
  });

import { z } from 'zod';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { HttpError, json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';
import { authenticateProvider } from '../shared/auth/provider.js';
import { listProviderAudit, providerAuditEntrySchema } from '../shared/audit/providerAudit.js';
import { InvalidCursor } from '../shared/storage/index.js';

export const providerAuditLogRoute = defineRoute({
  method: 'GET',
  route: 'v1/provider/audit-log',
  summary: 'What provider support did (provisioning, offboarding started and completed), by whom, newest first.',
  description:
    'The actor is the signed-in user (`kind: user`), the application (`application`) or the function key ' +
    '(`functionKey`). The provider\'s own record: entries stay after the tenant they name was offboarded.',
  tags: ['provider'],
  security: 'provider',
  query: z.object({
    cursor: z.string().max(8192).optional().describe('`nextCursor` of the previous page.'),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe('Entries per page (1..200, default 50).'),
  }),
  responses: {
    200: { description: 'A page of entries.', schema: z.object({ items: z.array(providerAuditEntrySchema), nextCursor: z.string().nullable() }) },
  },
});

export const providerAuditLog = (services: Services) =>
  endpoint(providerAuditLogRoute, {
    authenticate: authenticateProvider(services),
    handle: async ({ query }) => {
      try {
        return json(200, await listProviderAudit(services.tables, { cursor: query.cursor ?? null, limit: query.limit }));
      } catch (caught) {
        if (caught instanceof InvalidCursor) {
          throw new HttpError(400, 'The cursor is not valid (use nextCursor of the previous page).', { errors: [{ path: 'cursor', message: caught.message }] });
        }
        throw caught;
      }
    },
  });

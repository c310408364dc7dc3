import { z } from 'zod';
import { authenticateFullAccess } from '../shared/auth/console.js';
import { auditEntrySchema, listAuditLog } from '../shared/audit/auditLog.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { HttpError, json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';
import { InvalidCursor } from '../shared/storage/index.js';

export const consoleAuditLogRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/audit-log',
  summary: 'Who changed what and when, with before and after, newest first; full access only.',
  tags: ['console'],
  security: 'consoleToken',
  query: z.object({
    cursor: z.string().max(8192).optional().describe('`nextCursor` of the previous page.'),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe('Entries per page (1..200, default 50).'),
  }),
  responses: {
    200: {
      description: 'A page of entries.',
      schema: z.object({ items: z.array(auditEntrySchema), nextCursor: z.string().nullable() }),
    },
    403: { description: 'Restricted (read-only) access.' },
  },
});

export const consoleAuditLog = (services: Services) =>
  endpoint(consoleAuditLogRoute, {
    authenticate: authenticateFullAccess(services),
    handle: async ({ principal, query }) => {
      try {
        return json(200, await listAuditLog(services.tables, principal.tenantId, { cursor: query.cursor ?? null, limit: query.limit }));
      } catch (caught) {
        if (caught instanceof InvalidCursor) {
          throw new HttpError(400, 'The cursor is not valid for this list.', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
        }
        throw caught;
      }
    },
  });

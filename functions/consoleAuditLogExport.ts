import { z } from 'zod';
import { authenticateFullAccess } from '../shared/auth/console.js';
import { auditCsvColumns, exportAuditCsv, exportFileName } from '../shared/console/exports.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleAuditLogExportRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/audit-log/export',
  summary: 'The whole audit log, newest first, as CSV; full access only.',
  description:
    `\`text/csv; charset=utf-8\`, RFC 4180, a header row (\`${auditCsvColumns.join(', ')}\`; before and after as JSON), then every entry, streamed as it is read. ` +
    "A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` (no formula injection).",
  tags: ['console'],
  security: 'consoleToken',
  query: z.object({ format: z.literal('csv').describe('The only format: `csv`.') }),
  responses: {
    200: { description: 'The CSV file.', contentType: 'text/csv', headers: { 'Content-Disposition': '`attachment; filename="audit-log-{UTC time}.csv"`' } },
    403: { description: 'Restricted (read-only) access.' },
  },
});

export const consoleAuditLogExport = (services: Services) =>
  endpoint(consoleAuditLogExportRoute, {
    authenticate: authenticateFullAccess(services),
    handle: ({ principal }) => {
      const now = services.clock.now();
      return Promise.resolve({
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="${exportFileName('audit-log', now)}"`,
          'cache-control': 'no-store',
        },
        body: exportAuditCsv(services.tables, principal.tenantId),
      });
    },
  });

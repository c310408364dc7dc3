import { z } from 'zod';
import { authenticateConsole } from '../shared/auth/console.js';
import { deviceListQuerySchema } from '../shared/console/devices.js';
import { deviceCsvColumns, exportDevicesCsv, exportFileName } from '../shared/console/exports.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const consoleDevicesExportRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/devices/export',
  summary: 'Every device matching the filters (not a page), as CSV.',
  description:
    `\`text/csv; charset=utf-8\`, RFC 4180, a header row (\`${deviceCsvColumns.join(', ')}\`), then every matching device, streamed as it is read. ` +
    "A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` (no formula injection).",
  tags: ['console'],
  security: 'consoleToken',
  query: deviceListQuerySchema.pick({ status: true, riskLevel: true, platform: true, attestation: true }).extend({
    format: z.literal('csv').describe('The only format: `csv`.'),
  }),
  responses: { 200: { description: 'The CSV file.', contentType: 'text/csv', headers: { 'Content-Disposition': '`attachment; filename="devices-{UTC time}.csv"`' } } },
});

export const consoleDevicesExport = (services: Services) =>
  endpoint(consoleDevicesExportRoute, {
    authenticate: authenticateConsole(services),
    handle: ({ principal, query }) => {
      const now = services.clock.now();
      return Promise.resolve({
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="${exportFileName('devices', now)}"`,
          'cache-control': 'no-store',
        },
        body: exportDevicesCsv(services.tables, principal.tenantId, query, now.getTime()),
      });
    },
  });

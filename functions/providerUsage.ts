import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';
import { authenticateProvider } from '../shared/auth/provider.js';
import { usageCsv, usageQuerySchema, usageReport, usageReportSchema } from '../shared/provider/usage.js';

export const providerUsageRoute = defineRoute({
  method: 'GET',
  route: 'v1/provider/usage',
  summary: 'Per tenant, for billing: active devices at the month\'s peak and on average per day, from daily counters.',
  description:
    'A day\'s counter is the most devices active at once that day (UTC), taken from the tenant\'s device counters each ' +
    'hour; `peakActiveDevices` is the month\'s highest day, `averageActiveDevices` the mean over `daysCounted` (the days ' +
    'the tenant was connected). Offboarded tenants keep their rows: the month they left is still billed. ' +
    '`format=csv` answers `text/csv; charset=utf-8` (RFC 4180, header `month,tenantId,displayName,peakActiveDevices,' +
    'averageActiveDevices,daysCounted`, as an attachment); a cell starting with `=`, `+`, `-`, `@`, tab or carriage ' +
    'return is prefixed with `\'` so a spreadsheet never runs it.',
  tags: ['provider'],
  security: 'provider',
  query: usageQuerySchema,
  responses: {
    200: {
      description: 'The month\'s usage per tenant (JSON, or CSV with `format=csv`).',
      schema: usageReportSchema,
      alternativeContentTypes: ['text/csv'],
      headers: { 'Content-Disposition': 'With `format=csv`: `attachment; filename="usage-{month}.csv"`.' },
    },
  },
});

export const providerUsage = (services: Services) =>
  endpoint(providerUsageRoute, {
    authenticate: authenticateProvider(services),
    handle: async ({ query }) => {
      const report = await usageReport(services, query.month);
      if (query.format === 'json') return json(200, report);
      return {
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="usage-${query.month}.csv"`,
          'cache-control': 'no-store',
        },
        body: usageCsv(report),
      };
    },
  });

/**
 * Usage for billing (`GET /api/v1/provider/usage?month=YYYY-MM&format=json|csv`): per tenant, the active devices at
 * the month's peak and on average per day, from the daily counters (shared/tenants/usageCounters.ts): one partition
 * of one row per tenant, whatever the fleets' sizes.
 *
 * - A day's counter is the most devices active at once that day (sampled hourly and on changes of the tenant).
 * - `peakActiveDevices`: the highest day of the month; `averageActiveDevices`: the mean over the days counted (the
 *   days the tenant was connected), to two decimals; `daysCounted` says how many.
 */
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import type { CorePorts } from '../ports.js';
import { monthSchema, readMonthUsage } from '../tenants/usageCounters.js';

export const usageQuerySchema = z.object({
  month: monthSchema.describe('The month, `YYYY-MM` (UTC).'),
  format: z.enum(['json', 'csv']).default('json').describe('`json` (default) or `csv` (RFC 4180, UTF-8, a header row).'),
});

export const usageItemSchema = z.object({
  tenantId: z.string(),
  displayName: z.string(),
  peakActiveDevices: z.number().int(),
  averageActiveDevices: z.number(),
  daysCounted: z.number().int(),
});
export type UsageItem = z.output<typeof usageItemSchema>;

export const usageReportSchema = z.object({ month: z.string(), items: z.array(usageItemSchema) });
export type UsageReport = z.output<typeof usageReportSchema>;

/** The month's usage per tenant, in tenant id order. */
export async function usageReport(deps: Pick<CorePorts, 'tables'>, month: string): Promise<UsageReport> {
  const tenants = await readMonthUsage(deps.tables, month);
  const items = tenants.map((tenant): UsageItem => {
    const values = [...tenant.days.values()];
    const sum = values.reduce((total, n) => total + n, 0);
    return {
      tenantId: tenant.tenantId,
      displayName: tenant.displayName,
      peakActiveDevices: values.length > 0 ? Math.max(...values) : 0,
      averageActiveDevices: values.length > 0 ? Math.round((sum / values.length) * 100) / 100 : 0,
      daysCounted: values.length,
    };
  });
  return { month, items };
}

/**
 * A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading `'`,
 * so a display name can never run in the provider's spreadsheet.
 */
export function guardCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export const usageCsvColumns = ['month', 'tenantId', 'displayName', 'peakActiveDevices', 'averageActiveDevices', 'daysCounted'] as const;

/** The report as CSV: RFC 4180 (CRLF, quotes where needed), a header row, formula-looking cells guarded. */
export function usageCsv(report: UsageReport): string {
  const rows = report.items.map((item) => [
    report.month,
    guardCell(item.tenantId),
    guardCell(item.displayName),
    String(item.peakActiveDevices),
    String(item.averageActiveDevices),
    String(item.daysCounted),
  ]);
  return stringify([[...usageCsvColumns], ...rows], { record_delimiter: '\r\n' });
}

/**
 * Provider support: usage for billing (GET /api/v1/provider/usage): per tenant, the month's peak and average active
 * devices from the daily counters, for a month picked here, and the same as a CSV download.
 */
import { useState } from 'react';
import { Caption1, Field, Input, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from '@fluentui/react-components';
import { currentMonth, downloadUsageCsv, useUsage } from '../../api/provider.js';
import { useSession } from '../../context.js';
import { ExportButton } from '../../components/ExportButton.js';
import { PageHeader } from '../../components/common.js';
import { QueryState } from '../../components/QueryState.js';

export function ProviderUsagePage() {
  const { api } = useSession();
  const [month, setMonth] = useState(currentMonth());
  const valid = /^\d{4}-\d{2}$/.test(month);
  const usage = useUsage(month);
  const items = usage.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Usage"
        description="Active devices per tenant for a month, from daily counters: the month's peak day and the average over the days counted."
        actions={valid ? <ExportButton label="Download CSV" download={() => downloadUsageCsv(api, month)} /> : undefined}
      />
      <Field label="Month" style={{ maxWidth: '14rem' }} {...(valid ? {} : { validationState: 'error' as const, validationMessage: 'Pick a month.' })}>
        <Input type="month" value={month} onChange={(_, d) => setMonth(d.value)} />
      </Field>
      {valid ? <QueryState query={usage} loading="Counting…" /> : null}
      {usage.data ? (
        <>
          <Table aria-label="Usage" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Tenant</TableHeaderCell>
                <TableHeaderCell>Peak active devices</TableHeaderCell>
                <TableHeaderCell>Average active devices</TableHeaderCell>
                <TableHeaderCell>Days counted</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {items.map((item) => (
                <TableRow key={item.tenantId}>
                  <TableCell>
                    {item.displayName}
                    <br />
                    <Caption1>{item.tenantId}</Caption1>
                  </TableCell>
                  <TableCell>{item.peakActiveDevices}</TableCell>
                  <TableCell>{item.averageActiveDevices.toLocaleString(undefined, { maximumFractionDigits: 1 })}</TableCell>
                  <TableCell>{item.daysCounted}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {items.length === 0 ? <Caption1>No usage counted for {usage.data.month}.</Caption1> : null}
        </>
      ) : null}
    </>
  );
}

/** Enrollment coverage: per enrollment group and in total, devices by status and pending devices by how long they have waited. */
import { Caption1, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from '@fluentui/react-components';
import { useCoverage, type Coverage } from '../api/fleet.js';
import { PageHeader } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';

const useStyles = makeStyles({
  table: { tableLayout: 'auto', width: '100%', marginBottom: tokens.spacingVerticalL },
});

type Row = Coverage['total'] & { readonly name: string; readonly note?: string };

function CoverageTable({ rows }: { rows: readonly Row[] }) {
  const styles = useStyles();
  return (
    <Table className={styles.table} aria-label="Coverage by enrollment group">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Group</TableHeaderCell>
          <TableHeaderCell>Active</TableHeaderCell>
          <TableHeaderCell>Pending</TableHeaderCell>
          <TableHeaderCell>Pending under 1 day</TableHeaderCell>
          <TableHeaderCell>Pending 1–7 days</TableHeaderCell>
          <TableHeaderCell>Pending over 7 days</TableHeaderCell>
          <TableHeaderCell>Disconnected</TableHeaderCell>
          <TableHeaderCell>Deactivated</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map((row) => (
          <TableRow key={row.name}>
            <TableCell>
              {row.name}
              {row.note ? <Caption1> ({row.note})</Caption1> : null}
            </TableCell>
            <TableCell>{row.byStatus.active}</TableCell>
            <TableCell>{row.byStatus.pending}</TableCell>
            <TableCell>{row.pendingByAge.under1d}</TableCell>
            <TableCell>{row.pendingByAge.days1to7}</TableCell>
            <TableCell>{row.pendingByAge.over7d}</TableCell>
            <TableCell>{row.byStatus.disconnected}</TableCell>
            <TableCell>{row.byStatus.deactivated}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function CoveragePage() {
  const coverage = useCoverage();
  const data = coverage.data;
  const rows: Row[] = data
    ? [
        { name: 'All devices', ...data.total },
        ...data.groups.map((group) => ({
          name: group.displayName,
          byStatus: group.byStatus,
          pendingByAge: group.pendingByAge,
          ...(group.configured ? {} : { note: 'no longer an enrollment group' }),
        })),
      ]
    : [];
  const waiting = data ? data.total.pendingByAge.days1to7 + data.total.pendingByAge.over7d : 0;
  return (
    <>
      <PageHeader
        title="Coverage"
        description="Who has activated the agent: devices by status per enrollment group, and pending devices by how long they have waited."
      />
      <QueryState query={coverage} loading="Counting devices…" />
      {data ? (
        <>
          <CoverageTable rows={rows} />
          <Caption1>
            {waiting === 0
              ? 'No device has been waiting for its agent for a day or more.'
              : `${waiting} device${waiting === 1 ? ' has' : 's have'} been waiting for the agent to be activated for a day or more. A device in several groups counts in each.`}
          </Caption1>
        </>
      ) : null}
    </>
  );
}

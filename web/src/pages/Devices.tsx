/** The device list: the API's filters and paging, and a search by device or user name over the pages. */
import { useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import {
  Field,
  Input,
  Select,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Caption1,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { useDevicePage, useDeviceSearch } from '../api/devices.js';
import { attestationStatusLabels, attestationStatuses } from '../api/trust.js';
import { downloadDevicesCsv } from '../api/exports.js';
import { useSession } from '../context.js';
import { ExportButton } from '../components/ExportButton.js';
import { matchesSearch } from '../logic.js';
import { RiskBadge, StatusBadge } from '../components/badges.js';
import { PageHeader, When } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';
import { CursorPager, useCursorPages } from '../components/CursorPager.js';

const useStyles = makeStyles({
  filters: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'flex-end', marginBottom: tokens.spacingVerticalM },
  table: { tableLayout: 'auto', width: '100%' },
  wrap: { overflowWrap: 'anywhere' },
});

interface Filters {
  status: string;
  riskLevel: string;
  platform: string;
  attestation: string;
}

export function DevicesPage() {
  const styles = useStyles();
  const { api } = useSession();
  const [filters, setFilters] = useState<Filters>({ status: '', riskLevel: '', platform: '', attestation: '' });
  const pages = useCursorPages();
  const [search, setSearch] = useState('');
  const term = search.trim();

  const list = useDevicePage(filters, pages.cursor, term === '');
  const found = useDeviceSearch(filters, term, (device) => matchesSearch(device, term));

  const setFilter = (name: keyof Filters, value: string) => {
    setFilters((f) => ({ ...f, [name]: value }));
    pages.restart();
  };
  const active = term === '' ? list : found;
  const rows = term === '' ? (list.data?.items ?? []) : (found.data?.items ?? []);

  return (
    <>
      <PageHeader
        title="Devices"
        description="Every device discovered through your enrollment groups. Filter, search, and open one to see its threats."
        actions={<ExportButton label="Export CSV" download={() => downloadDevicesCsv(api, filters)} />}
      />
      <div className={styles.filters} role="search">
        <Field label="Search by device or user">
          <Input value={search} onChange={(_, d) => setSearch(d.value)} placeholder="e.g. iPhone or adele" type="search" />
        </Field>
        <Field label="Status">
          <Select value={filters.status} onChange={(_, d) => setFilter('status', d.value)}>
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="pending">Pending</option>
            <option value="disconnected">Disconnected</option>
            <option value="deactivated">Deactivated</option>
          </Select>
        </Field>
        <Field label="Risk level">
          <Select value={filters.riskLevel} onChange={(_, d) => setFilter('riskLevel', d.value)}>
            <option value="">Any</option>
            <option value="high">High</option>
            <option value="medium">Medium</option>
            <option value="low">Low</option>
            <option value="none">None</option>
          </Select>
        </Field>
        <Field label="Platform">
          <Select value={filters.platform} onChange={(_, d) => setFilter('platform', d.value)}>
            <option value="">Any</option>
            <option value="ios">iOS</option>
            <option value="android">Android</option>
          </Select>
        </Field>
        <Field label="Attestation">
          <Select value={filters.attestation} onChange={(_, d) => setFilter('attestation', d.value)}>
            <option value="">Any</option>
            {attestationStatuses.map((status) => (
              <option key={status} value={status}>
                {attestationStatusLabels[status]}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <QueryState query={active} loading={term === '' ? 'Loading devices…' : 'Searching…'} refetching />
      <Table aria-label="Devices" className={styles.table} size="small">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Device</TableHeaderCell>
            <TableHeaderCell>User</TableHeaderCell>
            <TableHeaderCell>Platform</TableHeaderCell>
            <TableHeaderCell>Status</TableHeaderCell>
            <TableHeaderCell>Risk</TableHeaderCell>
            <TableHeaderCell>Open threats</TableHeaderCell>
            <TableHeaderCell>Last check-in</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map((device) => (
            <TableRow key={device.deviceId}>
              <TableCell className={styles.wrap}>
                <RouterLink to={`/devices/${encodeURIComponent(device.deviceId)}`}>{device.deviceName}</RouterLink>
              </TableCell>
              <TableCell className={styles.wrap}>{device.userPrincipalName}</TableCell>
              <TableCell>{device.platform === 'ios' ? 'iOS' : 'Android'} {device.osVersion}</TableCell>
              <TableCell>
                <StatusBadge status={device.status} />
              </TableCell>
              <TableCell>
                <RiskBadge level={device.riskLevel} />
              </TableCell>
              <TableCell>{device.activeThreatCount}</TableCell>
              <TableCell>
                <When at={device.lastCheckInAt} />
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {!active.isPending && rows.length === 0 ? <Caption1>No devices match.</Caption1> : null}
      {term === '' ? (
        <CursorPager pages={pages} nextCursor={list.data?.nextCursor} />
      ) : found.data && !found.data.complete ? (
        <Caption1>Showing the first matches; narrow the search or the filters to see others.</Caption1>
      ) : null}
    </>
  );
}

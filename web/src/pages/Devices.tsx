/** The device list: the API's filters and paging, and a search by device or user name over the pages. */
import { useState } from 'react';
import { useQuery, keepPreviousData } from '@tanstack/react-query';
import { Link as RouterLink } from 'react-router-dom';
import {
  Button,
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
import { keys } from '../api/hooks.js';
import type { ApiClient } from '../api/client.js';
import type { ConsoleDevice, DeviceList } from '../api/types.js';
import { useSession } from '../context.js';
import { currentCursor, deviceListQuery, firstPage, matchesSearch, nextPage, pageNumber, previousPage, type CursorTrail } from '../logic.js';
import { RiskBadge, StatusBadge } from '../components/badges.js';
import { ErrorMessage, Loading, PageHeader, When } from '../components/common.js';

const useStyles = makeStyles({
  filters: { display: 'flex', flexWrap: 'wrap', gap: tokens.spacingHorizontalM, alignItems: 'flex-end', marginBottom: tokens.spacingVerticalM },
  pager: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', marginTop: tokens.spacingVerticalM },
  table: { tableLayout: 'auto', width: '100%' },
  wrap: { overflowWrap: 'anywhere' },
});

interface Filters {
  status: string;
  riskLevel: string;
  platform: string;
}

const pageSize = 50;
/** A search reads up to this many pages of 200 devices. */
const searchMaxPages = 25;

async function searchDevices(api: ApiClient, filters: Filters, term: string): Promise<{ items: ConsoleDevice[]; complete: boolean }> {
  const items: ConsoleDevice[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: DeviceList = await api.get<DeviceList>(`v1/console/devices?${deviceListQuery({ ...filters, cursor, limit: 200 })}`);
    items.push(...page.items.filter((d) => matchesSearch(d, term)));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < searchMaxPages && items.length < 200);
  return { items, complete: cursor === null };
}

export function DevicesPage() {
  const { api } = useSession();
  const styles = useStyles();
  const [filters, setFilters] = useState<Filters>({ status: '', riskLevel: '', platform: '' });
  const [trail, setTrail] = useState<CursorTrail>(firstPage);
  const [search, setSearch] = useState('');
  const term = search.trim();
  const cursor = currentCursor(trail);

  const list = useQuery({
    queryKey: [...keys.devices, 'page', filters, cursor],
    queryFn: () => api.get<DeviceList>(`v1/console/devices?${deviceListQuery({ ...filters, cursor, limit: pageSize })}`),
    placeholderData: keepPreviousData,
    enabled: term === '',
  });
  const found = useQuery({
    queryKey: [...keys.devices, 'search', filters, term],
    queryFn: () => searchDevices(api, filters, term),
    enabled: term !== '',
  });

  const setFilter = (name: keyof Filters, value: string) => {
    setFilters((f) => ({ ...f, [name]: value }));
    setTrail(firstPage);
  };
  const active = term === '' ? list : found;
  const rows = term === '' ? (list.data?.items ?? []) : (found.data?.items ?? []);

  return (
    <>
      <PageHeader title="Devices" description="Every device discovered through your enrollment groups. Filter, search, and open one to see its threats." />
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
      </div>
      {active.isFetching ? <Loading label={term === '' ? 'Loading devices…' : 'Searching…'} /> : null}
      {active.isError ? <ErrorMessage error={active.error} /> : null}
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
        <nav className={styles.pager} aria-label="Pages">
          <Button disabled={pageNumber(trail) === 1} onClick={() => setTrail(previousPage)}>
            Previous page
          </Button>
          <Caption1>Page {pageNumber(trail)}</Caption1>
          <Button disabled={!list.data?.nextCursor} onClick={() => list.data?.nextCursor && setTrail((t) => nextPage(t, list.data.nextCursor ?? ''))}>
            Next page
          </Button>
        </nav>
      ) : found.data && !found.data.complete ? (
        <Caption1>Showing the first matches; narrow the search or the filters to see others.</Caption1>
      ) : null}
    </>
  );
}

/** The event feed (GET /api/v1/events, CONTRACT.md): the tenant's events oldest first, filtered by type, paged. */
import { useState } from 'react';
import { useQuery, keepPreviousData } from '@tanstack/react-query';
import { Button, Caption1, Field, Select, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from '@fluentui/react-components';
import { keys } from '../api/hooks.js';
import type { EventPage } from '../api/pending.js';
import { eventTypes } from '../api/pending.js';
import { useSession } from '../context.js';
import { currentCursor, firstPage, nextPage, pageNumber, previousPage, type CursorTrail } from '../logic.js';
import { ErrorMessage, Loading, NotAvailable, PageHeader, When, isNotAvailable } from '../components/common.js';

const useStyles = makeStyles({
  pre: { margin: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: tokens.fontSizeBase200, maxHeight: '12rem', overflowY: 'auto' },
  pager: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', marginTop: tokens.spacingVerticalM },
});

export function EventsPage() {
  const { api } = useSession();
  const styles = useStyles();
  const [type, setType] = useState('');
  const [trail, setTrail] = useState<CursorTrail>(firstPage);
  const cursor = currentCursor(trail);
  const page = useQuery({
    queryKey: [...keys.events, type, cursor],
    queryFn: () => {
      const params = new URLSearchParams({ limit: '50' });
      if (type) params.set('types', type);
      if (cursor) params.set('after', cursor);
      return api.get<EventPage>(`v1/events?${params.toString()}`);
    },
    placeholderData: keepPreviousData,
    retry: (count, error) => !isNotAvailable(error) && count < 2,
  });
  if (page.isError && isNotAvailable(page.error)) {
    return (
      <>
        <PageHeader title="Events" description="What happened in your tenant, as your SIEM sees it." />
        <NotAvailable feature="The event feed" />
      </>
    );
  }
  return (
    <>
      <PageHeader title="Events" description="What happened in your tenant, oldest first, as your SIEM and webhooks see it." />
      <Field label="Event type" style={{ maxWidth: '20rem' }}>
        <Select
          value={type}
          onChange={(_, d) => {
            setType(d.value);
            setTrail(firstPage);
          }}
        >
          <option value="">All</option>
          {eventTypes.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </Select>
      </Field>
      {page.isFetching ? <Loading label="Loading events…" /> : null}
      {page.isError ? <ErrorMessage error={page.error} /> : null}
      {page.data ? (
        <>
          <Table aria-label="Events" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>When</TableHeaderCell>
                <TableHeaderCell>Type</TableHeaderCell>
                <TableHeaderCell>Data</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {page.data.items.map((event) => (
                <TableRow key={event.id}>
                  <TableCell>
                    <When at={event.occurredAt} />
                  </TableCell>
                  <TableCell>{event.type}</TableCell>
                  <TableCell>
                    <details>
                      <summary>Details</summary>
                      <pre className={styles.pre}>{JSON.stringify(event.data, null, 2)}</pre>
                    </details>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {page.data.items.length === 0 ? <Caption1>No events yet.</Caption1> : null}
          <nav className={styles.pager} aria-label="Pages">
            <Button disabled={pageNumber(trail) === 1} onClick={() => setTrail(previousPage)}>
              Previous page
            </Button>
            <Caption1>Page {pageNumber(trail)}</Caption1>
            <Button disabled={!page.data.nextCursor || page.data.items.length === 0} onClick={() => page.data.nextCursor && setTrail((t) => nextPage(t, page.data.nextCursor ?? ''))}>
              Next page
            </Button>
          </nav>
        </>
      ) : null}
    </>
  );
}

/**
 * The event feed (GET /api/v1/events, CONTRACT.md), for a person: newest first across the whole feed (the page opens
 * on the most recent events, "Older events" goes back), one line in words per event (which device, which threat, who
 * changed what) beside the raw JSON, filtered by type.
 */
import { useState } from 'react';
import { Caption1, Field, Select, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from '@fluentui/react-components';
import { isNotAvailable } from '../api/client.js';
import { eventTypes, useEventPage } from '../api/events.js';
import { NotAvailable, PageHeader, When } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';
import { CursorPager, useCursorPages } from '../components/CursorPager.js';
import { eventSummary } from '../eventSummary.js';

const useStyles = makeStyles({
  pre: { margin: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: tokens.fontSizeBase200, maxHeight: '12rem', overflowY: 'auto' },
});

export function EventsPage() {
  const styles = useStyles();
  const [type, setType] = useState('');
  const pages = useCursorPages();
  const page = useEventPage(type, pages.cursor);
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
      <PageHeader title="Events" description="What happened in your tenant, as your SIEM and webhooks see it, newest first." />
      <Field label="Event type" style={{ maxWidth: '20rem' }}>
        <Select
          value={type}
          onChange={(_, d) => {
            setType(d.value);
            pages.restart();
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
      <QueryState query={page} loading="Loading events…" refetching />
      {page.data ? (
        <>
          <Table aria-label="Events" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>When</TableHeaderCell>
                <TableHeaderCell>What happened</TableHeaderCell>
                <TableHeaderCell>Raw event</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {page.data.items.map((event) => (
                <TableRow key={event.id}>
                  <TableCell>
                    <When at={event.occurredAt} />
                  </TableCell>
                  <TableCell>
                    {eventSummary(event)}
                    <br />
                    <Caption1>{event.type}</Caption1>
                  </TableCell>
                  <TableCell>
                    <details>
                      <summary>JSON</summary>
                      <pre className={styles.pre}>{JSON.stringify(event, null, 2)}</pre>
                    </details>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {page.data.items.length === 0 ? <Caption1>{pages.page === 1 ? 'No events yet.' : 'No older events of this type in this stretch of the feed.'}</Caption1> : null}
          {/* Going back: the next page holds older events; none once the oldest kept event was shown. */}
          <CursorPager pages={pages} nextCursor={page.data.nextCursor} previousLabel="Newer events" nextLabel="Older events" />
        </>
      ) : null}
    </>
  );
}

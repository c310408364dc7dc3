/** The audit log: who changed what and when, newest first, with before and after. Full access only (the API's rule). */
import { useState } from 'react';
import { useQuery, keepPreviousData } from '@tanstack/react-query';
import { Badge, Button, Caption1, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from '@fluentui/react-components';
import { ApiError } from '../api/client.js';
import { keys } from '../api/hooks.js';
import type { AuditEntry, AuditPage } from '../api/types.js';
import { useSession } from '../context.js';
import { currentCursor, firstPage, nextPage, pageNumber, previousPage, type CursorTrail } from '../logic.js';
import { ErrorMessage, Loading, Notice, PageHeader, When } from '../components/common.js';

const useStyles = makeStyles({
  pre: { margin: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: tokens.fontSizeBase200, maxHeight: '16rem', overflowY: 'auto' },
  pager: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', marginTop: tokens.spacingVerticalM },
  wrap: { overflowWrap: 'anywhere' },
});

function show(value: unknown): string {
  return value === undefined ? '—' : JSON.stringify(value, null, 2);
}

function Change({ entry }: { entry: AuditEntry }) {
  const styles = useStyles();
  return (
    <details>
      <summary>Before and after</summary>
      <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(12rem, 1fr))', gap: 8 }}>
        <div>
          <Caption1>Before</Caption1>
          <pre className={styles.pre}>{show(entry.before)}</pre>
        </div>
        <div>
          <Caption1>After</Caption1>
          <pre className={styles.pre}>{show(entry.after)}</pre>
        </div>
      </div>
    </details>
  );
}

export function AuditPage() {
  const { api } = useSession();
  const styles = useStyles();
  const [trail, setTrail] = useState<CursorTrail>(firstPage);
  const cursor = currentCursor(trail);
  const page = useQuery({
    queryKey: [...keys.audit, cursor],
    queryFn: () => api.get<AuditPage>(`v1/console/audit-log?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    placeholderData: keepPreviousData,
  });
  const forbidden = page.error instanceof ApiError && page.error.status === 403;
  return (
    <>
      <PageHeader title="Audit log" description="Who changed what and when, newest first." />
      {page.isFetching ? <Loading label="Loading the audit log…" /> : null}
      {forbidden ? (
        <Notice title="Full access needed">The audit log is shown to full-access users only.</Notice>
      ) : page.isError ? (
        <ErrorMessage error={page.error} />
      ) : null}
      {page.data ? (
        <>
          <Table aria-label="Audit log" size="small">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>When</TableHeaderCell>
                <TableHeaderCell>Who</TableHeaderCell>
                <TableHeaderCell>What</TableHeaderCell>
                <TableHeaderCell>Target</TableHeaderCell>
                <TableHeaderCell>Outcome</TableHeaderCell>
                <TableHeaderCell>Change</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {page.data.items.map((entry) => (
                <TableRow key={entry.id}>
                  <TableCell>
                    <When at={entry.at} />
                  </TableCell>
                  <TableCell className={styles.wrap}>{entry.actor.name}</TableCell>
                  <TableCell>{entry.action}</TableCell>
                  <TableCell className={styles.wrap}>{entry.target}</TableCell>
                  <TableCell>
                    <Badge appearance="tint" color={entry.outcome === 'applied' ? 'success' : entry.outcome === 'failed' ? 'danger' : 'informative'}>
                      {entry.outcome}
                    </Badge>
                    {entry.failure ? <Caption1 block>{entry.failure}</Caption1> : null}
                  </TableCell>
                  <TableCell>
                    <Change entry={entry} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {page.data.items.length === 0 ? <Caption1>Nothing has been changed yet.</Caption1> : null}
          <nav className={styles.pager} aria-label="Pages">
            <Button disabled={pageNumber(trail) === 1} onClick={() => setTrail(previousPage)}>
              Newer
            </Button>
            <Caption1>Page {pageNumber(trail)}</Caption1>
            <Button disabled={!page.data.nextCursor} onClick={() => page.data.nextCursor && setTrail((t) => nextPage(t, page.data.nextCursor ?? ''))}>
              Older
            </Button>
          </nav>
        </>
      ) : null}
    </>
  );
}

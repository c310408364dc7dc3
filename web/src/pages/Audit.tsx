/** The audit log: who changed what and when, newest first, with before and after. Full access only (the API's rule). */
import { Badge, Caption1, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from '@fluentui/react-components';
import { ApiError } from '../api/client.js';
import { useAuditPage, type AuditEntry } from '../api/audit.js';
import { downloadAuditCsv } from '../api/exports.js';
import { useSession } from '../context.js';
import { ExportButton } from '../components/ExportButton.js';
import { Notice, PageHeader, When } from '../components/common.js';
import { QueryState } from '../components/QueryState.js';
import { CursorPager, useCursorPages } from '../components/CursorPager.js';

const useStyles = makeStyles({
  pre: { margin: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: tokens.fontSizeBase200, maxHeight: '16rem', overflowY: 'auto' },
  wrap: { overflowWrap: 'anywhere' },
});

/** The API refuses the log to restricted users (403): say why instead of showing the refusal. */
function fullAccessNeeded(error: unknown) {
  return error instanceof ApiError && error.status === 403 ? <Notice title="Full access needed">The audit log is shown to full-access users only.</Notice> : undefined;
}

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
  const styles = useStyles();
  const { api, canWrite } = useSession();
  const pages = useCursorPages();
  const page = useAuditPage(pages.cursor);
  return (
    <>
      <PageHeader
        title="Audit log"
        description="Who changed what and when, newest first."
        actions={canWrite ? <ExportButton label="Export CSV" download={() => downloadAuditCsv(api)} /> : undefined}
      />
      <QueryState query={page} loading="Loading the audit log…" refetching failure={fullAccessNeeded} />
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
          <CursorPager pages={pages} nextCursor={page.data.nextCursor} previousLabel="Newer" nextLabel="Older" />
        </>
      ) : null}
    </>
  );
}

/** The device's history on its page: what happened, newest first, one line each, with the details on demand. */
import { Caption1, Subtitle1, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from '@fluentui/react-components';
import { useTimelinePage } from '../api/timeline.js';
import { When } from './common.js';
import { CursorPager, useCursorPages } from './CursorPager.js';
import { QueryState } from './QueryState.js';

const useStyles = makeStyles({
  section: { marginTop: tokens.spacingVerticalXL },
  // Fixed columns: a long event id or summary wraps instead of widening the page.
  table: { tableLayout: 'fixed', width: '100%' },
  cell: { overflowWrap: 'anywhere' },
  pre: { margin: 0, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontSize: tokens.fontSizeBase200, maxHeight: '12rem', overflowY: 'auto' },
});

const kindLabels: Record<string, string> = {
  event: 'Event',
  push: 'Push',
  activation: 'Activation',
  'credential-rotation': 'Credential',
  override: 'Override',
  attestation: 'Attestation',
};

export function DeviceTimeline({ deviceId }: { deviceId: string }) {
  const styles = useStyles();
  const pages = useCursorPages();
  const page = useTimelinePage(deviceId, pages.cursor);
  return (
    <section className={styles.section} aria-label="Timeline">
      <Subtitle1 as="h2">Timeline</Subtitle1>
      <QueryState query={page} loading="Loading the timeline…" refetching />
      {page.data ? (
        <>
          <Table aria-label="Timeline entries" size="small" className={styles.table}>
            <TableHeader>
              <TableRow>
                <TableHeaderCell style={{ width: '25%' }}>When</TableHeaderCell>
                <TableHeaderCell style={{ width: '50%' }}>What</TableHeaderCell>
                <TableHeaderCell style={{ width: '25%' }}>Details</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {page.data.items.map((item, n) => (
                <TableRow key={`${item.at}-${item.eventId ?? n}`}>
                  <TableCell>
                    <When at={item.at} />
                  </TableCell>
                  <TableCell className={styles.cell}>
                    <Caption1>{kindLabels[item.kind] ?? item.kind}</Caption1> {item.summary}
                  </TableCell>
                  <TableCell className={styles.cell}>
                    <details>
                      <summary>{item.eventId ?? 'Details'}</summary>
                      <pre className={styles.pre}>{JSON.stringify(item.data, null, 2)}</pre>
                    </details>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          {page.data.items.length === 0 ? <Caption1>Nothing has happened to this device yet.</Caption1> : null}
          <CursorPager pages={pages} nextCursor={page.data.nextCursor} previousLabel="Newer" nextLabel="Older" />
        </>
      ) : null}
    </section>
  );
}

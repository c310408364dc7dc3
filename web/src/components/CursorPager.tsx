/** Paging by the API's opaque cursors: the pages seen so far are kept, so "previous" works without a cursor back. */
import { useState } from 'react';
import { Button, Caption1, makeStyles, tokens } from '@fluentui/react-components';
import { currentCursor, firstPage, nextPage, pageNumber, previousPage, type CursorTrail } from '../logic.js';

const useStyles = makeStyles({
  pager: { display: 'flex', gap: tokens.spacingHorizontalS, alignItems: 'center', marginTop: tokens.spacingVerticalM },
});

export interface CursorPages {
  /** The cursor of the page shown (null for the first). */
  readonly cursor: string | null;
  /** 1 for the first page. */
  readonly page: number;
  next(cursor: string): void;
  previous(): void;
  /** Back to the first page, e.g. when a filter changes. */
  restart(): void;
}

export function useCursorPages(): CursorPages {
  const [trail, setTrail] = useState<CursorTrail>(firstPage);
  return {
    cursor: currentCursor(trail),
    page: pageNumber(trail),
    next: (cursor) => setTrail((t) => nextPage(t, cursor)),
    previous: () => setTrail(previousPage),
    restart: () => setTrail(firstPage),
  };
}

/** Previous and next buttons with the page number; next is off when the API gave no cursor for a next page. */
export function CursorPager({
  pages,
  nextCursor,
  previousLabel = 'Previous page',
  nextLabel = 'Next page',
}: {
  pages: CursorPages;
  nextCursor: string | null | undefined;
  previousLabel?: string;
  nextLabel?: string;
}) {
  const styles = useStyles();
  return (
    <nav className={styles.pager} aria-label="Pages">
      <Button disabled={pages.page === 1} onClick={() => pages.previous()}>
        {previousLabel}
      </Button>
      <Caption1>Page {pages.page}</Caption1>
      <Button disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        {nextLabel}
      </Button>
    </nav>
  );
}

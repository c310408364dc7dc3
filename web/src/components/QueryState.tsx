/**
 * The state of a page's read, said the same way on every page: the read-only notice for restricted users, a spinner
 * while it loads, and its failure in words.
 */
import type { ReactNode } from 'react';
import { ErrorMessage, Loading, ReadOnlyNotice } from './common.js';

/** What QueryState reads of a TanStack query. */
export interface QueryStatus {
  readonly isPending: boolean;
  readonly isFetching: boolean;
  readonly isError: boolean;
  readonly error: unknown;
}

export function QueryState({
  query,
  loading,
  refetching = false,
  readOnly = false,
  failure,
}: {
  query: QueryStatus;
  /** What is being read, in words ("Loading the policy…"). */
  loading: string;
  /** Show the spinner on every read, not only the first: paged lists keep the previous page on screen meanwhile. */
  refetching?: boolean;
  /** The page changes things: say so when the user's access is restricted. */
  readOnly?: boolean;
  /** A page's own words for a failure it expects; the API's problem otherwise. */
  failure?: (error: unknown) => ReactNode;
}) {
  const busy = refetching ? query.isFetching : query.isPending;
  return (
    <>
      {readOnly ? <ReadOnlyNotice /> : null}
      {busy ? <Loading label={loading} /> : null}
      {query.isError ? (failure?.(query.error) ?? <ErrorMessage error={query.error} />) : null}
    </>
  );
}
